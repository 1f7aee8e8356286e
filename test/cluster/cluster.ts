// The cluster suite's view of a cluster: how to reach it (or why not), the pods it watches, the
// volumes it provides where a StorageClass provisions none, and the waits it shares.
import * as k8s from "@kubernetes/client-node";
import { parseBytes } from "../../components/quantity";
import { ApiError, Kube, KubeObject, ObjectMeta, StopWaiting, sleep, waitFor } from "./kube";
import { StatefulSetManifest, claimNames } from "./render";

/** The label on everything the suite creates beside the stacks' objects, valued by stack. */
export const MARK = "stateful.test/cluster-suite";

export const HOW_TO_RUN =
  "point KUBECONFIG at a disposable cluster (the rig: ../shared/rig/up.sh, " +
  "KUBECONFIG=/opt/rig/kubeconfig; or kind create cluster) and run npm run test:cluster";

/** The cluster of KUBECONFIG (context CLUSTER_CONTEXT, else the current one), or why there is none. */
export async function connect(): Promise<{ kube: Kube } | { missing: string }> {
  if (!process.env.KUBECONFIG) return { missing: "KUBECONFIG is not set" };
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    return { missing: `KUBECONFIG ${process.env.KUBECONFIG} cannot be read (${err})` };
  }
  const context = process.env.CLUSTER_CONTEXT;
  if (context) {
    if (!kc.getContextObject(context)) return { missing: `KUBECONFIG has no context '${context}'` };
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster())
    return { missing: `KUBECONFIG ${process.env.KUBECONFIG} names no cluster` };
  const kube = new Kube(kc);
  try {
    await Promise.race([
      kube.request("GET", "/version"),
      sleep(10_000).then(() => Promise.reject(new Error("no answer within 10s"))),
    ]);
  } catch (err) {
    return {
      missing: `the cluster of ${kube.describe()} is unreachable (${(err as Error).message})`,
    };
  }
  return { kube };
}

/**
 * For a suite's `before`: the cluster of KUBECONFIG, or, without one, a line saying what is missing
 * and the suite skipped (an error under CLUSTER_TEST_REQUIRED=1).
 */
export async function connectOrSkip(ctx: Mocha.Context, suite: string): Promise<Kube> {
  const reached = await connect();
  if ("kube" in reached) return reached.kube;
  if (process.env.CLUSTER_TEST_REQUIRED === "1") throw new Error(reached.missing);
  console.log(`    ${suite} skipped: ${reached.missing}`);
  ctx.skip();
}

/** `Kind namespace/name`, or `Kind name` for a cluster-scoped object. */
export const describeObject = (o: KubeObject) =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;

/**
 * Object kinds in apply order: namespaces first, then what constrains what goes into them (quotas,
 * limit ranges), workloads last.
 */
export function applyOrder(o: KubeObject): number {
  if (o.kind === "Namespace") return 0;
  if (o.kind === "ResourceQuota" || o.kind === "LimitRange") return 1;
  if (o.kind === "StatefulSet") return 3;
  return 2;
}

/** Applies every object (dry run or not) and returns one line per refusal or warning. */
export async function applyAll(
  kube: Kube,
  objects: KubeObject[],
  dryRun: boolean,
): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    try {
      const { warnings } = await kube.apply(o, dryRun);
      for (const w of warnings) problems.push(`${describeObject(o)}: warning: ${w}`);
    } catch (err) {
      problems.push(`${describeObject(o)}: ${(err as Error).message}`);
    }
  }
  return problems;
}

export interface EndpointSlice extends KubeObject {
  ports?: { name?: string; port?: number; protocol?: string }[];
  endpoints?: { targetRef?: { kind?: string; name?: string }; conditions?: { ready?: boolean } }[];
}

/** The EndpointSlices of a Service. */
export async function endpointSlices(
  kube: Kube,
  namespace: string,
  service: string,
): Promise<EndpointSlice[]> {
  return kube.list<EndpointSlice>("discovery.k8s.io/v1", "EndpointSlice", namespace, {
    labelSelector: `kubernetes.io/service-name=${service}`,
  });
}

/** The pods among a Service's endpoints, by name (sorted): all of them, and the ready ones. */
export async function podEndpoints(
  kube: Kube,
  namespace: string,
  service: string,
): Promise<{ all: string[]; ready: string[] }> {
  const eps = (await endpointSlices(kube, namespace, service))
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.targetRef?.kind === "Pod");
  return {
    all: eps.map((e) => e.targetRef!.name!).sort(),
    ready: eps
      .filter((e) => e.conditions?.ready !== false)
      .map((e) => e.targetRef!.name!)
      .sort(),
  };
}

export interface PodStatus {
  phase?: string;
  podIP?: string;
  conditions?: { type: string; status: string }[];
}

