import { strict as assert } from "assert";
import { parseBytes } from "../../../components/quantity";
import {
  annotatedClass,
  BETA_ANNOTATION,
  claimClass,
  claimName,
  claimTemplates,
  ordinalOf,
  ordinalRange,
  restoredFrom,
  storageBytes,
  templateClaims,
  templateLabel,
} from "../../../policies/kube/claims";
import { Field } from "../../../policies/kube/fields";
import type { KubeObject } from "../../../policies/kube/objects";
import {
  UNKNOWN_SENTINELS,
  UNKNOWN_STRING,
  UnknownValueError,
} from "../../../policies/kube/unknown";

// The pack is its own package and cannot import the program's quantity parser, so it has its own;
// this keeps the two equal wherever both read a quantity.
describe("policies/kube/claims storageBytes", () => {
  const shared = ["1", "512Mi", "10Gi", "1.5Gi", "1G", "500M", "2Ti", "3k", "1Ei"];

  it("reads every quantity the program's parser reads, to the same number of bytes", () => {
    for (const q of shared) assert.equal(storageBytes(q), parseBytes(q), q);
  });

  it("also reads what the API server accepts beyond the stack file's forms", () => {
    assert.equal(storageBytes("1e3"), 1000);
    assert.equal(storageBytes(2048), 2048);
  });

  it("reads nothing else", () => {
    for (const q of ["10GB", "ten", "-1Gi", "", "1.Gi", undefined, null, {}]) {
      assert.equal(storageBytes(q), undefined, JSON.stringify(q));
    }
  });
});

describe("policies/kube/claims names and ordinals", () => {
  const sts = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db" },
    spec,
  });

  it("ordinalRange: 0 up to spec.replicas, or from spec.ordinals.start", () => {
    assert.deepEqual(ordinalRange(sts({ replicas: 3 })), { start: 0, end: 3 });
    assert.deepEqual(ordinalRange(sts({})), { start: 0, end: 1 }, "replicas defaults to 1");
    assert.deepEqual(ordinalRange(sts({ replicas: 3, ordinals: { start: 5 } })), {
      start: 5,
      end: 8,
    });
    assert.deepEqual(ordinalRange(sts({ replicas: 0, ordinals: { start: 2 } })), {
      start: 2,
      end: 2,
    });
    assert.throws(
      () => ordinalRange(sts({ replicas: 3, ordinals: { start: UNKNOWN_SENTINELS.number } })),
      UnknownValueError,
    );
  });

  it("claimName and ordinalOf: <template>-<statefulSet>-<ordinal>, and back", () => {
    assert.equal(claimName("data", "db", 2), "data-db-2");
    assert.equal(ordinalOf("data-db-2", "data", "db"), 2);
    assert.equal(ordinalOf("data-db-10", "data", "db"), 10);
    for (const other of [
      "data-db-",
      "data-db-02",
      "data-db-x",
      "data-db-1-0",
      "data-web-0",
      "logs-db-0",
    ]) {
      assert.equal(ordinalOf(other, "data", "db"), undefined, other);
    }
    // A StatefulSet whose name extends another's: data-db-x-0 is not one of db's claims.
    assert.equal(ordinalOf("data-db-x-0", "data", "db"), undefined);
  });

  it("claimTemplates: the templates with a name, labelled for messages", () => {
    const templates = claimTemplates(
      sts({
        volumeClaimTemplates: [
          { metadata: { name: "data" } },
          { metadata: {} },
          { metadata: { name: "" } },
          { metadata: { name: "wal" } },
        ],
      }),
    );
    assert.deepEqual(
      templates.map((t) => [t.name, t.label, t.field.path]),
      [
        ["data", 'spec.volumeClaimTemplates[0] ("data")', "spec.volumeClaimTemplates[0]"],
        ["wal", 'spec.volumeClaimTemplates[3] ("wal")', "spec.volumeClaimTemplates[3]"],
      ],
    );
    assert.deepEqual(claimTemplates(sts({})), []);
    const field = Field.root({}).at("spec").at("volumeClaimTemplates");
    assert.equal(templateLabel(field, undefined), "spec.volumeClaimTemplates");
    assert.equal(templateLabel(field, "data"), 'spec.volumeClaimTemplates ("data")');
  });

  it("templateClaims: the claims a template names for the StatefulSet, by ordinal", () => {
    const claim = (name: unknown): KubeObject => ({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name },
    });
    const objects = [
      claim("data-db-2"),
      claim("data-db-0"),
      claim("wal-db-1"),
      claim("data-web-0"),
      claim(UNKNOWN_STRING),
      claim(undefined),
    ];
    assert.deepEqual(
      templateClaims(objects, "data", "db").map((c) => [c.name, c.ordinal, c.claim]),
      [
        ["data-db-0", 0, objects[1]],
        ["data-db-2", 2, objects[0]],
      ],
    );
    assert.deepEqual(templateClaims([], "data", "db"), []);
  });
});

