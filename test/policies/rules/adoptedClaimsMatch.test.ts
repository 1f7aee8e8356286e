import * as assert from "assert";
import type { KubeObject } from "../../../policies/kube/objects";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { NS, notes, stackObjects, statefulSet, violations, withField } from "../fixtures";

const RULE = "statefulset-adopted-claims-match";

/** Claim data-redis-0 as the stack makes it for the StatefulSet: like its template. */
function claim(): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data-redis-0", namespace: NS },
    spec: {
      storageClassName: "fast",
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Gi" } },
      dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "s-0" },
    },
  };
}

const check = (c: KubeObject) => {
  const sts = statefulSet();
  return { sts, opts: { objects: [...stackObjects(sts), c] } };
};
const found = (c: KubeObject) => {
  const { sts, opts } = check(c);
  return violations(RULE, sts, opts);
};
const BETA = "volume.beta.kubernetes.io/storage-class";
const WHAT = "claim data-redis-0 (adopted by name, nothing else compared)";

describe(RULE, () => {
  it("passes with no claim made in the stack, and with one like its template", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
    assert.deepStrictEqual(found(claim()), []);
    // A larger claim is fine: the template's size is the least a pod gets.
    assert.deepStrictEqual(
      found(withField(claim(), ["spec", "resources", "requests", "storage"], "2048Mi")),
      [],
    );
  });

  it("refuses another StorageClass, or none", () => {
    assert.deepStrictEqual(found(withField(claim(), ["spec", "storageClassName"], "slow")), [
      `${WHAT} has spec.storageClassName "slow" but spec.volumeClaimTemplates[0] ("data") has "fast": its pod would run on another class than its peers; make the claim's class "fast"`,
    ]);
    assert.deepStrictEqual(found(withField(claim(), ["spec", "storageClassName"], undefined)), [
      `${WHAT} has no spec.storageClassName but spec.volumeClaimTemplates[0] ("data") has "fast": its pod would run on another class than its peers; make the claim's class "fast"`,
    ]);
  });

  it("reads the deprecated storage-class annotation first, on the claim and the template", () => {
    const annotated = (obj: KubeObject, path: (string | number)[], cls: string) =>
      withField(obj, [...path, "metadata", "annotations"], { [BETA]: cls });
    const TEMPLATE = ["spec", "volumeClaimTemplates", 0];
    assert.deepStrictEqual(found(annotated(claim(), [], "slow")), [
      `${WHAT} has class "slow" in the annotation ${BETA} (which Kubernetes reads before spec.storageClassName) but spec.volumeClaimTemplates[0] ("data") has "fast": its pod would run on another class than its peers; make the claim's class "fast" in spec.storageClassName and remove the annotation`,
    ]);
    assert.deepStrictEqual(found(annotated(claim(), [], "fast")), []);
    const run = (sts: KubeObject, c: KubeObject) =>
      violations(RULE, sts, { objects: [...stackObjects(sts), c] });
    // The template's class is its annotation's, whatever its spec says.
    const slowTemplate = withField(statefulSet(), [...TEMPLATE, "spec", "storageClassName"], "x");
    assert.deepStrictEqual(run(annotated(slowTemplate, TEMPLATE, "fast"), claim()), []);
    const onlyAnnotated = annotated(
      withField(statefulSet(), [...TEMPLATE, "spec", "storageClassName"], undefined),
      TEMPLATE,
      "premium",
    );
    assert.deepStrictEqual(run(onlyAnnotated, claim()), [
      `${WHAT} has spec.storageClassName "fast" but spec.volumeClaimTemplates[0] ("data") has "premium": its pod would run on another class than its peers; make the claim's class "premium"`,
    ]);
  });

  it("refuses other access modes", () => {
    assert.deepStrictEqual(
      found(withField(claim(), ["spec", "accessModes"], ["ReadWriteOncePod"])),
      [
        `${WHAT} has spec.accessModes [ReadWriteOncePod] but spec.volumeClaimTemplates[0] ("data") has [ReadWriteOnce]: make them the same`,
      ],
    );
  });

  it("refuses a smaller size, in any unit", () => {
    assert.deepStrictEqual(
      found(withField(claim(), ["spec", "resources", "requests", "storage"], "1G")),
      [
        `${WHAT} requests 1G but spec.volumeClaimTemplates[0] ("data") requests 1Gi: its pod would get a smaller volume than its peers; request at least 1Gi`,
      ],
    );
  });

  it("says nothing, not even a note, in a stack that makes no claim", () => {
    const sts = withField(statefulSet(), ["metadata", "namespace"], UNKNOWN_STRING);
    assert.deepStrictEqual(notes(RULE, sts), []);
  });

  it("reports an unknown class as a note, and still checks the rest", () => {
    const c = withField(
      withField(claim(), ["spec", "storageClassName"], UNKNOWN_STRING),
      ["spec", "resources", "requests", "storage"],
      "512Mi",
    );
    const { sts, opts } = check(c);
    assert.equal(violations(RULE, sts, opts).length, 1);
    assert.deepStrictEqual(notes(RULE, sts, opts), [
      "could not check spec.storageClassName: value unknown during preview",
    ]);
  });
});