export interface Pod extends KubeObject {
  spec: { volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] };
  status?: PodStatus;
}

export const isReady = (p: { status?: PodStatus }) =>
  !!p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");

/** What the watch saw of one pod (by uid): local clock, in ms. */
export interface PodRecord {
  name: string;
  uid: string;
  addedAt: number;
  readyAt?: number;
  deletedAt?: number;
}

/** Every pod seen in the watched namespaces, in the order they appeared. */
export class PodLog {
  readonly records: PodRecord[] = [];
  private readonly byUid = new Map<string, PodRecord>();
  private stops: (() => void)[] = [];

  async watch(kube: Kube, namespace: string): Promise<void> {
    this.stops.push(
      await kube.watch<Pod>("v1", "Pod", namespace, (type, pod) => {
        const uid = pod.metadata.uid ?? "";
        let r = this.byUid.get(uid);
        if (!r) {
          r = { name: pod.metadata.name, uid, addedAt: Date.now() };
          this.byUid.set(uid, r);
          this.records.push(r);
        }
        if (r.readyAt === undefined && isReady(pod)) r.readyAt = Date.now();
        if (type === "DELETED" && r.deletedAt === undefined) r.deletedAt = Date.now();
      }),
    );
  }

  /** The first pod seen under this name. */
  first(name: string): PodRecord | undefined {
    return this.records.find((r) => r.name === name);
  }

  deletedUids(uids: string[]): string[] {
    return uids.filter((u) => this.byUid.get(u)?.deletedAt !== undefined);
  }

  stop(): void {
    for (const s of this.stops) s();
    this.stops = [];
  }
}

export interface StatefulSetLive extends StatefulSetManifest {
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

interface Event extends KubeObject {
  reason?: string;
  message?: string;
  type?: string;
  involvedObject?: { kind?: string; name?: string };
}

/** The Warning events of the named objects in a namespace, one line each: `Kind name: reason: message`. */
export async function warningEvents(
  kube: Kube,
  namespace: string,
  names: string[],
): Promise<string[]> {
  const events = await kube.list<Event>("v1", "Event", namespace);
  return events
    .filter((e) => e.type === "Warning" && names.includes(e.involvedObject?.name ?? ""))
    .map((e) => `${e.involvedObject?.kind} ${e.involvedObject?.name}: ${e.reason}: ${e.message}`);
}

/**
 * Waits for a StatefulSet as the Pulumi provider does: the controller has seen the latest
 * generation, every replica is ready and updated, and the current revision is the update revision.
 * Fails at once when the controller cannot create a pod (admission refused it).
 */
export async function waitForRollout(
  kube: Kube,
  sts: StatefulSetManifest,
  ms: number,
): Promise<StatefulSetLive> {
  const { name, namespace } = sts.metadata;
  const replicas = sts.spec.replicas ?? 1;
  let last: StatefulSetLive | undefined;
  try {
    return await waitFor(
      `StatefulSet ${namespace}/${name} to roll out ${replicas} replicas`,
      async () => {
        const live = await kube.get<StatefulSetLive>("apps/v1", "StatefulSet", namespace, name);
        last = live;
        const failed = (await warningEvents(kube, namespace!, [name])).filter((e) =>
          e.includes("FailedCreate"),
        );
        if (failed.length) throw new StopWaiting(failed.join("\n"));
        const s = live.status ?? {};
        const done =
          (s.observedGeneration ?? 0) >= (live.metadata.generation ?? 1) &&
          s.replicas === replicas &&
          s.readyReplicas === replicas &&
          s.updatedReplicas === replicas &&
          !!s.currentRevision &&
          s.currentRevision === s.updateRevision;
        return done ? live : undefined;
      },
      ms,
    );
  } catch (err) {
    if (err instanceof StopWaiting)
      throw new Error(`StatefulSet ${namespace}/${name}: ${err.message}`, { cause: err });
    const pods = Array.from({ length: replicas }, (_, i) => `${name}-${i}`);
    const claims = claimNames(sts, replicas);
    const events = await warningEvents(kube, namespace!, [name, ...pods, ...claims]).catch(
      () => [],
    );
    throw new Error(
      `${(err as Error).message}; status: ${JSON.stringify(last?.status)}` +
        (events.length ? `; warnings:\n  ${events.slice(-10).join("\n  ")}` : ""),
      { cause: err },
    );
  }
}

interface StorageClass extends KubeObject {
  provisioner: string;
  allowVolumeExpansion?: boolean;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
}

export async function storageClass(kube: Kube, name: string): Promise<StorageClass | undefined> {
  return kube.find<StorageClass>("storage.k8s.io/v1", "StorageClass", undefined, name);
}

/**
 * Claims under a class without a provisioner (`kubernetes.io/no-provisioner`, as on the rig) bind
 * only to existing volumes: the suite creates one volume per claim it expects, pre-bound to it and
 * marked as its own, and deletes them afterwards. Other classes provision their own.
 */
export async function provideVolumes(
  kube: Kube,
  stack: string,
  sts: StatefulSetManifest,
  replicas = sts.spec.replicas ?? 1,
): Promise<void> {
  const namespace = sts.metadata.namespace!;
  for (const t of sts.spec.volumeClaimTemplates ?? []) {
    const cls = t.spec.storageClassName;
    if (!cls || (await storageClass(kube, cls))?.provisioner !== "kubernetes.io/no-provisioner") {
      continue;
    }
    for (let i = 0; i < replicas; i++) {
      const claim = `${t.metadata.name}-${sts.metadata.name}-${i}`;
      const name = `cluster-suite-${namespace}-${claim}`;
      const pv: KubeObject = {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name, labels: { [MARK]: stack } },
        spec: {
          storageClassName: cls,
          capacity: { storage: t.spec.resources.requests.storage },
          accessModes: t.spec.accessModes ?? ["ReadWriteOnce"],
          persistentVolumeReclaimPolicy: "Retain",
          claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace, name: claim },
          hostPath: { path: `/tmp/cluster-suite-pv/${name}`, type: "DirectoryOrCreate" },
        },
      };
      const existing = await kube.find("v1", "PersistentVolume", undefined, name);
      if (!existing) await kube.apply(pv);
    }
  }
}

