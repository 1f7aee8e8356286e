import * as assert from "assert";
import { Field } from "../../../policies/kube/fields";
import { allowedNodeValues, spreadConstraints } from "../../../policies/kube/topology";

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
});
