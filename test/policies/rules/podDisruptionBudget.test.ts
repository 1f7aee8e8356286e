import * as assert from "assert";
import { UNKNOWN_SENTINELS, UNKNOWN_STRING } from "../../../policies/kube/unknown";
import {
  networkPolicy,
  notes,
  podDisruptionBudget,
  service,
  statefulSet,
  stsWith,
  violations,
  withField,
} from "../fixtures";

const RULE = "statefulset-pod-disruption-budget";

function withBudget(spec: Record<string, unknown>, replicas = 3) {
  const sts = stsWith(["spec", "replicas"], replicas);
  const pdb = withField(podDisruptionBudget(), ["spec"], {
    ...spec,
    selector: { matchLabels: { "app.kubernetes.io/instance": "redis" } },
  });
  return { sts, objects: [service(), sts, pdb, networkPolicy()] };
}

function budgetViolations(spec: Record<string, unknown>, replicas = 3, config = {}) {
  const { sts, objects } = withBudget(spec, replicas);
  return violations(RULE, sts, { objects, config });
}

describe(RULE, () => {
  it("passes with maxUnavailable 1 for 3 replicas", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("requires a budget for more than one replica", () => {
    const sts = statefulSet();
    assert.deepStrictEqual(violations(RULE, sts, { objects: [service(), sts] }), [
      'spec.replicas is 3 but no PodDisruptionBudget in namespace "cache" selects the pods (spec.template.metadata.labels): add one with maxUnavailable: 1 and the StatefulSet\'s selector',
    ]);
    const one = stsWith(["spec", "replicas"], 1);
    assert.deepStrictEqual(violations(RULE, one, { objects: [one] }), []);
    const unset = stsWith(["spec", "replicas"], undefined);
    assert.deepStrictEqual(violations(RULE, unset, { objects: [unset] }), []);
  });

  it("ignores budgets of other namespaces or other pods", () => {
    const sts = statefulSet();
    const elsewhere = withField(podDisruptionBudget(), ["metadata", "namespace"], "other");
    const otherPods = withField(
      podDisruptionBudget(),
      ["spec", "selector", "matchLabels", "app.kubernetes.io/instance"],
      "redis-2",
    );
    assert.strictEqual(violations(RULE, sts, { objects: [sts, elsewhere, otherPods] }).length, 1);
  });

  it("refuses two budgets over the same pods", () => {
    const sts = statefulSet();
    const second = withField(podDisruptionBudget(), ["metadata", "name"], "redis-extra");
    assert.deepStrictEqual(
      violations(RULE, sts, { objects: [sts, podDisruptionBudget(), second] }),
      [
        '2 PodDisruptionBudgets ("redis", "redis-extra") select the pods: the eviction API refuses to evict a pod covered by more than one; keep one',
      ],
    );
  });

  it("requires at least one allowed disruption", () => {
    assert.deepStrictEqual(budgetViolations({ minAvailable: 3 }), [
      'PodDisruptionBudget "redis" (minAvailable 3) allows no disruption of 3 replica(s): node drains and upgrades block; set maxUnavailable: 1',
    ]);
    assert.strictEqual(budgetViolations({ maxUnavailable: 0 }).length, 1);
    assert.strictEqual(budgetViolations({ minAvailable: "100%" }).length, 1);
    assert.deepStrictEqual(budgetViolations({ minAvailable: 1 }, 1), [
      'PodDisruptionBudget "redis" (minAvailable 1) allows no disruption of 1 replica(s): node drains and upgrades block; set maxUnavailable: 1',
    ]);
  });

  it("never lets a majority go (quorum)", () => {
    assert.deepStrictEqual(budgetViolations({ maxUnavailable: 2 }), [
      'PodDisruptionBudget "redis" (maxUnavailable 2) lets 2 of 3 pods go at once, which breaks quorum: set maxUnavailable to at most 1 or minAvailable to at least 2',
    ]);
    assert.deepStrictEqual(budgetViolations({ minAvailable: 2 }), []);
    assert.deepStrictEqual(budgetViolations({ maxUnavailable: 2 }, 5), []);
    assert.strictEqual(budgetViolations({ maxUnavailable: 3 }, 5).length, 1);
    assert.deepStrictEqual(budgetViolations({ minAvailable: "60%" }, 5), []);
    assert.strictEqual(budgetViolations({ maxUnavailable: "50%" }, 5).length, 1);
  });

  it("with 2 replicas only requires one allowed disruption", () => {
    assert.deepStrictEqual(budgetViolations({ maxUnavailable: 1 }, 2), []);
  });

  it("skips the quorum check with config quorum: false", () => {
    assert.deepStrictEqual(budgetViolations({ maxUnavailable: 2 }, 3, { quorum: false }), []);
  });

  it("refuses malformed budgets", () => {
    assert.deepStrictEqual(budgetViolations({}), [
      'PodDisruptionBudget "redis" selecting the pods sets neither minAvailable nor maxUnavailable: set maxUnavailable: 1',
    ]);
    assert.deepStrictEqual(budgetViolations({ maxUnavailable: 1, minAvailable: 1 }), [
      'PodDisruptionBudget "redis" selecting the pods sets both minAvailable and maxUnavailable (the API allows one): set maxUnavailable: 1',
    ]);
  });

  it("reports unknown values as notes", () => {
    const unknownReplicas = stsWith(["spec", "replicas"], UNKNOWN_SENTINELS.number);
    assert.deepStrictEqual(notes(RULE, unknownReplicas), [
      "could not check spec.replicas: value unknown during preview",
    ]);
    const sts = statefulSet();
    const unknownSelector = withField(
      podDisruptionBudget(),
      ["spec", "selector"],
      UNKNOWN_SENTINELS.object,
    );
    assert.deepStrictEqual(violations(RULE, sts, { objects: [sts, unknownSelector] }), []);
    assert.deepStrictEqual(notes(RULE, sts, { objects: [sts, unknownSelector] }), [
      'could not check PodDisruptionBudgets in namespace "cache": value unknown during preview',
    ]);
    const unknownNs = withField(podDisruptionBudget(), ["metadata", "namespace"], UNKNOWN_STRING);
    assert.strictEqual(notes(RULE, sts, { objects: [sts, unknownNs] }).length, 1);
    const { sts: s3, objects } = withBudget({ maxUnavailable: UNKNOWN_SENTINELS.number });
    assert.deepStrictEqual(notes(RULE, s3, { objects }), [
      'could not check PodDisruptionBudget "redis" spec.maxUnavailable: value unknown during preview',
    ]);
  });
});
