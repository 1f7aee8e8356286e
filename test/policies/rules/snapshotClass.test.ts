import * as assert from "assert";
import type { KubeObject } from "../../../policies/kube/objects";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { notes, stackObjects, statefulSet, violations, withField } from "../fixtures";
import { volumeSnapshot as snapshot } from "../restoreFixtures";

const RULE = "statefulset-snapshot-class";

const run = (s: KubeObject) => {
  const sts = statefulSet();
  const opts = { objects: [...stackObjects(sts), s] };
  return { violations: violations(RULE, sts, opts), notes: notes(RULE, sts, opts) };
};

describe(RULE, () => {
  it("passes with no snapshot, and with a snapshot that names its class", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
    assert.deepStrictEqual(run(snapshot()), { violations: [], notes: [] });
  });

  it("refuses a snapshot of the StatefulSet's claim without a class", () => {
    const expected = [
      'VolumeSnapshot "redis-nightly-0" of claim data-redis-0 names no spec.volumeSnapshotClassName: the cluster\'s default VolumeSnapshotClass would take it, which differs between clusters (or does not exist, and the snapshot is never taken); name the class',
    ];
    const spec = ["spec", "volumeSnapshotClassName"];
    assert.deepStrictEqual(run(withField(snapshot(), spec, undefined)).violations, expected);
    assert.deepStrictEqual(run(withField(snapshot(), spec, "")).violations, expected);
  });

  it("ignores snapshots of other claims and of other namespaces", () => {
    const spec = ["spec", "volumeSnapshotClassName"];
    const other = withField(
      withField(snapshot(), spec, undefined),
      ["spec", "source", "persistentVolumeClaimName"],
      "data-web-0",
    );
    assert.deepStrictEqual(run(other).violations, []);
    const elsewhere = withField(
      withField(snapshot(), spec, undefined),
      ["metadata", "namespace"],
      "other",
    );
    assert.deepStrictEqual(run(elsewhere).violations, []);
    // A snapshot of a content (pre-provisioned) names no claim.
    const content = withField(withField(snapshot(), spec, undefined), ["spec", "source"], {
      volumeSnapshotContentName: "c",
    });
    assert.deepStrictEqual(run(content).violations, []);
  });

  it("says nothing, not even a note, in a stack that makes no VolumeSnapshot", () => {
    const sts = withField(statefulSet(), ["metadata", "namespace"], UNKNOWN_STRING);
    assert.deepStrictEqual(notes(RULE, sts), []);
  });

  it("refuses a snapshot whose name is unknown during preview: it is matched by its source", () => {
    const unnamed = withField(
      withField(snapshot(), ["spec", "volumeSnapshotClassName"], undefined),
      ["metadata", "name"],
      UNKNOWN_STRING,
    );
    assert.deepStrictEqual(run(unnamed), {
      violations: [
        "VolumeSnapshot (name unknown during preview) of claim data-redis-0 names no spec.volumeSnapshotClassName: the cluster's default VolumeSnapshotClass would take it, which differs between clusters (or does not exist, and the snapshot is never taken); name the class",
      ],
      notes: [],
    });
    const named = withField(unnamed, ["spec", "volumeSnapshotClassName"], "csi-snapclass");
    assert.deepStrictEqual(run(named), { violations: [], notes: [] });
  });

  it("reports an unknown class or source as a note", () => {
    const unknownClass = withField(snapshot(), ["spec", "volumeSnapshotClassName"], UNKNOWN_STRING);
    assert.deepStrictEqual(run(unknownClass), {
      violations: [],
      notes: ["could not check spec.volumeSnapshotClassName: value unknown during preview"],
    });
    const unknownSource = withField(
      withField(snapshot(), ["spec", "volumeSnapshotClassName"], undefined),
      ["spec", "source", "persistentVolumeClaimName"],
      UNKNOWN_STRING,
    );
    assert.deepStrictEqual(run(unknownSource), {
      violations: [],
      notes: [
        "could not check spec.source.persistentVolumeClaimName: value unknown during preview",
      ],
    });
  });
});
