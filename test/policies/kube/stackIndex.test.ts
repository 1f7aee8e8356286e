import * as assert from "assert";
import type { KubeObject } from "../../../policies/kube/objects";
import { LabelSelector, mapSelector } from "../../../policies/kube/selectors";
import { SelectorIndex, StackIndex } from "../../../policies/kube/stackIndex";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { RULES } from "../../../policies/rules";
import { analyzeObjects } from "../../../policies/runner";
import { defaultConfig, stackObjects, withField } from "../fixtures";

/** Workload i: the valid fixture renamed, all in one namespace and sharing app.kubernetes.io/name. */
function workload(i: number): KubeObject[] {
  const name = `redis-${i}`;
  return stackObjects().map((o) => {
    let obj = withField(o, ["metadata", "name"], name);
    const rename = (path: (string | number)[]) => (obj = withField(obj, path, name));
    switch (o.kind) {
      case "StatefulSet":
        rename(["spec", "serviceName"]);
        rename(["spec", "selector", "matchLabels", "app.kubernetes.io/instance"]);
        rename(["spec", "template", "metadata", "labels", "app.kubernetes.io/instance"]);
        rename([
          "spec",
          "template",
          "spec",
          "affinity",
          "podAntiAffinity",
          "preferredDuringSchedulingIgnoredDuringExecution",
          0,
          "podAffinityTerm",
          "labelSelector",
          "matchLabels",
          "app.kubernetes.io/instance",
        ]);
        break;
      case "Service":
        rename(["spec", "selector", "app.kubernetes.io/instance"]);
        break;
      case "PodDisruptionBudget":
        rename(["spec", "selector", "matchLabels", "app.kubernetes.io/instance"]);
        break;
      case "NetworkPolicy":
        rename(["spec", "podSelector", "matchLabels", "app.kubernetes.io/instance"]);
        break;
    }
    return obj;
  });
}

describe("the stack index", () => {
  it("finds selector matches per namespace, with empty selectors matching all", () => {
    const index = new SelectorIndex<string>();
    const sel = (m: Record<string, string>): LabelSelector => mapSelector(m);
    index.add("a", sel({ app: "x", tier: "db" }), "x-db");
    index.add("a", sel({ app: "x" }), "x");
    index.add("a", sel({}), "all");
    index.add("b", sel({ app: "x" }), "other-ns");
    index.add(
      "a",
      { matchLabels: {}, matchExpressions: [{ key: "app", operator: "In", values: ["y"] }] },
      "expr-y",
    );
    assert.deepStrictEqual(index.match("a", { app: "x", tier: "db" }).matches.sort(), [
      "all",
      "x",
      "x-db",
    ]);
    assert.deepStrictEqual(index.match("a", { app: "y" }).matches.sort(), ["all", "expr-y"]);
    assert.deepStrictEqual(index.match("c", { app: "x" }), { matches: [], uncertain: false });
    index.add(undefined, "unknown", "unknown-ns");
    assert.strictEqual(index.match("c", { app: "x" }).uncertain, true);
  });

  it("ignores budgets without a selector (they select nothing)", () => {
    const pdb = withField(stackObjects()[2], ["spec", "selector"], undefined);
    const index = new StackIndex([pdb]);
    assert.deepStrictEqual(
      index.disruptionBudgets("cache", { "app.kubernetes.io/instance": "redis" }),
      {
        matches: [],
        uncertain: false,
      },
    );
  });

  it("reads an empty selector as every pod in policy/v1, and as none in policy/v1beta1", () => {
    const labels = { "app.kubernetes.io/instance": "redis" };
    const empty = withField(stackObjects()[2], ["spec", "selector"], {});
    assert.strictEqual(
      new StackIndex([empty]).disruptionBudgets("cache", labels).matches.length,
      1,
    );
    const beta = withField(empty, ["apiVersion"], "policy/v1beta1");
    assert.strictEqual(new StackIndex([beta]).disruptionBudgets("cache", labels).matches.length, 0);
  });

  it("indexes objects by group and kind, never by kind alone", () => {
    const labels = { "app.kubernetes.io/instance": "redis" };
    const [svc, , pdb, np] = stackObjects();
    const calico = withField(withField(np, ["apiVersion"], "projectcalico.org/v3"), ["spec"], {
      selector: "all()",
    });
    const other = [
      calico,
      withField(pdb, ["apiVersion"], "example.com/v1"),
      withField(svc, ["apiVersion"], "serving.knative.dev/v1"),
    ];
    const index = new StackIndex(other);
    assert.deepStrictEqual(index.networkPolicies("cache", labels).matches, []);
    assert.deepStrictEqual(index.disruptionBudgets("cache", labels).matches, []);
    assert.deepStrictEqual(index.service("cache", "redis"), { uncertain: false });
  });

  it("lists a VolumeSnapshot whose name is unknown, and marks its namespace uncertain", () => {
    const snapshot = (name: unknown): KubeObject => ({
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshot",
      metadata: { name, namespace: "cache" },
      spec: { source: { persistentVolumeClaimName: "data-redis-0" } },
    });
    const known = snapshot("nightly-0");
    const unnamed = snapshot(UNKNOWN_STRING);
    const index = new StackIndex([known, unnamed]);
    assert.deepStrictEqual(index.volumeSnapshots("cache"), {
      matches: [known, unnamed],
      uncertain: true,
    });
    assert.deepStrictEqual(index.volumeSnapshots("other"), { matches: [], uncertain: false });
  });

  it("analyzes 1000 workloads in one namespace without pairwise scanning", () => {
    const objects = Array.from({ length: 1000 }, (_, i) => workload(i)).flat();
    const start = process.hrtime.bigint();
    const results = analyzeObjects(objects, RULES, defaultConfig());
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.deepStrictEqual(results, []);
    // Pairwise scanning (1000 StatefulSets x 1000 budgets x 3 stack rules) takes seconds; the index
    // keeps it well under one.
    assert.ok(ms < 3000, `took ${ms} ms`);
  });

  it("still reports the one workload whose budget is missing among 1000", () => {
    const objects = Array.from({ length: 1000 }, (_, i) => workload(i))
      .flat()
      .filter(
        (o) =>
          !(
            o.kind === "PodDisruptionBudget" &&
            (o.metadata as { name: string }).name === "redis-500"
          ),
      );
    const results = analyzeObjects(objects, RULES, defaultConfig());
    assert.deepStrictEqual(
      results.map((r) => [r.rule, r.name]),
      [["statefulset-pod-disruption-budget", "redis-500"]],
    );
  });
});
