import * as assert from "assert";
import type { KubeObject } from "../../../policies/kube/objects";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { notes, stackObjects, statefulSet, stsWith, violations, withField } from "../fixtures";
import { restoredClaim as restored } from "../restoreFixtures";

const RULE = "statefulset-restore-covers-replicas";

const withClaims = (sts: KubeObject, claims: KubeObject[]) => ({
  objects: [...stackObjects(sts), ...claims],
});

describe(RULE, () => {
  it("passes when nothing is restored, and when every ordinal is", () => {
    const sts = statefulSet();
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(
      violations(
        RULE,
        sts,
        withClaims(
          sts,
          [0, 1, 2].map((i) => restored(i)),
        ),
      ),
      [],
    );
    assert.deepStrictEqual(
      notes(
        RULE,
        sts,
        withClaims(
          sts,
          [0, 1, 2].map((i) => restored(i)),
        ),
      ),
      [],
    );
  });

  it("refuses a restore that leaves an ordinal of spec.replicas out", () => {
    const sts = statefulSet();
    assert.deepStrictEqual(violations(RULE, sts, withClaims(sts, [restored(0), restored(1)])), [
      'spec.volumeClaimTemplates[0] ("data"): data-redis-0, data-redis-1 restored from VolumeSnapshots, but not data-redis-2 (spec.replicas is 3): pod redis-2 would start without the snapshots\' data beside restored peers; restore a claim for every ordinal 0..2, or set spec.replicas to the number of snapshots',
    ]);
  });

  it("counts a claim made in the stack without a snapshot as not restored", () => {
    const sts = statefulSet();
    const plain = withField(restored(2), ["spec", "dataSource"], undefined);
    const fromClaim = withField(restored(2), ["spec", "dataSource"], {
      kind: "PersistentVolumeClaim",
      name: "other",
    });
    for (const third of [plain, fromClaim]) {
      assert.equal(
        violations(RULE, sts, withClaims(sts, [restored(0), restored(1), third])).length,
        1,
      );
    }
    // dataSourceRef counts as dataSource does.
    const source = (restored(2).spec as { dataSource: unknown }).dataSource;
    const ref = withField(
      withField(restored(2), ["spec", "dataSourceRef"], source),
      ["spec", "dataSource"],
      undefined,
    );
    assert.deepStrictEqual(
      violations(RULE, sts, withClaims(sts, [restored(0), restored(1), ref])),
      [],
    );
  });

  it("refuses restored claims beyond the last ordinal, which no pod mounts", () => {
    const sts = stsWith(["spec", "replicas"], 2);
    assert.deepStrictEqual(
      violations(
        RULE,
        sts,
        withClaims(
          sts,
          [0, 1, 2].map((i) => restored(i)),
        ),
      ),
      [
        'spec.volumeClaimTemplates[0] ("data"): data-redis-2 restored from VolumeSnapshots, but the ordinals are 0..1 (spec.replicas is 2): no pod mounts it; set spec.replicas to cover every restored claim, or remove the extra ones',
      ],
    );
  });

  it("follows spec.ordinals.start", () => {
    const sts = stsWith(["spec", "ordinals"], { start: 1 });
    assert.deepStrictEqual(
      violations(
        RULE,
        sts,
        withClaims(
          sts,
          [1, 2, 3].map((i) => restored(i)),
        ),
      ),
      [],
    );
    assert.equal(
      violations(
        RULE,
        sts,
        withClaims(
          sts,
          [0, 1, 2].map((i) => restored(i)),
        ),
      ).length,
      2,
    );
  });

  it("ignores claims of other namespaces and other StatefulSets", () => {
    const sts = statefulSet();
    const elsewhere = restored(0, "other");
    const otherSts = withField(restored(0), ["metadata", "name"], "data-redis-x-0");
    assert.deepStrictEqual(violations(RULE, sts, withClaims(sts, [elsewhere, otherSts])), []);
  });

  it("says nothing, not even a note, in a stack that makes no claim (whatever is unknown)", () => {
    const sts = stsWith(["metadata", "namespace"], UNKNOWN_STRING);
    assert.deepStrictEqual(notes(RULE, sts), []);
    assert.deepStrictEqual(violations(RULE, sts), []);
  });

  it("reports a claim whose name or data source is unknown as a note", () => {
    const sts = statefulSet();
    const unnamed = withField(restored(2), ["metadata", "name"], UNKNOWN_STRING);
    const opts = withClaims(sts, [restored(0), restored(1), unnamed]);
    assert.deepStrictEqual(violations(RULE, sts, opts), []);
    assert.deepStrictEqual(notes(RULE, sts, opts), [
      'could not check claims in namespace "cache": value unknown during preview',
    ]);
    const unknownSource = withField(restored(1), ["spec", "dataSource", "kind"], UNKNOWN_STRING);
    const opts2 = withClaims(sts, [restored(0), unknownSource, restored(2)]);
    assert.deepStrictEqual(violations(RULE, sts, opts2), []);
    assert.deepStrictEqual(notes(RULE, sts, opts2), [
      "could not check spec.dataSource.kind: value unknown during preview",
    ]);
  });
});
