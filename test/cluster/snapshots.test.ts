// Snapshot sets and restores on a real API server and StatefulSet controller: the worked example
// stack (stacks/Pulumi.snapshots.yaml) rendered by the real program, moved into a namespace of its
// own (`snap-<pid>`), with the upstream external-snapshotter CRDs installed when the cluster has
// none. What it shows: the API server accepts every VolumeSnapshot and restored claim the program
// renders (server-side apply, strict field validation) and refuses what the upstream CRD refuses;
// the StatefulSet controller adopts the pre-made claims `data-<name>-<i>` instead of making new ones.
// What it cannot show without a snapshot controller and a CSI driver (kind with csi-hostpath, or a
// real cluster): a VolumeSnapshot becoming ready, or a claim holding the snapshot's data.
import { strict as assert } from "assert";
import {
  applyAll,
  clearNamespaces,
  connectOrSkip,
  deleteVolumes,
  describeObject,
  markNamespace,
  Pod,
  provideVolumes,
  waitForRollout,
} from "./cluster";
import { crdProblems } from "./crds";
import { ApiError, Kube, KubeObject } from "./kube";
import { renderStack, StatefulSetManifest } from "./render";
import { ensureSnapshotCrds, isSnapshotObject, SNAPSHOTTER_MODULE } from "./snapshotApi";

const STACK = "snapshots";
/** The suite's own namespace (its volumes are marked with this too). */
const NS = `snap-${process.pid}`;
const ROLLOUT_MS = Number(process.env.CLUSTER_ROLLOUT_SECONDS ?? 300) * 1000;

interface Claim extends KubeObject {
  spec: { dataSource?: { kind: string; name: string }; volumeName?: string };
  status?: { phase?: string };
}

/** A copy of a rendered object in the suite's namespace. */
function moved<T extends KubeObject>(o: T): T {
  const copy = structuredClone(o);
  if (copy.metadata.namespace) copy.metadata.namespace = NS;
  return copy;
}

