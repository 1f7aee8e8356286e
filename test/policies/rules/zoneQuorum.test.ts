import * as assert from "assert";
import { UNKNOWN_SENTINELS } from "../../../policies/kube/unknown";
import { largestZoneShare } from "../../../policies/rules/zoneQuorum";
import { notes, statefulSet, violations, withField } from "../fixtures";
import { POD, ZONE, zoned } from "../zoneFixtures";

const RULE = "statefulset-zone-quorum";

describe(RULE, () => {
  it("computes the most pods one zone can hold under maxSkew", () => {
    assert.strictEqual(largestZoneShare(3, 3, 1), 1);
    assert.strictEqual(largestZoneShare(4, 3, 1), 2);
    assert.strictEqual(largestZoneShare(3, 2, 1), 2);
    assert.strictEqual(largestZoneShare(5, 3, 2), 3);
    assert.strictEqual(largestZoneShare(3, 5, 1), 1);
    assert.strictEqual(largestZoneShare(3, 3, 5), 3);
  });

  it("passes when a zone holds at most a minority", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
    assert.deepStrictEqual(violations(RULE, zoned(3, ["a", "b", "c"])), []);
    assert.deepStrictEqual(violations(RULE, zoned(5, ["a", "b", "c"])), []);
    assert.deepStrictEqual(violations(RULE, zoned(7, ["a", "b", "c"])), []);
  });

  it("refuses zones where one may hold a majority", () => {
    assert.deepStrictEqual(violations(RULE, zoned(3, ["a", "b"])), [
      `spec.template.spec.topologySpreadConstraints[0] spreads 3 pods over 2 zone(s) ("a", "b") with maxSkew 1: one zone may hold 2 of them, and losing it leaves 1, no majority; allow more zones, run more replicas or lower maxSkew until a zone holds at most 1, or exempt a workload that needs no quorum`,
    ]);
    assert.strictEqual(violations(RULE, zoned(4, ["a", "b", "c"])).length, 1);
    assert.strictEqual(violations(RULE, zoned(5, ["a", "b", "c"], "DoNotSchedule", 2)).length, 1);
    const selected = withField(zoned(3, ["a", "b", "c"]), [...POD, "nodeSelector"], {
      [ZONE]: "a",
    });
    assert.strictEqual(violations(RULE, selected).length, 1, "the node selector pins one zone");
    const notInFirst = withField(
      zoned(3, ["a", "b", "c"]),
      [
        ...POD,
        "affinity",
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "nodeSelectorTerms",
        0,
        "matchExpressions",
      ],
      [
        { key: ZONE, operator: "NotIn", values: ["c"] },
        { key: ZONE, operator: "In", values: ["a", "b", "c"] },
      ],
    );
    assert.deepStrictEqual(
      violations(RULE, notInFirst),
      violations(RULE, zoned(3, ["a", "b"])),
      "NotIn before In leaves a and b",
    );
  });

  it("says nothing where the share is not bounded: a soft spread, unknown zones, few replicas", () => {
    assert.deepStrictEqual(violations(RULE, zoned(3, ["a", "b"], "ScheduleAnyway")), []);
    const anyZone = withField(zoned(3, ["a"]), [...POD, "affinity"], undefined);
    assert.deepStrictEqual(violations(RULE, anyZone), []);
    assert.deepStrictEqual(violations(RULE, zoned(2, ["a"])), []);
  });

  it("reads the zone label from config topologyKey", () => {
    const config = { topologyKey: "example.com/zone" };
    const custom = zoned(3, ["a", "b"], "DoNotSchedule", 1, "example.com/zone");
    assert.strictEqual(violations(RULE, custom, { config }).length, 1, "2 zones of that label");
    assert.deepStrictEqual(violations(RULE, custom), [], "not zones without the config");
    assert.deepStrictEqual(violations(RULE, zoned(3, ["a", "b"]), { config }), []);
    const three = zoned(3, ["a", "b", "c"], "DoNotSchedule", 1, "example.com/zone");
    assert.deepStrictEqual(violations(RULE, three, { config }), []);
  });

  it("reports unknown values as notes", () => {
    const replicas = withField(
      zoned(3, ["a", "b"]),
      ["spec", "replicas"],
      UNKNOWN_SENTINELS.number,
    );
    assert.deepStrictEqual(violations(RULE, replicas), []);
    assert.deepStrictEqual(notes(RULE, replicas), [
      "could not check spec.replicas: value unknown during preview",
    ]);
    const skew = withField(
      zoned(3, ["a", "b"]),
      [...POD, "topologySpreadConstraints", 0, "maxSkew"],
      UNKNOWN_SENTINELS.number,
    );
    assert.deepStrictEqual(notes(RULE, skew), [
      "could not check spec.template.spec.topologySpreadConstraints[0].maxSkew: value unknown during preview",
    ]);
  });
});
