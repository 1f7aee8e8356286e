// Zones and node placement on a real scheduler: workloads rendered by the real program (zones,
// zoneSpread, nodeSelector, tolerations) are applied to the cluster of KUBECONFIG, and the suite
// reads where the scheduler put each pod. The cluster's nodes must carry topology.kubernetes.io/zone
// over 3 zones (the rig: 4 nodes in rig-a, rig-b, rig-c; ZONES_TEST_ZONES=a,b,c names others). The
// suite adds one node of its own (a KWOK node, which only the rig's KWOK brings to Ready), tainted
// and without a zone label, and deletes it afterwards; it touches no other node.
import { strict as assert } from "assert";
import { ZONE_KEY } from "../../components/placement";
import { flattenConfig } from "../../harness/stacks";
import {
  applyOrder,
  clearNamespaces,
  connectOrSkip,
  deleteVolumes,
  markNamespace,
  provideVolumes,
  waitForRollout,
} from "./cluster";
import { Kube, KubeObject, waitFor } from "./kube";
import { renderConfig, selectorOf, StatefulSetManifest } from "./render";

const STACK = "zones-suite";
const NS = `zones-${process.pid}`;
const ZONES = (process.env.ZONES_TEST_ZONES ?? "rig-a,rig-b,rig-c").split(",");
/** The suite's own node: tainted, labelled for the node selector, without a zone label. */
const NODE = `zones-${process.pid}-node`;
const POOL_LABEL = "zones-test.stateful.dev/pool";
const TAINT = { key: "zones-test.stateful.dev/dedicated", value: NODE, effect: "NoSchedule" };
const ROLLOUT_MS = 180_000;

interface ScheduledPod extends KubeObject {
  spec: { nodeName?: string };
  status?: { conditions?: { type: string; status: string; message?: string }[] };
}
interface Node extends KubeObject {
  status?: { conditions?: { type: string; status: string }[] };
  spec?: { taints?: { key: string }[] };
}

/** The workloads, each an nginx StatefulSet (Parallel: its pods are placed all at once). */
const WORKLOADS = [
  // Required spread over the named zones: 6 pods, 2 per zone.
  { name: "strict", replicas: 6, zones: ZONES, zoneSpread: "DoNotSchedule" },
  // The default, ScheduleAnyway: still one pod per zone on an even cluster.
  { name: "soft", replicas: 3 },
  // One more zone named than has nodes: minDomains makes the fourth pod wait.
  {
    name: "missing",
    replicas: 4,
    zones: [...ZONES, "zones-nowhere"],
    zoneSpread: "DoNotSchedule",
  },
  // Only the suite's node allows these: its label, and its taint tolerated. It has no zone label,
  // which ScheduleAnyway (the default) accepts...
  {
    name: "pinned",
    replicas: 2,
    nodeSelector: { [POOL_LABEL]: NODE },
    tolerations: [{ ...TAINT, operator: "Equal" }],
  },
  // ...and DoNotSchedule does not.
  {
    name: "unlabelled",
    replicas: 1,
    zoneSpread: "DoNotSchedule",
    nodeSelector: { [POOL_LABEL]: NODE },
    tolerations: [{ ...TAINT, operator: "Equal" }],
  },
  // Without the toleration, the taint keeps them off the one node the selector allows.
  { name: "untolerated", replicas: 1, nodeSelector: { [POOL_LABEL]: NODE } },
];

