import * as assert from "assert";
import { Field } from "../../../policies/kube/fields";
import {
  allowedNodeValues,
  antiAffinityKeys,
  antiAffinityTerms,
  selectsPods,
  spreadConstraints,
} from "../../../policies/kube/topology";

const ZONE = "topology.kubernetes.io/zone";

/** A StatefulSet whose pod spec is `spec`. */
const sts = (spec: Record<string, unknown>) => Field.root({ spec: { template: { spec } } });
const required = (...terms: Record<string, unknown>[][]) => ({
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: terms.map((matchExpressions) => ({ matchExpressions })),
      },
    },
  },
});

describe("kube/topology", () => {
  describe("allowedNodeValues", () => {
    it("is unbounded without a node selector or node affinity on the label", () => {
      assert.deepStrictEqual(allowedNodeValues(sts({}), ZONE), { kind: "any" });
      const other = required([{ key: "pool", operator: "In", values: ["db"] }]);
      assert.deepStrictEqual(allowedNodeValues(sts(other), ZONE), { kind: "any" });
    });

    it("intersects the requirements of a term and the node selector, and unites the terms", () => {
      const one = required([
        { key: ZONE, operator: "In", values: ["a", "b", "c"] },
        { key: ZONE, operator: "NotIn", values: ["b"] },
      ]);
      assert.deepStrictEqual(allowedNodeValues(sts(one), ZONE), {
        kind: "values",
        values: ["a", "c"],
      });
      const selected = { ...one, nodeSelector: { [ZONE]: "c" } };
      assert.deepStrictEqual(allowedNodeValues(sts(selected), ZONE), {
        kind: "values",
        values: ["c"],
      });
      const two = required(
        [{ key: ZONE, operator: "In", values: ["a"] }],
        [{ key: ZONE, operator: "In", values: ["b", "a"] }],
      );
      assert.deepStrictEqual(allowedNodeValues(sts(two), ZONE), {
        kind: "values",
        values: ["a", "b"],
      });
    });

    it("subtracts NotIn from the values an In allows, in whichever order they come", () => {
      const notInFirst = required([
        { key: ZONE, operator: "NotIn", values: ["c"] },
        { key: ZONE, operator: "In", values: ["a", "b", "c"] },
      ]);
      assert.deepStrictEqual(allowedNodeValues(sts(notInFirst), ZONE), {
        kind: "values",
        values: ["a", "b"],
      });
      const between = required([
        { key: ZONE, operator: "In", values: ["a", "b", "c"] },
        { key: ZONE, operator: "NotIn", values: ["a"] },
        { key: ZONE, operator: "In", values: ["a", "b"] },
      ]);
      assert.deepStrictEqual(allowedNodeValues(sts(between), ZONE), {
        kind: "values",
        values: ["b"],
      });
      // NotIn alone bounds nothing: any other value is allowed.
      const alone = required([{ key: ZONE, operator: "NotIn", values: ["c"] }]);
      assert.deepStrictEqual(allowedNodeValues(sts(alone), ZONE), { kind: "any" });
    });

    it("is none when every term requires nodes without the label", () => {
      const none = required([{ key: ZONE, operator: "DoesNotExist" }]);
      assert.deepStrictEqual(allowedNodeValues(sts(none), ZONE), { kind: "none" });
      const either = required(
        [{ key: ZONE, operator: "DoesNotExist" }],
        [{ key: ZONE, operator: "Exists" }],
      );
      assert.deepStrictEqual(allowedNodeValues(sts(either), ZONE), { kind: "any" });
    });
  });

  it("spreadConstraints reads each constraint, defaulting maxSkew and nodeAffinityPolicy", () => {
    const labels = { app: "db" };
    const [c] = spreadConstraints(
      sts({
        topologySpreadConstraints: [
          {
            topologyKey: ZONE,
            whenUnsatisfiable: "DoNotSchedule",
            labelSelector: { matchLabels: labels },
          },
        ],
      }),
      labels,
    );
    assert.deepStrictEqual(
      [
        c.topologyKey,
        c.whenUnsatisfiable,
        c.maxSkew,
        c.minDomains,
        c.nodeAffinityPolicy,
        c.selectsOwnPods,
      ],
      [ZONE, "DoNotSchedule", 1, undefined, "Honor", true],
    );
  });

  it("reads the anti-affinity terms, required then preferred, and those selecting own pods", () => {
    const labels = { app: "db" };
    const term = (key: string, app: string) => ({
      topologyKey: key,
      labelSelector: { matchLabels: { app } },
    });
    const root = sts({
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [term("kubernetes.io/hostname", "db")],
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 1, podAffinityTerm: term(ZONE, "web") },
            { weight: 1, podAffinityTerm: term("rack", "db") },
          ],
        },
      },
    });
    const terms = antiAffinityTerms(root);
    assert.deepStrictEqual(
      terms.map((t) => t.path),
      [
        "spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]",
        "spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm",
        "spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].podAffinityTerm",
      ],
    );
    assert.deepStrictEqual(
      terms.map((t) => selectsPods(t, labels)),
      [true, false, true],
    );
    assert.deepStrictEqual(antiAffinityKeys(root, labels), ["kubernetes.io/hostname", "rack"]);
    assert.strictEqual(selectsPods(Field.root({}), labels), false, "no labelSelector: none");
  });
});
