import * as assert from "assert";
import { durationMs, podPorts, scrapesOf, scrapeTargets } from "../../../policies/kube/monitoring";
import type { KubeObject } from "../../../policies/kube/objects";
import { StackIndex } from "../../../policies/kube/stackIndex";
import { UNKNOWN_SENTINELS } from "../../../policies/kube/unknown";
import { NS, podLabels, withField } from "../fixtures";
import { monitor, scrapedService, scrapedStack } from "../metricsFixtures";

describe("kube/monitoring", () => {
  it("finds the ServiceMonitor endpoints that scrape a StatefulSet's pods through its Services", () => {
    const { sts, objects } = scrapedStack();
    const scrapes = scrapesOf(sts, new StackIndex(objects));
    assert.deepStrictEqual(
      scrapes.map((s) => [s.label, s.monitor, s.services.map((x) => x.metadata)]),
      [['ServiceMonitor "redis" spec.endpoints[0]', "redis", [scrapedService().metadata]]],
    );
  });

  it("never counts a Service without a selector (its endpoints are not the pods')", () => {
    const { sts, objects } = scrapedStack({
      service: withField(scrapedService(), ["spec", "selector"], undefined),
    });
    const stack = new StackIndex(objects);
    assert.deepStrictEqual(stack.servicesSelecting(NS, podLabels()).matches, []);
    assert.deepStrictEqual(scrapesOf(sts, stack), []);
  });

  it("reads nothing of the StatefulSet in a stack without ServiceMonitors", () => {
    const { sts, objects } = scrapedStack();
    const unknownNs = withField(sts, ["metadata", "namespace"], UNKNOWN_SENTINELS.string);
    const none = objects.filter((o) => o.kind !== "ServiceMonitor");
    assert.deepStrictEqual(scrapesOf(unknownNs, new StackIndex(none)), []);
  });

  it("is uncertain while a ServiceMonitor's namespaces are unknown", () => {
    const m = withField(monitor(), ["spec", "namespaceSelector"], UNKNOWN_SENTINELS.object);
    const { sts, objects } = scrapedStack({ monitor: m });
    const stack = new StackIndex(objects);
    assert.strictEqual(stack.serviceMonitors(NS).uncertain, true);
    assert.throws(() => scrapesOf(sts, stack), /ServiceMonitors and Services of namespace "cache"/);
  });

  it("resolves an endpoint to the container ports it reaches", () => {
    const targets = (m: KubeObject, service = scrapedService()) => {
      const { sts, objects } = scrapedStack({ monitor: m, service });
      const [scrape] = scrapesOf(sts, new StackIndex(objects));
      return scrapeTargets(scrape, podPorts(sts)).map((t) => [
        t.service === undefined ? undefined : "service",
        t.written,
        t.port,
      ]);
    };
    const metrics = { name: "metrics", number: 9121 };
    // Through the Service port the endpoint names, to its targetPort.
    assert.deepStrictEqual(targets(monitor()), [["service", "metrics", metrics]]);
    const unnamed = withField(scrapedService(), ["spec", "ports", 1, "targetPort"], "exporter");
    assert.deepStrictEqual(targets(monitor(), unnamed), [["service", "exporter", undefined]]);
    const noTarget = withField(scrapedService(), ["spec", "ports", 1, "targetPort"], undefined);
    assert.deepStrictEqual(targets(monitor(), noTarget), [["service", undefined, metrics]]);
    // A port no Service has reaches nothing.
    const wrong = withField(monitor(), ["spec", "endpoints", 0, "port"], "web");
    assert.deepStrictEqual(targets(wrong), []);
    // Without a port (or with an empty one), through the endpoint's targetPort.
    for (const port of [undefined, ""]) {
      const direct = (t: unknown) =>
        withField(
          withField(monitor(), ["spec", "endpoints", 0, "port"], port),
          ["spec", "endpoints", 0, "targetPort"],
          t,
        );
      assert.deepStrictEqual(targets(direct("metrics")), [[undefined, "metrics", metrics]]);
      assert.deepStrictEqual(targets(direct("exporter")), [[undefined, "exporter", undefined]]);
      assert.deepStrictEqual(targets(direct(9121)), [[undefined, 9121, metrics]]);
      assert.deepStrictEqual(targets(direct(8080)), [[undefined, 8080, { number: 8080 }]]);
      assert.deepStrictEqual(targets(direct(undefined)), []);
    }
  });

  it("reads Prometheus durations", () => {
    assert.strictEqual(durationMs("1m30s"), 90_000);
    assert.strictEqual(durationMs("250ms"), 250);
    assert.strictEqual(durationMs("30"), undefined);
    assert.strictEqual(durationMs(""), undefined);
  });
});