describe("zones and node placement on a real scheduler", function () {
  this.timeout(600_000);
  let kube: Kube;
  const sts = new Map<string, StatefulSetManifest>();
  const zoneOf = new Map<string, string | undefined>();

  async function podsOf(name: string): Promise<ScheduledPod[]> {
    return kube.list<ScheduledPod>("v1", "Pod", NS, {
      labelSelector: selectorOf(sts.get(name)!.spec.selector.matchLabels),
    });
  }

  /** Each pod's zone, for a workload whose pods are all scheduled. */
  async function zonesOf(name: string): Promise<string[]> {
    const pods = await podsOf(name);
    return pods.map((p) => {
      assert.ok(p.spec.nodeName, `pod ${p.metadata.name} is not scheduled`);
      return zoneOf.get(p.spec.nodeName) ?? "(no zone)";
    });
  }

  /** Why the scheduler left a pod Pending (its PodScheduled condition's message). */
  async function unschedulable(pod: string): Promise<string> {
    return waitFor(
      `pod ${NS}/${pod} to be found unschedulable`,
      async () => {
        const p = await kube.find<ScheduledPod>("v1", "Pod", NS, pod);
        const c = p?.status?.conditions?.find((x) => x.type === "PodScheduled");
        return c?.status === "False" && c.message ? c.message : undefined;
      },
      60_000,
    );
  }

  before(async function () {
    kube = await connectOrSkip(this, "zones suite");
    const nodes = await kube.list<Node>("v1", "Node");
    for (const n of nodes) zoneOf.set(n.metadata.name, n.metadata.labels?.[ZONE_KEY]);
    const present = new Set(zoneOf.values());
    if (!ZONES.every((z) => present.has(z))) {
      console.log(
        `    skipped: the cluster's nodes are not in zones ${ZONES.join(", ")} (set ZONES_TEST_ZONES)`,
      );
      this.skip();
    }
    await clearNamespaces(kube, [NS], 120_000);
    await kube.request("POST", "/api/v1/nodes", {
      body: {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name: NODE,
          annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
          labels: { [POOL_LABEL]: NODE, type: "kwok" },
        },
        spec: { taints: [TAINT] },
        status: {
          allocatable: { cpu: "8", memory: "32Gi", pods: "20" },
          capacity: { cpu: "8", memory: "32Gi", pods: "20" },
        },
      },
    });
    await waitFor(
      `node ${NODE} to be Ready, with only the suite's taint`,
      async () => {
        const n = await kube.get<Node>("v1", "Node", undefined, NODE);
        const ready = n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
        const taints = (n.spec?.taints ?? []).map((t) => t.key);
        return ready && taints.length === 1 ? true : undefined;
      },
      60_000,
    );

    const config = flattenConfig({
      "stateful:target": { renderYamlToDirectory: "out" },
      "stateful:storageClass": "standard",
      "stateful:namespaces": [
        {
          name: NS,
          workloads: WORKLOADS.map((w) => ({ kind: "nginx", storage: { size: "128Mi" }, ...w })),
        },
      ],
    });
    const { objects } = await renderConfig(config, STACK);
    for (const o of objects.sort((a, b) => applyOrder(a) - applyOrder(b))) {
      if (o.kind === "StatefulSet") {
        const s = o as StatefulSetManifest;
        sts.set(s.metadata.name, s);
        await provideVolumes(kube, STACK, s);
      }
      await kube.apply(o);
      if (o.kind === "Namespace") await markNamespace(kube, NS, STACK);
    }
  });

  after(async function () {
    this.timeout(300_000);
    if (!kube) return;
    await clearNamespaces(kube, [NS], 120_000);
    await deleteVolumes(kube, STACK);
    await kube.delete({ apiVersion: "v1", kind: "Node", metadata: { name: NODE } });
  });

  it("DoNotSchedule over the named zones: 6 pods, 2 in each zone", async () => {
    await waitForRollout(kube, sts.get("strict")!, ROLLOUT_MS);
    const zones = await zonesOf("strict");
    const counts = ZONES.map((z) => zones.filter((x) => x === z).length);
    assert.deepEqual(counts, [2, 2, 2], `pods per zone ${ZONES.join(", ")}: ${zones.join(", ")}`);
  });

  it("ScheduleAnyway (the default): 3 pods in 3 zones", async () => {
    await waitForRollout(kube, sts.get("soft")!, ROLLOUT_MS);
    const zones = await zonesOf("soft");
    assert.deepEqual([...zones].sort(), [...ZONES].sort(), `zones of the pods: ${zones}`);
  });

  it("a named zone without nodes: each zone takes one pod (minDomains) and the fourth waits", async () => {
    const message = await unschedulable("missing-3");
    assert.match(message, /topology spread constraints/, message);
    const pods = await podsOf("missing");
    const placed = pods.filter((p) => p.spec.nodeName);
    assert.equal(placed.length, 3, "three pods placed");
    assert.deepEqual(
      placed.map((p) => zoneOf.get(p.spec.nodeName!)).sort(),
      [...ZONES].sort(),
      "one per zone",
    );
  });

  it("a node selector and a toleration put the pods on the one node that allows them, which ScheduleAnyway accepts without a zone label", async () => {
    await waitForRollout(kube, sts.get("pinned")!, ROLLOUT_MS);
    const nodes = (await podsOf("pinned")).map((p) => p.spec.nodeName);
    assert.deepEqual(nodes, [NODE, NODE]);
  });

  it("DoNotSchedule never places a pod on a node without the zone label", async () => {
    const message = await unschedulable("unlabelled-0");
    assert.match(
      message,
      /didn't match pod topology spread constraints \(missing required label\)/,
    );
  });

  it("without the toleration, the tainted node refuses the pods", async () => {
    const message = await unschedulable("untolerated-0");
    assert.match(message, /1 node\(s\) had untolerated taint/, message);
  });
});
