// Namespace quotas on a real API server: a namespace's ResourceQuota and LimitRange and its
// workloads, rendered by the real program, are applied to the cluster of KUBECONFIG. The quota is
// set to exactly what the config check computes the workloads need, so the pods are admitted only
// if the check does not count too little, and the quota controller's own count (`status.used`)
// must equal it, or the check counts too much. A copy one MiB short is refused by the API server
// as it is by the check.
import { strict as assert } from "assert";
import { RawNamespace, workloadDemands } from "../../components/config";
import { millicores } from "../../components/quantity";
import { formatBytes, formatCpu, namespaceUsage } from "../../components/quota";
import { flattenConfig } from "../../harness/stacks";
import {
  applyOrder,
  bytesOf,
  clearNamespaces,
  connectOrSkip,
  deleteVolumes,
  markNamespace,
  provideVolumes,
  waitForRollout,
  warningEvents,
} from "./cluster";
import { Kube, KubeObject, waitFor } from "./kube";
import { renderConfig, StatefulSetManifest } from "./render";

const STACK = "quota-suite";
const NS = `quota-${process.pid}`;
/** The same namespace with a quota one MiB of requests.memory short, set on the cluster by hand. */
const TIGHT = `quota-${process.pid}-tight`;
const ROLLOUT_MS = 180_000;

/** Every pod has a container without a CPU limit, which the LimitRange's default gives one. */
function namespace(name: string): RawNamespace {
  return {
    name,
    limitRange: {
      container: {
        min: { memory: "16Mi" },
        max: { memory: "1Gi" },
        default: { cpu: "500m" },
        maxLimitRequestRatio: { memory: 4 },
      },
      persistentVolumeClaim: { min: "128Mi", max: "1Gi" },
    },
    workloads: [
      // The init container gets the default CPU limit (500m), above the main container's (100m):
      // a pod's CPU limit is then its init container's.
      {
        kind: "nginx",
        name: "web",
        replicas: 2,
        storage: { size: "256Mi" },
        resources: {
          requests: { cpu: "50m", memory: "64Mi" },
          limits: { cpu: "100m", memory: "128Mi" },
        },
      },
      // Four containers per pod (redis, auth, sentinel, and the agent sidecar).
      {
        kind: "redis",
        name: "cache",
        replicas: 3,
        storage: { size: "256Mi" },
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
      },
    ],
  };
}

interface Quota extends KubeObject {
  spec: { hard: Record<string, string> };
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
}
interface PodWithResources extends KubeObject {
  spec: {
    containers: { name: string; resources?: { limits?: Record<string, string> } }[];
    initContainers?: { name: string; resources?: { limits?: Record<string, string> } }[];
  };
}

/** A quantity in the unit namespaceUsage counts in: millicores for CPU, bytes, or a count. */
function amountOf(key: string, quantity: string): number {
  if (key.endsWith(".cpu")) return millicores(quantity)!;
  if (key.endsWith("storage") || key.endsWith("memory")) return bytesOf(quantity);
  return Number(quantity);
}

