import * as assert from "assert";
import { UNKNOWN_SENTINELS } from "../../../policies/kube/unknown";
import { NS, notes, statefulSet, violations, withField } from "../fixtures";
import { monitor, scrapedService, scrapedStack } from "../metricsFixtures";

const RULE = "statefulset-service-monitor";

describe(RULE, () => {
  it("passes a ServiceMonitor that scrapes the Service's metrics port", () => {
    const { sts, objects } = scrapedStack();
    assert.deepStrictEqual(violations(RULE, sts, { objects }), []);
    assert.deepStrictEqual(notes(RULE, sts, { objects }), []);
  });

  it("passes when no ServiceMonitor selects a Service of the pods", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
    const other = withField(monitor(), ["spec", "selector", "matchLabels"], { app: "other" });
    const { sts, objects } = scrapedStack({ monitor: other });
    assert.deepStrictEqual(violations(RULE, sts, { objects }), []);
    // A ServiceMonitor of another namespace discovers only its own, unless it names this one.
    const elsewhere = withField(monitor(), ["metadata", "namespace"], "monitoring");
    const broken = withField(elsewhere, ["spec", "endpoints", 0, "port"], "web");
    assert.deepStrictEqual(
      violations(RULE, sts, { objects: [...objects.slice(0, 4), broken] }),
      [],
    );
  });

  it("refuses a port the selected Service does not have", () => {
    const wrong = withField(monitor(), ["spec", "endpoints", 0, "port"], "http-metrics");
    const { sts, objects } = scrapedStack({ monitor: wrong });
    assert.deepStrictEqual(violations(RULE, sts, { objects }), [
      'ServiceMonitor "redis" spec.endpoints[0].port names port "http-metrics", which no Service it selects for these pods has (Service "redis": "redis", "metrics"): name a port of the Service, or add a port named "http-metrics" to it that targets the exporter\'s container port',
    ]);
  });

  it("checks ServiceMonitors of other namespaces that name this one", () => {
    const wrong = withField(monitor(), ["spec", "endpoints", 0, "port"], "web");
    const named = withField(
      withField(wrong, ["metadata", "namespace"], "monitoring"),
      ["spec", "namespaceSelector"],
      { matchNames: [NS] },
    );
    const any = withField(
      withField(wrong, ["metadata", "namespace"], "monitoring"),
      ["spec", "namespaceSelector"],
      { any: true },
    );
    for (const m of [named, any]) {
      const { sts, objects } = scrapedStack({ monitor: m });
      assert.equal(violations(RULE, sts, { objects }).length, 1);
    }
  });

  it("refuses a Service port whose targetPort no container declares", () => {
    const svc = withField(scrapedService(), ["spec", "ports", 1, "targetPort"], "exporter");
    const { sts, objects } = scrapedStack({ service: svc });
    assert.deepStrictEqual(violations(RULE, sts, { objects }), [
      'Service "redis" port "metrics", which ServiceMonitor "redis" spec.endpoints[0] scrapes, targets container port "exporter", which no container of spec.template declares: its endpoints carry no address for it; declare a containerPort named "exporter" on the exporter container, or target the port by number',
    ]);
    // By number, any port reaches the pod.
    const numbered = withField(scrapedService(), ["spec", "ports", 1, "targetPort"], 9121);
    const ok = scrapedStack({ service: numbered });
    assert.deepStrictEqual(violations(RULE, ok.sts, { objects: ok.objects }), []);
  });

  it("refuses an endpoint targetPort that no container declares", () => {
    const m = withField(
      withField(monitor(), ["spec", "endpoints", 0, "port"], undefined),
      ["spec", "endpoints", 0, "targetPort"],
      "exporter",
    );
    const { sts, objects } = scrapedStack({ monitor: m });
    assert.deepStrictEqual(violations(RULE, sts, { objects }), [
      'ServiceMonitor "redis" spec.endpoints[0].targetPort names container port "exporter", which no container of spec.template declares: declare it on the exporter container, or set port to the Service port\'s name',
    ]);
  });

  it("reads an empty port as unset, as the Prometheus Operator does: targetPort is scraped", () => {
    const m = withField(
      withField(monitor(), ["spec", "endpoints", 0, "port"], ""),
      ["spec", "endpoints", 0, "targetPort"],
      "metrics",
    );
    const { sts, objects } = scrapedStack({ monitor: m });
    assert.deepStrictEqual(violations(RULE, sts, { objects }), []);
  });

  it("refuses a scrapeTimeout longer than the interval", () => {
    const m = withField(monitor(), ["spec", "endpoints", 0, "scrapeTimeout"], "1m");
    const { sts, objects } = scrapedStack({ monitor: m });
    assert.deepStrictEqual(violations(RULE, sts, { objects }), [
      'ServiceMonitor "redis" spec.endpoints[0].scrapeTimeout 1m is longer than its interval 30s: the Prometheus Operator refuses the ServiceMonitor; set scrapeTimeout to at most the interval',
    ]);
  });

  it("reports unknown values as notes, not violations", () => {
    const m = withField(monitor(), ["spec", "endpoints", 0, "port"], UNKNOWN_SENTINELS.string);
    const { sts, objects } = scrapedStack({ monitor: m });
    assert.deepStrictEqual(violations(RULE, sts, { objects }), []);
    assert.deepStrictEqual(notes(RULE, sts, { objects }), [
      'could not check ServiceMonitor "redis" spec.endpoints[0].port: value unknown during preview',
    ]);
    const ns = withField(monitor(), ["metadata", "namespace"], UNKNOWN_SENTINELS.string);
    const unknownNs = scrapedStack({ monitor: ns });
    assert.deepStrictEqual(notes(RULE, unknownNs.sts, { objects: unknownNs.objects }), [
      `could not check ServiceMonitors and Services of namespace "${NS}": value unknown during preview`,
    ]);
  });
});
