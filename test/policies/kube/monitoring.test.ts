import * as assert from "assert";
import { durationMs, scrapesOf } from "../../../policies/kube/monitoring";
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

  it("reads Prometheus durations", () => {
    assert.strictEqual(durationMs("1m30s"), 90_000);
    assert.strictEqual(durationMs("250ms"), 250);
    assert.strictEqual(durationMs("30"), undefined);
    assert.strictEqual(durationMs(""), undefined);
  });
});
