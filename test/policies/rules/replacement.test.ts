import * as assert from "assert";
import { DELETION_PROPAGATION } from "../../../components/statefulWorkload";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { StackIndex } from "../../../policies/kube/stackIndex";
import { evaluateRule } from "../../../policies/runner";
import { PROPAGATION_ANNOTATION } from "../../../policies/rules/replacement";
import { RULES_BY_NAME } from "../ruleNames";
import { notes, statefulSet, stsWith, violations, withField } from "../fixtures";

const ANNOTATION = ["metadata", "annotations", "pulumi.com/deletionPropagationPolicy"];
const WHEN_DELETED = ["spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"];

describe("statefulset-replace-orphans-pods", () => {
  const RULE = "statefulset-replace-orphans-pods";

  it("passes a StatefulSet that orphans on replacement", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("says a replacement deletes every pod without the annotation", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(ANNOTATION, undefined)), [
      'metadata.annotations["pulumi.com/deletionPropagationPolicy"] is not "orphan": if Pulumi replaces this StatefulSet (a change to serviceName, selector, volumeClaimTemplates or podManagementPolicy), it deletes every pod at once; set the annotation to orphan so the new StatefulSet adopts them',
    ]);
  });

  it("says nothing about manifests, which Pulumi does not replace", () => {
    const sts = stsWith(ANNOTATION, undefined);
    const rule = RULES_BY_NAME[RULE];
    assert.deepStrictEqual(evaluateRule(rule, sts, {}, StackIndex.EMPTY, "manifests"), []);
  });

  it("reports an unknown annotation as a note", () => {
    const sts = stsWith(ANNOTATION, UNKNOWN_STRING);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      'could not check metadata.annotations["pulumi.com/deletionPropagationPolicy"]: value unknown during preview',
    ]);
  });
});

describe("statefulset-replace-keeps-claims", () => {
  const RULE = "statefulset-replace-keeps-claims";
  const deleting = withField(stsWith(ANNOTATION, undefined), WHEN_DELETED, "Delete");

  it("passes Retain, or Delete with orphan propagation", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(ANNOTATION, undefined)), []);
    assert.deepStrictEqual(violations(RULE, stsWith(WHEN_DELETED, "Delete")), []);
  });

  it("says a replacement deletes every claim with Delete and no orphan annotation", () => {
    assert.deepStrictEqual(violations(RULE, deleting), [
      'spec.persistentVolumeClaimRetentionPolicy.whenDeleted is Delete and metadata.annotations["pulumi.com/deletionPropagationPolicy"] is not "orphan": if Pulumi replaces this StatefulSet (a change to serviceName, selector, volumeClaimTemplates or podManagementPolicy), every claim and its data is deleted; set the annotation to orphan, or whenDeleted to Retain',
    ]);
  });

  it("reports an unknown retention policy as a note", () => {
    const sts = withField(deleting, WHEN_DELETED, UNKNOWN_STRING);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      "could not check spec.persistentVolumeClaimRetentionPolicy.whenDeleted: value unknown during preview",
    ]);
  });
});

// policies/ is its own package and does not import components/: the annotation is written twice on
// purpose, and this keeps the components setting the one the policy reads.
describe("statefulset-replace-orphans-pods and components/statefulWorkload.ts", () => {
  it("read and set the same deletion propagation annotation", () => {
    assert.strictEqual(PROPAGATION_ANNOTATION, DELETION_PROPAGATION);
  });
});
