import * as assert from "assert";
import { UNKNOWN_SENTINELS, UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { notes, podLabels, statefulSet, stsWith, violations, withField } from "../fixtures";

const RULE = "statefulset-spread-satisfiable";
const POD = ["spec", "template", "spec"];
const ZONE = "topology.kubernetes.io/zone";

/** The fixture with a DoNotSchedule zone spread and the given required node requirements. */
function spread(
  extra: Record<string, unknown>,
  requirements: Record<string, unknown>[] = [],
  replicas = 3,
) {
  let sts = withField(
    stsWith(
      [...POD, "topologySpreadConstraints"],
      [
        {
          maxSkew: 1,
          topologyKey: ZONE,
          whenUnsatisfiable: "DoNotSchedule",
          labelSelector: { matchLabels: podLabels() },
          ...extra,
        },
      ],
    ),
    ["spec", "replicas"],
    replicas,
  );
  if (requirements.length > 0) {
    sts = withField(
      sts,
      [...POD, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"],
      { nodeSelectorTerms: [{ matchExpressions: requirements }] },
    );
  }
  return sts;
}
const inZones = (...zones: string[]) => ({ key: ZONE, operator: "In", values: zones });
const WHAT = `spec.template.spec.topologySpreadConstraints[0] (topologyKey ${ZONE}, DoNotSchedule)`;

describe(RULE, () => {
  it("passes the valid workload, and a DoNotSchedule spread with room", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
    assert.deepStrictEqual(violations(RULE, spread({})), []);
    assert.deepStrictEqual(
      violations(RULE, spread({ minDomains: 3 }, [inZones("a", "b", "c")])),
      [],
    );
    // Fewer zones than minDomains, but each takes one pod and there are no more pods than zones.
    assert.deepStrictEqual(violations(RULE, spread({ minDomains: 3 }, [inZones("a", "b")], 2)), []);
    // maxSkew 2 leaves room for two pods per zone.
    assert.deepStrictEqual(
      violations(RULE, spread({ minDomains: 3, maxSkew: 2 }, [inZones("a", "b")], 4)),
      [],
    );
  });

  it("refuses minDomains above the zones the pods may use, when the replicas need more room", () => {
    assert.deepStrictEqual(
      violations(RULE, spread({ minDomains: 4 }, [inZones("a", "b", "c")])),
      [],
    );
    assert.deepStrictEqual(
      violations(RULE, spread({ minDomains: 4 }, [inZones("a", "b", "c")], 5)),
      [
        `${WHAT} has minDomains 4, but the pods may run on only 3 value(s) of ${ZONE} ("a", "b", "c", from the node selector and required node affinity): with fewer domains than minDomains each takes at most maxSkew (1) pod(s), so 3 of the 5 replicas run and the rest stay Pending; set minDomains to at most 3 or allow more values of ${ZONE}`,
      ],
    );
  });

  it("reads the zones from the node selector and every node selector term", () => {
    const selected = withField(spread({ minDomains: 2 }), [...POD, "nodeSelector"], {
      [ZONE]: "a",
    });
    assert.deepStrictEqual(violations(RULE, selected).length, 1);
    const twoTerms = withField(
      spread({ minDomains: 3 }),
      [...POD, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"],
      {
        nodeSelectorTerms: [
          { matchExpressions: [inZones("a")] },
          { matchExpressions: [inZones("b", "c")] },
        ],
      },
    );
    assert.deepStrictEqual(violations(RULE, twoTerms), [], "terms are ORed: a, b, c");
    const notIn = spread({ minDomains: 3 }, [
      inZones("a", "b", "c"),
      { key: ZONE, operator: "NotIn", values: ["c"] },
    ]);
    assert.deepStrictEqual(violations(RULE, notIn).length, 1, "a and b only");
    const notInFirst = spread({ minDomains: 3 }, [
      { key: ZONE, operator: "NotIn", values: ["c"] },
      inZones("a", "b", "c"),
    ]);
    assert.deepStrictEqual(violations(RULE, notInFirst), violations(RULE, notIn), "NotIn first");
    const unbounded = withField(
      spread({ minDomains: 5 }, [], 9),
      [...POD, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"],
      {
        nodeSelectorTerms: [
          { matchExpressions: [inZones("a")] },
          { matchExpressions: [{ key: "pool", operator: "Exists" }] },
        ],
      },
    );
    assert.deepStrictEqual(violations(RULE, unbounded), [], "a term without zones allows any");
  });

  it("refuses a spread over a label the required node affinity rules out", () => {
    const sts = spread({}, [{ key: ZONE, operator: "DoesNotExist" }]);
    assert.deepStrictEqual(violations(RULE, sts), [
      `${WHAT} cannot be met: the required node affinity allows only nodes without the label ${ZONE}, and DoNotSchedule never places a pod on a node without it; every pod stays Pending. Remove the DoesNotExist requirement on ${ZONE} or make the constraint ScheduleAnyway`,
    ]);
    const anyway = withField(
      sts,
      [...POD, "topologySpreadConstraints", 0, "whenUnsatisfiable"],
      "ScheduleAnyway",
    );
    assert.deepStrictEqual(violations(RULE, anyway), []);
  });

  it("bounds only the pods the constraint counts: minDomains of a selector of other pods passes", () => {
    const others = { labelSelector: { matchLabels: { "app.kubernetes.io/name": "other" } } };
    const sts = spread({ minDomains: 4, ...others }, [inZones("a", "b", "c")], 5);
    assert.deepStrictEqual(violations(RULE, sts), []);
    // Nodes without the label are filtered out whatever the selector counts.
    const none = spread(others, [{ key: ZONE, operator: "DoesNotExist" }]);
    assert.deepStrictEqual(violations(RULE, none).length, 1);
  });

  it("leaves nodeAffinityPolicy Ignore alone: the domains are then not the pods' to count", () => {
    const sts = spread({ minDomains: 4, nodeAffinityPolicy: "Ignore" }, [inZones("a")], 5);
    assert.deepStrictEqual(violations(RULE, sts), []);
  });

  it("reports unknown values as notes", () => {
    const zones = spread(
      { minDomains: 4 },
      [{ key: ZONE, operator: "In", values: UNKNOWN_SENTINELS.array }],
      5,
    );
    assert.deepStrictEqual(violations(RULE, zones), []);
    assert.deepStrictEqual(notes(RULE, zones), [
      "could not check spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: value unknown during preview",
    ]);
    const when = withField(
      spread({}),
      [...POD, "topologySpreadConstraints", 0, "whenUnsatisfiable"],
      UNKNOWN_STRING,
    );
    assert.deepStrictEqual(notes(RULE, when), [
      "could not check spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable: value unknown during preview",
    ]);
  });
});
