// The CLI keeps what the snapshot and restore rules read of claims and VolumeSnapshots (it drops
// most of every object that is not a StatefulSet): the same findings over manifests as in the pack.
import * as assert from "assert";
import * as YAML from "yaml";
import { runCli } from "./cliRun";
import { NS, stackObjects } from "./fixtures";

const claim = (i: number, storageClassName = "fast") => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name: `data-redis-${i}`, namespace: NS, labels: { a: "b" } },
  spec: {
    storageClassName,
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: "1Gi" } },
    dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: `s-${i}` },
  },
});

const snapshot = {
  apiVersion: "snapshot.storage.k8s.io/v1",
  kind: "VolumeSnapshot",
  metadata: { name: "redis-nightly-0", namespace: NS },
  spec: { source: { persistentVolumeClaimName: "data-redis-0" } },
};

const manifests = (objects: object[]) => objects.map((o) => YAML.stringify(o)).join("---\n");
const RULES = /statefulset-(restore-covers-replicas|adopted-claims-match|snapshot-class) /;
/** The findings of the snapshot and restore rules, one line each. */
const ours = (lines: string[]) => lines.filter((l) => RULES.test(l));

describe("stateful-policy check: restored claims and VolumeSnapshots", () => {
  it("passes a StatefulSet whose every claim is restored like its template", async () => {
    const r = await runCli(
      ["check", "-"],
      manifests([...stackObjects(), claim(0), claim(1), claim(2)]),
    );
    assert.strictEqual(r.code, 0, r.stdout);
    assert.deepStrictEqual(ours(r.lines), []);
  });

  it("reports a partial restore, a claim of another class and a snapshot without a class", async () => {
    const r = await runCli(
      ["check", "-"],
      manifests([...stackObjects(), claim(0), claim(1, "slow"), snapshot]),
    );
    assert.strictEqual(r.code, 1);
    assert.deepStrictEqual(
      ours(r.lines).map((l) => l.replace(/\): .*/, ")")),
      [
        "[mandatory] statefulset-restore-covers-replicas (StatefulSet cache/redis)",
        "[mandatory] statefulset-adopted-claims-match (StatefulSet cache/redis)",
        "[mandatory] statefulset-snapshot-class (StatefulSet cache/redis)",
      ],
    );
    assert.match(ours(r.lines)[0], /but not data-redis-2 \(spec\.replicas is 3\)/);
    assert.match(ours(r.lines)[1], /claim data-redis-1 .* has spec\.storageClassName "slow"/);
  });

  it("reads a claim's class from the deprecated annotation, as Kubernetes does", async () => {
    const annotated = {
      ...claim(2),
      metadata: {
        ...claim(2).metadata,
        annotations: { "volume.beta.kubernetes.io/storage-class": "slow", other: "x" },
      },
    };
    const r = await runCli(
      ["check", "-"],
      manifests([...stackObjects(), claim(0), claim(1), annotated]),
    );
    assert.strictEqual(r.code, 1, r.stdout);
    assert.deepStrictEqual(
      ours(r.lines).map((l) => l.replace(/\): .*/, ")")),
      ["[mandatory] statefulset-adopted-claims-match (StatefulSet cache/redis)"],
    );
    assert.match(ours(r.lines)[0], /claim data-redis-2 .* has class "slow" in the annotation/);
  });
});
