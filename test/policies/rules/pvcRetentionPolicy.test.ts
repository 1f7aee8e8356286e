import * as assert from "assert";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations, withField } from "../fixtures";

const RULE = "statefulset-pvc-retention-policy";
const POLICY = ["spec", "persistentVolumeClaimRetentionPolicy"];
const P = "spec.persistentVolumeClaimRetentionPolicy";

describe(RULE, () => {
  it("passes with both fields set", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("requires the policy", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(POLICY, undefined)), [
      `${P} is not set: set whenDeleted and whenScaled explicitly (Retain keeps the claims and their data)`,
    ]);
  });

  it("requires both fields with valid values", () => {
    assert.deepStrictEqual(violations(RULE, stsWith([...POLICY, "whenScaled"], undefined)), [
      `${P}.whenScaled is not set: set it to Retain or Delete`,
    ]);
    assert.deepStrictEqual(violations(RULE, stsWith([...POLICY, "whenDeleted"], "Keep")), [
      `${P}.whenDeleted is "Keep": use Retain or Delete`,
    ]);
  });

  it("does not apply without claim templates", () => {
    const sts = withField(stsWith(["spec", "volumeClaimTemplates"], undefined), POLICY, undefined);
    assert.deepStrictEqual(violations(RULE, sts), []);
  });

  it("allows Delete unless config.forbidDelete", () => {
    const sts = stsWith(POLICY, { whenDeleted: "Delete", whenScaled: "Delete" });
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(violations(RULE, sts, { config: { forbidDelete: true } }), [
      `${P}.whenDeleted is Delete, which this stack forbids: set it to Retain so deleting the StatefulSet keeps the claims`,
      `${P}.whenScaled is Delete, which this stack forbids: set it to Retain so scaling down keeps the claims`,
    ]);
  });

  it("reports an unknown policy as a note", () => {
    const sts = stsWith([...POLICY, "whenDeleted"], UNKNOWN_STRING);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      `could not check ${P}.whenDeleted: value unknown during preview`,
    ]);
  });
});
