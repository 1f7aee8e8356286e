// Every stack's objects on a real API server and its controllers: each object is applied with
// server-side apply and strict field validation (server dry run first) in the namespaces the stack
// creates, under their Pod Security labels; then the suite asserts what only the controllers show.
// Runs against the cluster of KUBECONFIG (the rig, kind, or a real disposable cluster); without one
// it prints one line saying what is missing and defines no test (CLUSTER_TEST_REQUIRED=1 fails).
import { strict as assert } from "assert";
import { stackNames } from "../../harness/stacks";
import {
  HOW_TO_RUN,
  MARK,
  Pod,
  PodLog,
  StatefulSetLive,
  applyAll,
  applyOrder,
  bytesOf,
  clearNamespaces,
  connect,
  controllerOf,
  deleteVolumes,
  describeObject,
  isApiError,
  isReady,
  markNamespace,
  podEndpoints,
  provideVolumes,
  storageClass,
  waitForRollout,
} from "./cluster";
import { Kube, KubeObject, OwnerReference, sleep, waitFor } from "./kube";
import {
  RenderedStack,
  RetentionPolicy,
  StatefulSetManifest,
  claimNames,
  mapStorageClasses,
  renderStack,
  selectorOf,
  storageClassMap,
} from "./render";
import { ensureSnapshotCrds, isSnapshotObject } from "./snapshotApi";
import { ensureServiceMonitorCrd, isMonitoringObject } from "./prometheusOperatorApi";
import { ensureCertificateCrd, isCertManagerObject } from "./certManagerApi";

/** How long one StatefulSet may take to roll out (CLUSTER_ROLLOUT_SECONDS, default 300). */
const ROLLOUT_MS = Number(process.env.CLUSTER_ROLLOUT_SECONDS ?? 300) * 1000;
/** How long the controllers get to converge after a change (claims, endpoints, PDB status). */
const SETTLE_MS = 60_000;
/** The non-expandable StorageClass the refusal of a claim expansion is shown under. */
const FIXED_CLASS = "fixed";

interface Claim extends KubeObject {
  spec: {
    storageClassName?: string;
    volumeName?: string;
    resources: { requests: { storage: string } };
  };
  status?: { phase?: string; capacity?: { storage?: string } };
}

interface PersistentVolume extends KubeObject {
  spec: { storageClassName?: string };
}

interface Pdb extends KubeObject {
  spec: {
    maxUnavailable?: number | string;
    minAvailable?: number | string;
    selector: { matchLabels?: Record<string, string> };
  };
  status?: {
    observedGeneration?: number;
    expectedPods?: number;
    currentHealthy?: number;
    disruptionsAllowed?: number;
  };
}

interface Service extends KubeObject {
  spec: { selector?: Record<string, string>; publishNotReadyAddresses?: boolean };
}

/** The PDB's promise when every pod is healthy: how many pods may be disrupted at once. */
function promisedDisruptions(pdb: Pdb, expected: number): number {
  const scaled = (v: number | string) =>
    typeof v === "number" ? v : Math.ceil((parseFloat(v) / 100) * expected);
  if (pdb.spec.maxUnavailable !== undefined) {
    return Math.min(expected, scaled(pdb.spec.maxUnavailable));
  }
  if (pdb.spec.minAvailable !== undefined) {
    return Math.max(0, expected - scaled(pdb.spec.minAvailable));
  }
  return 0;
}

/**
 * A StatefulSet built from a rendered one, for the controller behaviours no stack combines: its own
 * name and instance label (so the stack's Services and budgets do not select its pods), and the
 * replicas, retention or StorageClass a scenario needs.
 */
function variantOf(
  base: StatefulSetManifest,
  suffix: string,
  change: { replicas?: number; retention?: RetentionPolicy; storageClass?: string },
): StatefulSetManifest {
  const v = structuredClone(base);
  const name = `${base.metadata.name}-${suffix}`;
  v.metadata.name = name;
  const relabel = (labels: Record<string, string> | undefined) => {
    const out = { ...labels };
    for (const [k, value] of Object.entries(out)) if (value === base.metadata.name) out[k] = name;
    out[`${MARK}-variant`] = suffix;
    return out;
  };
  v.metadata.labels = relabel(v.metadata.labels);
  v.spec.selector.matchLabels = relabel(v.spec.selector.matchLabels);
  v.spec.template.metadata.labels = relabel(v.spec.template.metadata.labels);
  // The scenarios are about claims and owners, not shutdown: pods go without a grace period.
  v.spec.template.spec.terminationGracePeriodSeconds = 1;
  if (change.replicas !== undefined) v.spec.replicas = change.replicas;
  if (change.retention) v.spec.persistentVolumeClaimRetentionPolicy = change.retention;
  if (change.storageClass) {
    for (const t of v.spec.volumeClaimTemplates ?? [])
      t.spec.storageClassName = change.storageClass;
  }
  return v;
}

