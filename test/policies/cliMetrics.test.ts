// The CLI keeps what the metrics rules read (a Service's labels and ports, a NetworkPolicy's ingress
// rules, a ServiceMonitor's selector and endpoints; it drops most of every object that is not a
// StatefulSet): the same findings over manifests as in the pack.
import * as assert from "assert";
import * as YAML from "yaml";
import { runCli } from "./cliRun";
import { networkPolicy, withField } from "./fixtures";
import { monitor, scrapedStack } from "./metricsFixtures";

const manifests = (objects: object[]) => objects.map((o) => YAML.stringify(o)).join("---\n");
const RULES = /statefulset-(service-monitor|metrics-ingress) /;
/** The findings of the metrics rules, one line each. */
const ours = (lines: string[]) => lines.filter((l) => RULES.test(l));

describe("stateful-policy check: ServiceMonitors and the metrics port", () => {
  it("passes a workload whose ServiceMonitor scrapes a port the NetworkPolicy admits Prometheus to", async () => {
    const { objects } = scrapedStack();
    const r = await runCli(["check", "-"], manifests(objects));
    assert.deepStrictEqual(ours(r.lines), []);
  });

  it("reports a port the Service lacks and a port no scraper may reach", async () => {
    const wrong = withField(monitor(), ["spec", "endpoints", 0, "port"], "http-metrics");
    const { objects } = scrapedStack({ monitor: wrong });
    const r = await runCli(["check", "-"], manifests(objects));
    assert.strictEqual(r.code, 1, r.stdout);
    assert.deepStrictEqual(ours(r.lines), [
      '[mandatory] statefulset-service-monitor (StatefulSet cache/redis): ServiceMonitor "redis" spec.endpoints[0].port names port "http-metrics", which no Service it selects for these pods has (Service "redis": "redis", "metrics"): name a port of the Service, or add a port named "http-metrics" to it that targets the exporter\'s container port',
    ]);
    const blocked = scrapedStack();
    const selfOnly = [
      ...blocked.objects.filter((o) => o.kind !== "NetworkPolicy"),
      networkPolicy(),
    ];
    const b = await runCli(["check", "-"], manifests(selfOnly));
    assert.deepStrictEqual(ours(b.lines), [
      '[advisory] statefulset-metrics-ingress (StatefulSet cache/redis): the NetworkPolicies that select the pods ("redis") admit container port "metrics", which ServiceMonitor "redis" spec.endpoints[0] scrapes, from no pod but the StatefulSet\'s own: every scrape times out; add an ingress rule that admits the scraper\'s pods (podSelector and/or namespaceSelector) to that port',
    ]);
  });
});