describe("namespace quotas on a real API server", function () {
  this.timeout(600_000);
  let kube: Kube;
  let usage: Record<string, number>;
  const statefulSets: StatefulSetManifest[] = [];

  /** The quota the config check says the workloads need, exactly. */
  function exactQuota(): RawNamespace["quota"] {
    const q = (key: string) => usage[key];
    return {
      requests: {
        cpu: formatCpu(q("requests.cpu")),
        memory: formatBytes(q("requests.memory")),
        storage: formatBytes(q("requests.storage")),
      },
      limits: { cpu: formatCpu(q("limits.cpu")), memory: formatBytes(q("limits.memory")) },
      pods: q("pods"),
      persistentVolumeClaims: q("persistentvolumeclaims"),
      storageClasses: {
        standard: {
          storage: formatBytes(q("standard.storageclass.storage.k8s.io/requests.storage")),
          persistentVolumeClaims: q("standard.storageclass.storage.k8s.io/persistentvolumeclaims"),
        },
      },
    };
  }

  before(async function () {
    kube = await connectOrSkip(this, "quota suite");
    await clearNamespaces(kube, [NS, TIGHT], 120_000);
    const ns = namespace(NS);
    usage = namespaceUsage(ns.limitRange, workloadDemands(ns, "standard"));
    const namespaces = [NS, TIGHT].map((name) => ({ ...namespace(name), quota: exactQuota() }));
    const config = {
      "stateful:target": { renderYamlToDirectory: "out" },
      "stateful:storageClass": "standard",
      "stateful:namespaces": namespaces,
    };
    const { objects } = await renderConfig(flattenConfig(config), STACK);
    // The tight copy: one MiB of requests.memory less than the workloads need.
    const tight = objects.find(
      (o) => o.kind === "ResourceQuota" && o.metadata.namespace === TIGHT,
    ) as Quota;
    tight.spec.hard["requests.memory"] = formatBytes(usage["requests.memory"] - 2 ** 20);
    for (const o of objects.sort((a, b) => applyOrder(a) - applyOrder(b))) {
      if (o.kind === "StatefulSet") {
        statefulSets.push(o as StatefulSetManifest);
        await provideVolumes(kube, STACK, o as StatefulSetManifest);
      }
      await kube.apply(o);
      if (o.kind === "Namespace") await markNamespace(kube, o.metadata.name, STACK);
      if (o.kind === "ResourceQuota") {
        // The API server refuses pods while a new quota's usage is not counted yet.
        await waitFor(
          `quota ${o.metadata.namespace}/${o.metadata.name} to be counted`,
          async () => {
            const q = await kube.get<Quota>("v1", o.kind, o.metadata.namespace, o.metadata.name);
            return q.status?.used ? true : undefined;
          },
          60_000,
        );
      }
    }
  });

  after(async function () {
    this.timeout(300_000);
    if (!kube) return;
    await clearNamespaces(kube, [NS, TIGHT], 120_000);
    await deleteVolumes(kube, STACK);
  });

  it("admits every pod under a quota of exactly what the check computed", async () => {
    for (const s of statefulSets.filter((x) => x.metadata.namespace === NS)) {
      await waitForRollout(kube, s, ROLLOUT_MS);
    }
  });

  it("counts, in the quota's status, exactly what the check computed", async () => {
    let last: Record<string, string> | undefined;
    const used = await waitFor(
      `the quota of ${NS} to count every pod and claim`,
      async () => {
        const q = await kube.get<Quota>("v1", "ResourceQuota", NS, "stateful-workloads");
        last = q.status?.used;
        const all = last && Object.keys(usage).every((k) => k in last!);
        return all && Number(last!.pods) === usage.pods ? last : undefined;
      },
      60_000,
    ).catch(() => assert.fail(`status.used never settled: ${JSON.stringify(last)}`));
    const counted = Object.fromEntries(Object.keys(usage).map((k) => [k, amountOf(k, used[k])]));
    assert.deepEqual(counted, usage, `status.used: ${JSON.stringify(used)}`);
  });

  it("gives the containers that set none the LimitRange's default CPU limit", async () => {
    const pod = await kube.get<PodWithResources>("v1", "Pod", NS, "cache-0");
    const limits = Object.fromEntries(
      [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => [
        c.name,
        c.resources?.limits?.cpu,
      ]),
    );
    assert.deepEqual(limits, { agent: "500m", redis: "500m", auth: "500m", sentinel: "500m" });
    const web = await kube.get<PodWithResources>("v1", "Pod", NS, "web-0");
    assert.equal(web.spec.containers[0].resources?.limits?.cpu, "100m");
    assert.equal(web.spec.initContainers?.[0].resources?.limits?.cpu, "500m");
  });

  it("refuses a pod where the quota is one MiB short, as the check does", async () => {
    const tightSets = statefulSets
      .filter((s) => s.metadata.namespace === TIGHT)
      .map((s) => s.metadata.name);
    const refusal = await waitFor(
      `a pod of ${TIGHT} to be refused by the quota`,
      async () => {
        const events = await warningEvents(kube, TIGHT, tightSets);
        return events.find((e) => /: FailedCreate: .*exceeded quota/.test(e));
      },
      120_000,
    );
    assert.match(refusal, /exceeded quota: stateful-workloads, requested: requests\.memory=/);
    const pods = await kube.list("v1", "Pod", TIGHT);
    assert.ok(pods.length < usage.pods, `${pods.length} of ${usage.pods} pods were admitted`);
  });
});