/** Deletes the suite's volumes of a stack, once their claims are gone. */
export async function deleteVolumes(kube: Kube, stack: string): Promise<void> {
  const pvs = await kube.list("v1", "PersistentVolume", undefined, {
    labelSelector: `${MARK}=${stack}`,
  });
  await Promise.all(
    pvs.map((pv) =>
      kube.delete({
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: pv.metadata.name },
      }),
    ),
  );
  await waitFor(
    `the suite's PersistentVolumes of stack ${stack} to be deleted`,
    async () => {
      const left = await kube.list("v1", "PersistentVolume", undefined, {
        labelSelector: `${MARK}=${stack}`,
      });
      return left.length ? undefined : true;
    },
    60_000,
  );
}

/**
 * Makes sure none of `namespaces` exists: deletes those the suite made before (marked) and waits
 * until they are gone; refuses to touch one it did not make.
 */
export async function clearNamespaces(kube: Kube, namespaces: string[], ms: number): Promise<void> {
  for (const ns of namespaces) {
    const live = await kube.find<KubeObject>("v1", "Namespace", undefined, ns);
    if (!live) continue;
    if (!live.metadata.labels?.[MARK]) {
      throw new Error(
        `namespace ${ns} already exists and was not made by this suite: refusing to delete it ` +
          `(run the suite on a disposable cluster, or delete ${ns} yourself)`,
      );
    }
    // Without their controllers and grace periods the pods go at once, and the namespace with them.
    const workloads = await kube.list("apps/v1", "StatefulSet", ns);
    await Promise.all(
      workloads.map((w) =>
        kube.delete({ apiVersion: "apps/v1", kind: "StatefulSet", metadata: w.metadata }),
      ),
    );
    const pods = await kube.list("v1", "Pod", ns);
    await Promise.all(
      pods.map((p) =>
        kube.delete({ apiVersion: "v1", kind: "Pod", metadata: p.metadata }, "Background", 0),
      ),
    );
    await kube.delete({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  }
  await Promise.all(
    namespaces.map((ns) =>
      waitFor(
        `namespace ${ns} to be deleted`,
        async () => ((await kube.find("v1", "Namespace", undefined, ns)) ? undefined : true),
        ms,
        1000,
      ),
    ),
  );
}

/** Marks a namespace as the suite's, with a field manager of its own. */
export async function markNamespace(kube: Kube, ns: string, stack: string): Promise<void> {
  await kube.request("PATCH", `/api/v1/namespaces/${ns}`, {
    query: { fieldManager: "stateful-cluster-test-mark" },
    body: { metadata: { labels: { [MARK]: stack } } },
    contentType: "application/merge-patch+json",
  });
}

/** The object's controller owner, if any. */
export function controllerOf(meta: ObjectMeta) {
  return meta.ownerReferences?.find((o) => o.controller);
}

export function isApiError(err: unknown, ...codes: number[]): err is ApiError {
  return err instanceof ApiError && (codes.length === 0 || codes.includes(err.code));
}

/** `256Mi` -> bytes (components/quantity.ts); throws, naming it, when it is not a size. */
export function bytesOf(quantity: string): number {
  const bytes = parseBytes(quantity);
  if (bytes === undefined) throw new Error(`not a size quantity: ${quantity}`);
  return bytes;
}
