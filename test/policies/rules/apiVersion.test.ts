import * as assert from "assert";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations } from "../fixtures";

const RULE = "statefulset-api-version";

describe(RULE, () => {
  it("passes apps/v1", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("names removed versions and the core group", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(["apiVersion"], "apps/v1beta2")), [
      'apiVersion is "apps/v1beta2", which Kubernetes 1.16 removed: set apiVersion: apps/v1 (where spec.selector is required and immutable)',
    ]);
    assert.deepStrictEqual(violations(RULE, stsWith(["apiVersion"], "v1")), [
      'apiVersion is "v1", which has no StatefulSet: set apiVersion: apps/v1',
    ]);
  });

  it("reports an unknown apiVersion as a note", () => {
    const sts = stsWith(["apiVersion"], UNKNOWN_STRING);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      "could not check apiVersion: value unknown during preview",
    ]);
  });
});
