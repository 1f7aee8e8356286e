import * as assert from "assert";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations, withField } from "../fixtures";

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
  });

  it("says what an empty class does: no dynamic provisioning", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(CLASS, "")), [
      'spec.volumeClaimTemplates[0] ("data") spec.storageClassName is "", which turns dynamic provisioning off: each claim waits for a pre-created PersistentVolume without a class; name a StorageClass that provisions volumes',
    ]);
  });

  it("reads the deprecated storage-class annotation as Kubernetes does, and asks to move it", () => {
    const annotation = ["spec", "volumeClaimTemplates", 0, "metadata", "annotations"];
    const onlyAnnotated = withField(stsWith(CLASS, undefined), annotation, {
      "volume.beta.kubernetes.io/storage-class": "fast",
    });
    const moved =
      'spec.volumeClaimTemplates[0] ("data") names its class "fast" in the deprecated annotation volume.beta.kubernetes.io/storage-class, which Kubernetes reads before spec.storageClassName: set spec.storageClassName: "fast" and remove the annotation';
    assert.deepStrictEqual(violations(RULE, onlyAnnotated), [moved]);
    const same = withField(statefulSet(), annotation, {
      "volume.beta.kubernetes.io/storage-class": "fast",
    });
    assert.deepStrictEqual(violations(RULE, same), []);
    const other = withField(statefulSet(), annotation, {
      "volume.beta.kubernetes.io/storage-class": "premium",
    });
    assert.deepStrictEqual(violations(RULE, other, { config: { allowed: ["fast"] } }), [
      'spec.volumeClaimTemplates[0] ("data") names its class "premium" in the deprecated annotation volume.beta.kubernetes.io/storage-class, which Kubernetes reads before spec.storageClassName: set spec.storageClassName: "premium" and remove the annotation',
      'spec.volumeClaimTemplates[0] ("data") spec.storageClassName is "premium", which is not allowed here: use one of "fast"',
    ]);
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
