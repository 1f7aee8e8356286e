import * as assert from "assert";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations } from "../fixtures";

const RULE = "statefulset-storage-class";
const CLASS = ["spec", "volumeClaimTemplates", 0, "spec", "storageClassName"];

describe(RULE, () => {
  it("passes with a named class", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("requires a non-empty storageClassName", () => {
    const expected = [
      'spec.volumeClaimTemplates[0] ("data") has no spec.storageClassName: name a StorageClass explicitly; an unset class falls back to the cluster\'s default, which differs between clusters',
    ];
    assert.deepStrictEqual(violations(RULE, stsWith(CLASS, undefined)), expected);
    assert.deepStrictEqual(violations(RULE, stsWith(CLASS, "")), expected);
  });

  it("passes a StatefulSet without claim templates", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(["spec", "volumeClaimTemplates"], [])), []);
  });

  it("restricts classes to config.allowed", () => {
    const config = { allowed: ["premium", "standard"] };
    assert.deepStrictEqual(violations(RULE, statefulSet(), { config }), [
      'spec.volumeClaimTemplates[0] ("data") spec.storageClassName is "fast", which is not allowed here: use one of "premium", "standard"',
    ]);
    assert.deepStrictEqual(violations(RULE, statefulSet(), { config: { allowed: ["fast"] } }), []);
    assert.deepStrictEqual(violations(RULE, statefulSet(), { config: { allowed: [] } }), []);
  });

  it("reports an unknown class as a note", () => {
    const sts = stsWith(CLASS, UNKNOWN_STRING);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      "could not check spec.volumeClaimTemplates[0].spec.storageClassName: value unknown during preview",
    ]);
  });
});