function ownedBy(o: KubeObject, kind: string, uid?: string): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.kind === kind && (!uid || r.uid === uid));
}

function defineStack(kube: Kube, stack: string): void {
  describe(`stack ${stack}`, function () {
    this.timeout(ROLLOUT_MS + 4 * SETTLE_MS);
    let r: RenderedStack;
    /** Every namespace the suite deletes afterwards: the stack's, and any it only uses. */
    let namespaces: string[] = [];
    const pods = new PodLog();
    /** Each StatefulSet as the cluster last reported it after its rollout, by name. */
    const live = new Map<string, StatefulSetLive>();
    let createdFixedClass = false;

    const getClaim = (ns: string, name: string) =>
      kube.find<Claim>("v1", "PersistentVolumeClaim", ns, name);
    const podsOf = (s: StatefulSetManifest) =>
      kube.list<Pod>("v1", "Pod", s.metadata.namespace, {
        labelSelector: selectorOf(s.spec.selector.matchLabels),
      });

    /** Applies a StatefulSet (providing volumes first where the class needs them) and waits. */
    async function rollOut(s: StatefulSetManifest): Promise<StatefulSetLive> {
      await provideVolumes(kube, stack, s);
      const { warnings } = await kube.apply(s);
      assert.deepEqual(warnings, [], `${describeObject(s)}: warnings on apply`);
      const l = await waitForRollout(kube, s, ROLLOUT_MS);
      live.set(s.metadata.name, l);
      return l;
    }

    /** Scales a StatefulSet by applying it with fewer replicas, and waits for the pods to go. */
    async function scaleDown(s: StatefulSetManifest, replicas: number): Promise<void> {
      const smaller = structuredClone(s);
      smaller.spec.replicas = replicas;
      await kube.apply(smaller);
      await waitForRollout(kube, smaller, ROLLOUT_MS);
      await waitFor(
        `${describeObject(s)} to have ${replicas} pods`,
        async () => ((await podsOf(s)).length === replicas ? true : undefined),
        SETTLE_MS,
      );
    }

    /** Deletes a StatefulSet and waits until the API server no longer has it. */
    async function deleteSts(s: StatefulSetManifest, policy: "Background" | "Orphan") {
      await kube.delete(s, policy);
      const { namespace, name } = s.metadata;
      await waitFor(
        `${describeObject(s)} to be deleted`,
        async () =>
          (await kube.find("apps/v1", "StatefulSet", namespace, name)) ? undefined : true,
        SETTLE_MS,
      );
    }

    before(async function () {
      this.timeout(4 * SETTLE_MS);
      r = await renderStack(stack);
      mapStorageClasses(r, storageClassMap());
      // A stack with VolumeSnapshots needs their API (the CRDs only: nothing takes a snapshot).
      if ([...r.objects, ...r.afterRollout].some(isSnapshotObject)) await ensureSnapshotCrds(kube);
      // A stack with ServiceMonitors needs the Prometheus Operator's CRD (nothing scrapes here).
      if (r.objects.some(isMonitoringObject)) await ensureServiceMonitorCrd(kube);
      if (r.objects.some(isCertManagerObject)) await ensureCertificateCrd(kube);
      const classes = new Set(
        r.statefulSets.flatMap((s) =>
          (s.spec.volumeClaimTemplates ?? []).map((t) => t.spec.storageClassName ?? "(none)"),
        ),
      );
      const missing = [];
      for (const c of classes) if (!(await storageClass(kube, c))) missing.push(c);
      assert.deepEqual(
        missing,
        [],
        `stack ${stack} names StorageClasses the cluster lacks: ${missing.join(", ")}; ` +
          `create them, or map each to one the cluster has with ` +
          `CLUSTER_STORAGE_CLASS_MAP=<stack class>=<cluster class>[,...]`,
      );
      const used = r.objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n);
      namespaces = [...new Set([...r.namespaces, ...used])];
      await clearNamespaces(kube, namespaces, 3 * SETTLE_MS);
      await deleteVolumes(kube, stack);
    });

    after(async function () {
      this.timeout(4 * SETTLE_MS);
      pods.stop();
      if (!r) return;
      await clearNamespaces(kube, namespaces, 3 * SETTLE_MS);
      await deleteVolumes(kube, stack);
      if (createdFixedClass) {
        await kube.delete({
          apiVersion: "storage.k8s.io/v1",
          kind: "StorageClass",
          metadata: { name: FIXED_CLASS },
        });
      }
    });

    it("creates its namespaces, where the API server enforces the restricted Pod Security Standard", async () => {
      const rendered = r.objects.filter((o) => o.kind === "Namespace");
      assert.ok(rendered.length > 0, `stack ${stack} creates no namespace`);
      assert.deepEqual(await applyAll(kube, rendered, true), [], "refused in a dry run");
      for (const ns of rendered) {
        assert.deepEqual(await applyAll(kube, [ns], false), [], "refused");
        await markNamespace(kube, ns.metadata.name, stack);
      }
      // Namespaces the stack only uses (create: false) are made empty, as a cluster would have them.
      for (const ns of namespaces.filter((n) => !r.namespaces.includes(n))) {
        await kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
        await markNamespace(kube, ns, stack);
      }
      for (const ns of namespaces) await pods.watch(kube, ns);
      for (const ns of rendered) {
        const name = ns.metadata.name;
        const liveNs = await kube.get("v1", "Namespace", undefined, name);
        const enforce = liveNs.metadata.labels?.["pod-security.kubernetes.io/enforce"];
        assert.equal(enforce, "restricted", `namespace ${name}: enforce label`);
        // A pod that breaks the restricted standard must be refused by admission.
        const privileged = {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "pod-security-probe", namespace: name },
          spec: {
            containers: [
              { name: "c", image: "busybox:1.37", securityContext: { privileged: true } },
            ],
          },
        };
        const refusal = await kube
          .request("POST", `/api/v1/namespaces/${name}/pods`, {
            query: { dryRun: "All" },
            body: privileged,
          })
          .then(
            () => undefined,
            (err: unknown) => err,
          );
        assert.ok(
          isApiError(refusal, 403) && /violates PodSecurity "restricted/.test(refusal.message),
          `namespace ${name}: a privileged pod was not refused by Pod Security admission ` +
            `(${refusal ? (refusal as Error).message : "admitted"})`,
        );
      }
    });

    it("adopts a namespace an earlier stack left behind, where a plain create fails (up after destroy)", async () => {
      const [ns] = r.objects.filter((o) => o.kind === "Namespace");
      const name = `${ns.metadata.name}-kept`;
      // What `pulumi destroy` leaves (namespaces are retained on delete): the namespace, made
      // earlier by another field manager, here with a weaker Pod Security level.
      const left = { apiVersion: "v1", kind: "Namespace", metadata: { name } };
      await kube.request("POST", "/api/v1/namespaces", {
        body: {
          ...left,
          metadata: { name, labels: { "pod-security.kubernetes.io/enforce": "baseline" } },
        },
      });
      await markNamespace(kube, name, stack);
      try {
        const again = { ...ns, metadata: { ...ns.metadata, name } };
        const create = await kube.request("POST", "/api/v1/namespaces", { body: again }).then(
          () => undefined,
          (err: unknown) => err,
        );
        assert.ok(isApiError(create, 409), `a create of a kept namespace fails: ${String(create)}`);
        assert.deepEqual(await applyAll(kube, [again], false), [], "server-side apply adopts it");
        const live = await kube.get("v1", "Namespace", undefined, name);
        assert.equal(live.metadata.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
      } finally {
        await kube.delete(left);
      }
    });

    it("every object passes a server dry run with strict field validation, without warnings", async () => {
      const objects = r.objects.filter((o) => o.kind !== "Namespace");
      assert.deepEqual(await applyAll(kube, objects, true), []);
    });

    it("every StatefulSet's pod template is admitted under its namespace's Pod Security labels", async () => {
      // A pod that names a service account is refused until it exists: the stack's own come first,
      // as the StatefulSet waits for them under `pulumi up`.
      for (const sa of r.objects.filter((o) => o.kind === "ServiceAccount")) await kube.apply(sa);
      const refused: string[] = [];
      for (const s of r.statefulSets) {
        // The pod the controller makes of ordinal 0: the template, with a volume per claim.
        const claimVolumes = (s.spec.volumeClaimTemplates ?? []).map((t) => ({
          name: t.metadata.name,
          persistentVolumeClaim: { claimName: `${t.metadata.name}-${s.metadata.name}-0` },
        }));
        const templateVolumes = (s.spec.template.spec.volumes ?? []) as unknown[];
        const pod = {
          apiVersion: "v1",
          kind: "Pod",
          metadata: {
            ...s.spec.template.metadata,
            name: `${s.metadata.name}-admission`,
            namespace: s.metadata.namespace,
          },
          spec: { ...s.spec.template.spec, volumes: [...templateVolumes, ...claimVolumes] },
        };
        try {
          const { warnings } = await kube.request(
            "POST",
            `/api/v1/namespaces/${s.metadata.namespace}/pods`,
            {
              query: { dryRun: "All", fieldValidation: "Strict" },
              body: pod,
            },
          );
          for (const w of warnings) refused.push(`${describeObject(s)}: pod warning: ${w}`);
        } catch (err) {
          refused.push(`${describeObject(s)}: pod refused: ${(err as Error).message}`);
        }
      }
      assert.deepEqual(refused, []);
    });

    it("every object is applied for real, and every StatefulSet rolls out as the provider waits for it", async () => {
      const objects = r.objects.filter((o) => o.kind !== "Namespace");
      objects.sort((a, b) => applyOrder(a) - applyOrder(b));
      for (const s of r.statefulSets) await provideVolumes(kube, stack, s);
      assert.deepEqual(await applyAll(kube, objects, false), [], "refused on apply");
      for (const o of objects) {
        const got = await kube.find(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);
        assert.ok(got, `${describeObject(o)} is not on the cluster after apply`);
      }
      const rolled = await Promise.all(
        r.statefulSets.map((s) => waitForRollout(kube, s, ROLLOUT_MS)),
      );
      for (const l of rolled) live.set(l.metadata.name, l);
    });

    it("what depends on the StatefulSets (claim patches) applies once they are ready, with strict field validation", async function () {
      if (r.afterRollout.length === 0) this.skip();
      // A claim is made by the StatefulSet's controller: what the stack says of it must meet it.
      const missing: string[] = [];
      for (const p of r.afterRollout.filter((o) => o.kind === "PersistentVolumeClaim")) {
        const target = await kube.find(p.apiVersion, p.kind, p.metadata.namespace, p.metadata.name);
        if (!target) missing.push(describeObject(p));
      }
      assert.deepEqual(missing, [], "claims the stack patches that the controller did not make");
      assert.deepEqual(await applyAll(kube, r.afterRollout, true), [], "refused in a dry run");
      assert.deepEqual(await applyAll(kube, r.afterRollout, false), [], "refused");
      for (const p of r.afterRollout.filter((o) => o.kind === "PersistentVolumeClaim")) {
        const want = (p as Claim).spec.resources.requests.storage;
        const claim = await kube.get<Claim>(
          "v1",
          "PersistentVolumeClaim",
          p.metadata.namespace,
          p.metadata.name,
        );
        assert.equal(
          bytesOf(claim.spec.resources.requests.storage),
          bytesOf(want),
          `${describeObject(p)}: size`,
        );
      }
    });

    it("creates pods <name>-0..N-1: one by one under OrderedReady, all at once under Parallel", async () => {
      for (const s of r.statefulSets) {
        const name = s.metadata.name;
        const n = s.spec.replicas ?? 1;
        const expected = Array.from({ length: n }, (_, i) => `${name}-${i}`);
        const current = (await podsOf(s)).map((p) => p.metadata.name).sort();
        assert.deepEqual(current, [...expected].sort(), `${describeObject(s)}: pod names`);
        const seen = expected.map((p) => pods.first(p));
        seen.forEach((rec, i) => {
          assert.ok(rec?.readyAt, `${describeObject(s)}: pod ${expected[i]} never seen Ready`);
        });
        const rec = seen as Required<NonNullable<(typeof seen)[number]>>[];
        const policy = s.spec.podManagementPolicy ?? "OrderedReady";
        if (policy === "OrderedReady") {
          for (let i = 1; i < n; i++) {
            assert.ok(
              rec[i].addedAt > rec[i - 1].readyAt,
              `${describeObject(s)} (OrderedReady): pod ${expected[i]} was created ` +
                `${rec[i - 1].readyAt - rec[i].addedAt} ms before ${expected[i - 1]} was Ready`,
            );
          }
        } else if (n > 1) {
          const lastCreated = Math.max(...rec.map((p) => p.addedAt));
          const firstReady = Math.min(...rec.map((p) => p.readyAt));
          assert.ok(
            lastCreated < firstReady,
            `${describeObject(s)} (Parallel): the last pod was created ` +
              `${lastCreated - firstReady} ms after the first was Ready`,
          );
        }
      }
    });

    it("makes one claim per pod, data-<name>-<i>, bound under the stack's StorageClass and owned as whenDeleted says", async () => {
      for (const s of r.statefulSets) {
        const ns = s.metadata.namespace!;
        const uid = live.get(s.metadata.name)?.metadata.uid;
        const templates = s.spec.volumeClaimTemplates ?? [];
        assert.ok(templates.length > 0, `${describeObject(s)} has no volumeClaimTemplates`);
        const whenDeleted = s.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted ?? "Retain";
        for (let i = 0; i < (s.spec.replicas ?? 1); i++) {
          const pod = await kube.get<Pod>("v1", "Pod", ns, `${s.metadata.name}-${i}`);
          for (const t of templates) {
            const claimName = `${t.metadata.name}-${s.metadata.name}-${i}`;
            const mounted = pod.spec.volumes?.find((v) => v.name === t.metadata.name);
            assert.equal(
              mounted?.persistentVolumeClaim?.claimName,
              claimName,
              `pod ${pod.metadata.name}: volume ${t.metadata.name}`,
            );
            const claim = await waitFor(
              `claim ${ns}/${claimName} to be Bound`,
              async () => {
                const c = await getClaim(ns, claimName);
                return c?.status?.phase === "Bound" ? c : undefined;
              },
              SETTLE_MS,
            );
            assert.equal(
              claim.spec.storageClassName,
              t.spec.storageClassName,
              `${claimName}: class`,
            );
            const pv = await kube.get<PersistentVolume>(
              "v1",
              "PersistentVolume",
              undefined,
              claim.spec.volumeName!,
            );
            assert.equal(
              pv.spec.storageClassName,
              t.spec.storageClassName,
              `${claimName}: volume's class`,
            );
            const owner = ownedBy(claim, "StatefulSet", uid);
            if (whenDeleted === "Delete") {
              assert.ok(
                owner,
                `${claimName}: whenDeleted Delete, but no ownerReference to ${describeObject(s)}`,
              );
            } else {
              assert.equal(
                owner,
                undefined,
                `${claimName}: whenDeleted Retain, but owned by ${describeObject(s)}`,
              );
            }
          }
        }
        const extra = await getClaim(
          ns,
          `${templates[0].metadata.name}-${s.metadata.name}-${s.spec.replicas ?? 1}`,
        );
        assert.equal(extra, undefined, `${describeObject(s)}: a claim beyond the last ordinal`);
      }
    });

    it("PodDisruptionBudgets allow exactly the disruptions they promise, with every pod healthy", async () => {
      for (const pdb of r.objects.filter((o): o is Pdb => o.kind === "PodDisruptionBudget")) {
        const ns = pdb.metadata.namespace!;
        const selector = selectorOf(pdb.spec.selector.matchLabels);
        const selected = await kube.list<Pod>("v1", "Pod", ns, { labelSelector: selector });
        assert.ok(selected.length > 0, `${describeObject(pdb)} selects no pod`);
        const expected = selected.length;
        const promised = promisedDisruptions(pdb, expected);
        let status: Pdb["status"];
        try {
          await waitFor(
            `${describeObject(pdb)} status`,
            async () => {
              const l = await kube.get<Pdb>(
                "policy/v1",
                "PodDisruptionBudget",
                ns,
                pdb.metadata.name,
              );
              status = l.status;
              const settled =
                (status?.observedGeneration ?? 0) >= (l.metadata.generation ?? 1) &&
                status?.expectedPods === expected &&
                status?.currentHealthy === expected;
              return settled && status?.disruptionsAllowed === promised ? true : undefined;
            },
            SETTLE_MS,
          );
        } catch {
          assert.fail(
            `${describeObject(pdb)}: with ${expected} healthy pods it promises ${promised} ` +
              `disruption(s); status: ${JSON.stringify(status)}`,
          );
        }
      }
    });

    it("every Service's EndpointSlices list exactly the pods its selector names, ready as they are", async () => {
      for (const svc of r.objects.filter((o): o is Service => o.kind === "Service")) {
        const selector = svc.spec.selector;
        if (!selector) continue;
        const ns = svc.metadata.namespace!;
        const want = async () => {
          const ps = await kube.list<Pod>("v1", "Pod", ns, { labelSelector: selectorOf(selector) });
          const withIp = ps.filter((p) => p.status?.podIP && !p.metadata.deletionTimestamp);
          return {
            all: withIp.map((p) => p.metadata.name).sort(),
            ready: withIp
              .filter((p) => svc.spec.publishNotReadyAddresses || isReady(p))
              .map((p) => p.metadata.name)
              .sort(),
          };
        };
        const have = () => podEndpoints(kube, ns, svc.metadata.name);
        let last: unknown;
        try {
          await waitFor(
            `EndpointSlices of ${describeObject(svc)}`,
            async () => {
              const [w, h] = await Promise.all([want(), have()]);
              last = { pods: w, endpointSlices: h };
              return JSON.stringify(w) === JSON.stringify(h) ? true : undefined;
            },
            SETTLE_MS,
          );
        } catch {
          assert.fail(
            `${describeObject(svc)}: EndpointSlices differ from the pods: ${JSON.stringify(last)}`,
          );
        }
        const workload = r.statefulSets.find((s) => s.spec.serviceName === svc.metadata.name);
        if (workload) {
          const names = Array.from(
            { length: workload.spec.replicas ?? 1 },
            (_, i) => `${workload.metadata.name}-${i}`,
          );
          assert.deepEqual(
            (await have()).ready,
            names.sort(),
            `${describeObject(svc)}: endpoints of ${describeObject(workload)}`,
          );
        }
      }
    });

    it("a claim grows in place when its StorageClass allows expansion, and is refused otherwise", async () => {
      for (const s of r.statefulSets) {
        const ns = s.metadata.namespace!;
        const t = (s.spec.volumeClaimTemplates ?? [])[0];
        const claimName = `${t.metadata.name}-${s.metadata.name}-0`;
        const cls = await storageClass(kube, t.spec.storageClassName!);
        const bigger = `${(2 * bytesOf(t.spec.resources.requests.storage)) / 2 ** 20}Mi`;
        const patch = { spec: { resources: { requests: { storage: bigger } } } };
        const claim = {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: claimName, namespace: ns },
        };
        if (cls?.allowVolumeExpansion) {
          const grown = await kube.mergePatch<Claim>(claim, patch);
          assert.equal(
            bytesOf(grown.spec.resources.requests.storage),
            bytesOf(bigger),
            `${claimName}: requested size ${grown.spec.resources.requests.storage}, not ${bigger}`,
          );
        } else {
          const refusal = await kube.mergePatch(claim, patch).then(
            () => undefined,
            (e: unknown) => e,
          );
          assert.ok(
            isApiError(refusal, 403, 422),
            `${claimName}: grew under non-expandable class ${cls?.metadata.name}`,
          );
        }
      }
    });

    describe("controller behaviours, on StatefulSets derived from the rendered ones", () => {
      /** The rendered StatefulSet the variants derive from: the quickest to roll out. */
      let base: StatefulSetManifest;
      const retain: RetentionPolicy = { whenDeleted: "Retain", whenScaled: "Retain" };
      const drop: RetentionPolicy = { whenDeleted: "Delete", whenScaled: "Delete" };

      before(() => {
        const cost = (s: StatefulSetManifest) =>
          (s.spec.podManagementPolicy === "Parallel" ? 0 : 1000) + (s.spec.minReadySeconds ?? 0);
        base = [...r.statefulSets].sort((a, b) => cost(a) - cost(b))[0];
        assert.ok(base, `stack ${stack} renders no StatefulSet`);
      });

      it("under Retain: a scale-down keeps the removed pod's claim, unowned; so does deleting the StatefulSet", async () => {
        const v = variantOf(base, "kept", { replicas: 2, retention: retain });
        const ns = v.metadata.namespace!;
        await rollOut(v);
        await scaleDown(v, 1);
        await sleep(3000); // time for a garbage collector that should not act
        for (const claimName of claimNames(v, 2)) {
          const c = await getClaim(ns, claimName);
          assert.ok(c, `${claimName} was deleted under whenScaled Retain`);
          assert.deepEqual(
            c.metadata.ownerReferences ?? [],
            [],
            `${claimName}: ownerReferences under Retain`,
          );
        }
        await deleteSts(v, "Background");
        await waitFor(
          `pods of ${describeObject(v)} to be deleted`,
          async () => ((await podsOf(v)).length ? undefined : true),
          SETTLE_MS,
        );
        await sleep(3000);
        for (const claimName of claimNames(v, 2)) {
          const c = await getClaim(ns, claimName);
          assert.ok(c, `${claimName} was deleted with its StatefulSet under whenDeleted Retain`);
          assert.equal(
            c.status?.phase,
            "Bound",
            `${claimName}: phase after the StatefulSet is gone`,
          );
        }
      });

      it("under Delete: claims are owned by the StatefulSet, a scaled-down pod's claim by the pod, and both are deleted", async () => {
        const v = variantOf(base, "drop", { replicas: 2, retention: drop });
        const ns = v.metadata.namespace!;
        const seen = new Map<string, OwnerReference[]>();
        const stop = await kube.watch<Claim>("v1", "PersistentVolumeClaim", ns, (_, c) => {
          const refs = seen.get(c.metadata.name) ?? [];
          seen.set(c.metadata.name, [...refs, ...(c.metadata.ownerReferences ?? [])]);
        });
        try {
          const l = await rollOut(v);
          const [claim0, claim1] = claimNames(v, 2);
          for (const name of [claim0, claim1]) {
            await waitFor(
              `${name} to be owned by ${describeObject(v)}`,
              async () => {
                const c = await getClaim(ns, name);
                return c && ownedBy(c, "StatefulSet", l.metadata.uid) ? true : undefined;
              },
              SETTLE_MS,
            ).catch(() =>
              assert.fail(
                `${name}: whenDeleted Delete, but no ownerReference to ${describeObject(v)} (${l.metadata.uid})`,
              ),
            );
          }
          const pod1 = await kube.get<Pod>("v1", "Pod", ns, `${v.metadata.name}-1`);
          await scaleDown(v, 1);
          await waitFor(
            `${claim1} to be deleted after the scale-down`,
            async () => ((await getClaim(ns, claim1)) ? undefined : true),
            SETTLE_MS,
          ).catch(() => assert.fail(`${claim1} outlived the scale-down under whenScaled Delete`));
          const podRef = (seen.get(claim1) ?? []).find(
            (o) => o.kind === "Pod" && o.uid === pod1.metadata.uid,
          );
          assert.ok(
            podRef,
            `${claim1}: never owned by the removed pod ${pod1.metadata.name}; saw ${JSON.stringify(seen.get(claim1))}`,
          );
          const kept = await getClaim(ns, claim0);
          assert.ok(
            kept && ownedBy(kept, "StatefulSet", l.metadata.uid),
            `${claim0}: lost its owner or was deleted on scale-down`,
          );
          await deleteSts(v, "Background");
          await waitFor(
            `${claim0} to be deleted with its StatefulSet`,
            async () => ((await getClaim(ns, claim0)) ? undefined : true),
            SETTLE_MS,
          ).catch(() => assert.fail(`${claim0} outlived its StatefulSet under whenDeleted Delete`));
        } finally {
          stop();
        }
      });

      it("an orphaning delete keeps pods and claims, and a new StatefulSet with the same name adopts them", async () => {
        const v = variantOf(base, "adopt", { replicas: 2 });
        const ns = v.metadata.namespace!;
        const old = await rollOut(v);
        const before = await podsOf(v);
        const podUids = before.map((p) => p.metadata.uid!).sort();
        const claimUids = (await Promise.all(claimNames(v).map((c) => getClaim(ns, c)))).map(
          (c) => c?.metadata.uid,
        );
        await deleteSts(v, "Orphan");
        await waitFor(
          `pods of ${describeObject(v)} to be orphaned`,
          async () => {
            const ps = await podsOf(v);
            return ps.length === 2 && ps.every((p) => !controllerOf(p.metadata)) ? ps : undefined;
          },
          SETTLE_MS,
        );
        // The day-two replacement: a claim template change forces a new object with the same name.
        const replacement = structuredClone(v);
        for (const t of replacement.spec.volumeClaimTemplates ?? []) {
          t.spec.resources.requests.storage = `${(2 * bytesOf(t.spec.resources.requests.storage)) / 2 ** 20}Mi`;
        }
        const adopted = await rollOut(replacement);
        assert.notEqual(adopted.metadata.uid, old.metadata.uid, "the replacement is a new object");
        const after = await waitFor(
          `pods to be adopted by the new ${describeObject(v)}`,
          async () => {
            const ps = await podsOf(v);
            return ps.every((p) => controllerOf(p.metadata)?.uid === adopted.metadata.uid)
              ? ps
              : undefined;
          },
          SETTLE_MS,
        ).catch(async () =>
          assert.fail(
            `pods not adopted: ${JSON.stringify((await podsOf(v)).map((p) => [p.metadata.name, controllerOf(p.metadata)]))}`,
          ),
        );
        assert.deepEqual(
          after.map((p) => p.metadata.uid!).sort(),
          podUids,
          "a pod was replaced instead of adopted",
        );
        assert.deepEqual(
          pods.deletedUids(podUids),
          [],
          "a pod was deleted during the orphaning delete or the adoption",
        );
        const claimsAfter = await Promise.all(claimNames(v).map((c) => getClaim(ns, c)));
        assert.deepEqual(
          claimsAfter.map((c) => c?.metadata.uid),
          claimUids,
          "claims were not kept",
        );
        for (const c of claimsAfter)
          assert.equal(c?.status?.phase, "Bound", `${c?.metadata.name}: phase`);
      });

      it(`a claim under the non-expandable StorageClass '${FIXED_CLASS}' cannot grow`, async () => {
        const t = (base.spec.volumeClaimTemplates ?? [])[0];
        let fixed = await storageClass(kube, FIXED_CLASS);
        if (!fixed) {
          // A cluster without the class gets one like the base's, without expansion, for this test.
          const like = (await storageClass(kube, t.spec.storageClassName!))!;
          await kube.apply({
            apiVersion: "storage.k8s.io/v1",
            kind: "StorageClass",
            metadata: { name: FIXED_CLASS, labels: { [MARK]: stack } },
            provisioner: like.provisioner,
            reclaimPolicy: like.reclaimPolicy,
            volumeBindingMode: like.volumeBindingMode,
            allowVolumeExpansion: false,
          });
          createdFixedClass = true;
          fixed = await storageClass(kube, FIXED_CLASS);
        }
        assert.ok(!fixed?.allowVolumeExpansion, `StorageClass ${FIXED_CLASS} allows expansion`);
        const v = variantOf(base, "fixed", { replicas: 1, storageClass: FIXED_CLASS });
        await rollOut(v);
        const [claimName] = claimNames(v, 1);
        const claim = await getClaim(v.metadata.namespace!, claimName);
        assert.equal(claim?.status?.phase, "Bound", `${claimName}: phase`);
        const bigger = `${(2 * bytesOf(t.spec.resources.requests.storage)) / 2 ** 20}Mi`;
        const refusal = await kube
          .mergePatch(claim!, { spec: { resources: { requests: { storage: bigger } } } })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        assert.ok(
          isApiError(refusal, 403, 422),
          `${claimName} grew to ${bigger} under ${FIXED_CLASS}`,
        );
        assert.match(
          (refusal as Error).message,
          /storageclass that provisions the pvc must support resize|expan/i,
        );
      });
    });
  });
}

/** CLUSTER_TEST_STACKS=dev,prod selects stacks; default: every stack in stacks/. */
function selectedStacks(): string[] {
  const all = stackNames();
  const wanted = (process.env.CLUSTER_TEST_STACKS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((s) => !all.includes(s));
  if (unknown.length)
    throw new Error(`CLUSTER_TEST_STACKS: no stack ${unknown.join(", ")} (have ${all.join(", ")})`);
  return wanted.length ? wanted : all;
}

void (async () => {
  try {
    const reached = await connect();
    if ("missing" in reached) {
      if (process.env.CLUSTER_TEST_REQUIRED === "1") {
        describe("cluster suite", () => it("has a cluster", () => assert.fail(reached.missing)));
      } else {
        console.log(`cluster suite skipped: ${reached.missing}; to run it, ${HOW_TO_RUN}`);
      }
      return;
    }
    const stacks = selectedStacks();
    describe(`cluster: ${reached.kube.describe()}`, () => {
      for (const stack of stacks) defineStack(reached.kube, stack);
    });
  } catch (err) {
    describe("cluster suite", () => it("starts", () => assert.fail(err as Error)));
  } finally {
    run();
  }
})();