// Defined up front (no `run()` of its own): stacks.test.ts starts the delayed root suite.
{
  describe("snapshots and restore: API acceptance and claim adoption (no snapshot controller)", function () {
    this.timeout(ROLLOUT_MS + 180_000);
    let kube: Kube;
    let objects: KubeObject[] = [];
    let snapshots: KubeObject[] = [];
    let claims: Claim[] = [];
    let restored: StatefulSetManifest;

    before(async function () {
      this.timeout(420_000);
      kube = await connectOrSkip(this, "snapshot suite");
      console.log(`      VolumeSnapshot CRDs: ${await ensureSnapshotCrds(kube)}`);
      const r = await renderStack(STACK);
      objects = r.objects.filter((o) => o.kind !== "Namespace").map(moved);
      snapshots = [...r.objects, ...r.afterRollout].filter(isSnapshotObject).map(moved);
      claims = objects.filter((o): o is Claim => o.kind === "PersistentVolumeClaim");
      restored = r.statefulSets.map(moved).find((s) => s.metadata.name === "db-restored")!;
      assert.ok(snapshots.length > 0 && claims.length > 0 && restored, "the example renders both");
      await clearNamespaces(kube, [NS], 180_000);
      await deleteVolumes(kube, NS);
      const ns = r.objects.find((o) => o.kind === "Namespace")!;
      await kube.apply({ ...ns, metadata: { ...ns.metadata, name: NS } });
      await markNamespace(kube, NS, NS);
      // The rig's classes provision nothing: a volume per restored claim, pre-bound to it, before
      // any claim exists (an unbound claim would take a volume of the cluster's own pool).
      await provideVolumes(kube, NS, restored);
    });

    after(async function () {
      this.timeout(240_000);
      if (!kube) return;
      // The CRDs stay: they are cluster-scoped and other suites use them.
      await clearNamespaces(kube, [NS], 180_000);
      await deleteVolumes(kube, NS);
    });

    it(`serves the snapshot kinds the stack renders, in their versions, from established CRDs (those of ${SNAPSHOTTER_MODULE} if the cluster had none)`, async () => {
      assert.deepEqual(await crdProblems(kube, snapshots), []);
    });

    it("accepts every rendered VolumeSnapshot and restored claim: server-side apply, strict field validation, dry run then for real, no warnings", async () => {
      for (const dryRun of [true, false]) {
        const problems = await applyAll(kube, [...claims, ...snapshots], dryRun);
        assert.deepEqual(problems, [], dryRun ? "server dry run" : "apply");
      }
      for (const s of snapshots) {
        const live = await kube.get(s.apiVersion, s.kind, NS, s.metadata.name);
        assert.deepEqual(live.spec, s.spec, `${describeObject(s)}: spec as rendered`);
        // No snapshot controller: nobody takes the snapshot, so it never becomes ready.
        assert.equal((live.status as { readyToUse?: boolean } | undefined)?.readyToUse, undefined);
      }
    });

    it("refuses what the upstream CRD refuses: an empty class, and a changed source (immutable)", async () => {
      const s = snapshots[0];
      const refusal = async (o: KubeObject) =>
        kube.apply(o, true).then(
          () => "accepted",
          (err: unknown) => (err instanceof ApiError ? err.message : String(err)),
        );
      const emptyClass = structuredClone(s);
      (emptyClass.spec as { volumeSnapshotClassName: string }).volumeSnapshotClassName = "";
      assert.match(
        await refusal(emptyClass),
        /volumeSnapshotClassName must not be the empty string/,
      );
      const otherSource = structuredClone(s);
      (otherSource.spec as { source: object }).source = { persistentVolumeClaimName: "other" };
      assert.match(await refusal(otherSource), /persistentVolumeClaimName is immutable/);
    });

    it("a StatefulSet adopts the pre-made claims data-<name>-<i> (restored ones) and makes none of its own", async () => {
      const ours = claims.filter((c) =>
        c.metadata.name.startsWith(`data-${restored.metadata.name}-`),
      );
      assert.equal(ours.length, restored.spec.replicas, "one restored claim per pod");
      const before = new Map<string, string>();
      for (const c of ours) {
        const live = await kube.get<Claim>("v1", "PersistentVolumeClaim", NS, c.metadata.name);
        before.set(c.metadata.name, live.metadata.uid!);
      }
      // What the StatefulSet needs besides its claims (Service, ConfigMap, Secret, account, ...).
      const needed = objects.filter(
        (o) =>
          o.kind !== "StatefulSet" &&
          o.kind !== "PersistentVolumeClaim" &&
          o.metadata.labels?.["app.kubernetes.io/instance"] === restored.metadata.name,
      );
      for (const o of needed) await kube.apply(o);
      await kube.apply(restored);
      await waitForRollout(kube, restored, ROLLOUT_MS);
      for (let i = 0; i < (restored.spec.replicas ?? 1); i++) {
        const name = `data-${restored.metadata.name}-${i}`;
        const pod = await kube.get<Pod>("v1", "Pod", NS, `${restored.metadata.name}-${i}`);
        const volume = pod.spec.volumes?.find((v) => v.name === "data");
        assert.equal(volume?.persistentVolumeClaim?.claimName, name, `pod ${i} mounts ${name}`);
        const live = await kube.get<Claim>("v1", "PersistentVolumeClaim", NS, name);
        assert.equal(live.metadata.uid, before.get(name), `${name} is the pre-made claim, adopted`);
        assert.equal(live.spec.dataSource?.kind, "VolumeSnapshot");
        assert.equal(live.spec.dataSource?.name, `db-before-upgrade-${i}`);
        assert.equal(live.status?.phase, "Bound");
        assert.equal(live.spec.volumeName, `cluster-suite-${NS}-${name}`, "the suite's own volume");
      }
      const all = await kube.list<Claim>("v1", "PersistentVolumeClaim", NS);
      assert.deepEqual(
        all
          .map((c) => c.metadata.name)
          .filter((n) => n.startsWith(`data-${restored.metadata.name}-`))
          .sort(),
        ours.map((c) => c.metadata.name).sort(),
        "the controller made no claim of its own",
      );
    });

    it.skip(
      "restores the snapshot's data into each claim (needs the CSI snapshot controller and a CSI driver: kind with csi-hostpath, or a real cluster; the rig has neither)",
    );
  });
}