describe("policies/kube/claims restoredFrom", () => {
  const snapshot = { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "s-0" };
  const claim = (spec: Record<string, unknown>): KubeObject => ({
    kind: "PersistentVolumeClaim",
    spec,
  });

  it("names the VolumeSnapshot of dataSourceRef, else of dataSource", () => {
    assert.equal(restoredFrom(claim({ dataSource: snapshot })), "s-0");
    assert.equal(restoredFrom(claim({ dataSourceRef: snapshot })), "s-0");
    assert.equal(
      restoredFrom(claim({ dataSourceRef: { ...snapshot, name: "ref" }, dataSource: snapshot })),
      "ref",
    );
    // A snapshot without a name still restores (the API server refuses it): "" says so.
    assert.equal(restoredFrom(claim({ dataSource: { ...snapshot, name: undefined } })), "");
  });

  it("is undefined for a claim restored from nothing, or from anything but a VolumeSnapshot", () => {
    assert.equal(restoredFrom(claim({})), undefined);
    assert.equal(restoredFrom({ kind: "PersistentVolumeClaim" }), undefined);
    assert.equal(
      restoredFrom(claim({ dataSource: { kind: "PersistentVolumeClaim", name: "other" } })),
      undefined,
    );
    assert.equal(
      restoredFrom(claim({ dataSource: { ...snapshot, apiGroup: "example.com" } })),
      undefined,
      "another group's VolumeSnapshot",
    );
    assert.equal(
      restoredFrom(
        claim({ dataSourceRef: { kind: "Populator", name: "p" }, dataSource: snapshot }),
      ),
      undefined,
      "dataSourceRef wins",
    );
  });

  it("throws when the source is unknown", () => {
    assert.throws(
      () => restoredFrom(claim({ dataSource: { ...snapshot, kind: UNKNOWN_STRING } })),
      UnknownValueError,
    );
    assert.throws(() => restoredFrom(claim({ dataSourceRef: UNKNOWN_STRING })), UnknownValueError);
  });
});

describe("policies/kube/claims claimClass", () => {
  const claim = (annotations: unknown, storageClassName?: unknown) =>
    Field.root({ metadata: { annotations }, spec: { storageClassName } });

  it("reads the deprecated annotation first, else spec.storageClassName", () => {
    assert.equal(claimClass(claim(undefined, "fast")), "fast");
    assert.equal(claimClass(claim({ [BETA_ANNOTATION]: "slow" }, "fast")), "slow");
    assert.equal(claimClass(claim({ [BETA_ANNOTATION]: "slow" })), "slow");
    // Present, even empty, the annotation is the class (Kubernetes checks presence only).
    assert.equal(claimClass(claim({ [BETA_ANNOTATION]: "" }, "fast")), "");
    assert.equal(claimClass(claim({ other: "x" })), undefined);
    assert.equal(annotatedClass(claim(undefined, "fast")), undefined);
    assert.equal(annotatedClass(claim({ [BETA_ANNOTATION]: "slow" }, "fast")), "slow");
  });

  it("throws when either is unknown", () => {
    assert.throws(
      () => claimClass(claim({ [BETA_ANNOTATION]: UNKNOWN_STRING })),
      UnknownValueError,
    );
    assert.throws(() => claimClass(claim(undefined, UNKNOWN_STRING)), UnknownValueError);
  });
});
