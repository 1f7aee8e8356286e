// Cassandra as a StatefulSet: a ring whose seeds are the first pods' stable DNS names, one node per
// pod, joined one at a time (OrderedReady), discovered through a headless Service that publishes
// pods before they are ready, drained before they stop, and never disrupted below quorum.
import * as pulumi from "@pulumi/pulumi";
import { assertValidWorkload } from "./workloadRules";
import { cassandraExporter, metricsFor } from "./metrics";
import {
  CASSANDRA_DEFAULTS,
  CASSANDRA_MEMORY_RESERVE,
  cassandraDirectMiB,
  cassandraHeapCeilingMiB,
} from "./defaults";
import { objectNames, podDnsNames } from "./names";
import { mebibytes } from "./quantity";
import { StatefulWorkload } from "./statefulWorkload";
import { BaseWorkloadArgs, fieldEnv, resolveWorkloadArgs } from "./workloadArgs";

export const CQL_PORT = 9042;
export const INTRA_NODE_PORT = 7000;
const DATA = "/var/lib/cassandra";
/** The heap of a nodetool JVM, which runs inside the server's container and memory limit. */
const NODETOOL_HEAP_MIB = CASSANDRA_MEMORY_RESERVE.nodetoolHeap;
/**
 * nodetool starts its own JVM with `-Xmx$MAX_HEAP_SIZE`, and the container's MAX_HEAP_SIZE is the
 * server's heap: every probe and hook sets a small one, so nodetool never claims the server's memory.
 */
export const NODETOOL_ENV = `MAX_HEAP_SIZE=${NODETOOL_HEAP_MIB}M`;
/** Seconds the readiness probe's connection to the CQL port may take; the probe's timeout is one more. */
const CQL_CONNECT_TIMEOUT = 2;
/** Seconds between readiness probes: a shell and one local connection, no JVM. */
const READINESS_PERIOD = 10;
/**
 * Written on the node's claim the first time it is ready: the node has joined the ring, so its own
 * address is a valid seed from then on.
 */
export const JOINED_MARKER = `${DATA}/.joined`;
const STARTUP_PERIOD = 10;

/** Arguments of a Cassandra workload; see BaseWorkloadArgs for the fields every kind shares. */
export interface CassandraArgs extends BaseWorkloadArgs {
  /**
   * How many of the first pods are seeds (at least 1, at most replicas). Fix it before the first
   * start: a seed never bootstraps (streams its share of the data from the ring) when it first
   * joins, so a pod that becomes a seed before its first start, such as pod 1 when a one-pod ring
   * with the default (then 1 seed) grows to 3 pods (then 2), or a seed whose claim is lost, joins
   * empty and owns token ranges it has no data for until a repair.
   * @default 2, or replicas when fewer
   */
  seeds?: number;
  /**
   * The cluster name; nodes with another name refuse to join. Fixed at the first start: each node
   * stores it in its system keyspace and refuses to start under another name.
   * @default "stateful"
   */
  clusterName?: string;
  /**
   * The datacenter every node reports (GossipingPropertyFileSnitch). Fixed at the first start: a
   * node refuses to start in another datacenter than the one it stored.
   * @default "dc1"
   */
  datacenter?: string;
  /**
   * The rack every node reports. Fixed at the first start, like the datacenter.
   * @default "rack1"
   */
  rack?: string;
  /**
   * The JVM heap and its young generation.
   * @default derived from the container's memory (cassandraMemory)
   */
  heap?: { max: string; newGen: string };
  /**
   * Lowering `replicas` is refused unless this equals the new replica count: it says that every
   * node with that ordinal or higher has been decommissioned (`nodetool decommission`) and its
   * claim deleted. Remove it once the ring is scaled down.
   * @default scaling down is refused
   */
  decommissionedFrom?: number;
}

/**
 * Cassandra's own sizing rule (cassandra-env.sh) for a container with this much memory:
 * max(min(1/2 memory, 1024 MiB), min(1/4 memory, 8192 MiB)), and a young generation of a quarter
 * of the heap.
 */
export function cassandraHeap(memoryMiB: number): { maxMiB: number; newGenMiB: number } {
  const maxMiB = Math.max(
    Math.min(Math.floor(memoryMiB / 2), 1024),
    Math.min(Math.floor(memoryMiB / 4), 8192),
  );
  return { maxMiB, newGenMiB: Math.floor(maxMiB / 4) };
}

/** The server JVM's memory: heap, young generation and the direct-memory ceiling, in MiB. */
export interface CassandraMemory {
  maxMiB: number;
  newGenMiB: number;
  directMiB: number;
}

/**
 * The server's memory in a container with this memory request and limit (MiB).
 *
 * Direct memory (NIO buffers: the chunk cache, network and streaming buffers) is capped at a
 * quarter of the limit: otherwise the JVM's default (as much as the heap) applies, and nothing in
 * cassandra-env.sh bounds it by the container's limit (its own sizing reads the host's memory with
 * free -m). Past the cap the JVM throws OutOfMemoryError (cassandra-env.sh then kills it), which
 * names the cause in the log, rather than the container being OOM-killed with no trace of why.
 *
 * The heap, unless given, follows Cassandra's rule (cassandraHeap) from the request, and never
 * exceeds half the limit nor what the limit leaves once direct memory and the reserve
 * (CASSANDRA_MEMORY_RESERVE: a nodetool JVM, the server's non-heap) are counted:
 *
 *   limit | heap (rule / capped) | direct | nodetool heap + non-heap | server non-heap | total
 *   1Gi   | 512 / 384            | 256    | 128 + 64                | 192             | 1024
 *   2Gi   | 1024 / 1024          | 512    | 128 + 64                | 192             | 1920
 *
 * The server's heap is committed at start (-Xms = -Xmx); direct memory and the nodetool JVM only
 * grow to their ceilings. Readiness runs one nodetool at a time (its timeout is below its period);
 * only the drain at shutdown may overlap a probe. Page cache is also charged to the container but
 * is reclaimed before the limit is enforced. A given heap is taken as is: config validation allows
 * up to half the limit, which below a 1536Mi limit leaves less than this budget assumes.
 */
export function cassandraMemory(
  requestMiB: number,
  limitMiB: number,
  heap?: { maxMiB: number; newGenMiB: number },
): CassandraMemory {
  const directMiB = cassandraDirectMiB(limitMiB);
  if (heap) return { ...heap, directMiB };
  const maxMiB = Math.min(cassandraHeap(requestMiB).maxMiB, cassandraHeapCeilingMiB(limitMiB));
  return { maxMiB, newGenMiB: Math.floor(maxMiB / 4), directMiB };
}

/** The comma-separated seed list: the stable DNS names of the first `seeds` pods. */
export function seedList(podNames: string[], seeds: number): string {
  return podNames.slice(0, seeds).join(",");
}

/** Ready: `nodetool status` lists this pod's own IP as Up and Normal. */
export const CASSANDRA_READINESS_SCRIPT = [
  // The native transport opens only once the node has joined the ring (bootstrap, streaming and
  // commit-log replay done) and closes on drain: a listening CQL port is a node that serves.
  // bash's /dev/tcp makes the check one local connection, where nodetool started a JVM
  // (about 1.9 CPU-seconds and 95 MiB) per probe.
  `if ! timeout ${CQL_CONNECT_TIMEOUT} bash -c 'exec 3<>/dev/tcp/127.0.0.1/${CQL_PORT}' 2>/dev/null; then`,
  `  echo "CQL port ${CQL_PORT} not listening yet"; exit 1`,
  "fi",
  `[ -e ${JOINED_MARKER} ] || touch ${JOINED_MARKER}`,
].join("\n");

/**
 * The container's command. A node whose claim says it has joined the ring before lists its own
 * address among the seeds, so it starts even when no other seed answers (after a whole-ring
 * restart, or while the seed pods are down): Cassandra refuses to start with no reachable seed.
 * A new node never does: a seed skips bootstrap and would join without its data.
 */
export const CASSANDRA_START_SCRIPT = [
  "set -eu",
  `if [ -e ${JOINED_MARKER} ]; then`,
  '  echo "this node has joined the ring before: adding its own address $POD_IP to the seeds"',
  '  export CASSANDRA_SEEDS="${CASSANDRA_SEEDS:+$CASSANDRA_SEEDS,}$POD_IP"',
  "fi",
  "exec docker-entrypoint.sh cassandra -f",
].join("\n");

/**
 * Why a ring is not scaled down by lowering `replicas`: the StatefulSet would stop the highest
 * nodes without `nodetool decommission`, leaving dead nodes in the ring that hold token ranges, and
 * their kept claims would bring stale data (and resurrected deletes) back on a later scale-up.
 */
export const CASSANDRA_SCALE_DOWN =
  "the StatefulSet would stop the highest nodes without decommissioning them; run " +
  "`nodetool decommission` on each leaving node (highest ordinal first), delete its claim " +
  "data-<name>-<i>, then set decommissionedFrom and replicas to the new count (README, " +
  "Operations: scale a Cassandra ring down)";

export class Cassandra extends pulumi.ComponentResource {
  public readonly workload: StatefulWorkload;
  public readonly serviceDnsName: pulumi.Output<string>;
  public readonly podDnsNames: pulumi.Output<string[]>;
  /** The seeds' stable DNS names, which clients may also use as contact points. */
  public readonly seeds: pulumi.Output<string[]>;

  constructor(name: string, args: CassandraArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidWorkload("Cassandra", name, { kind: "cassandra", ...args });
    super("stateful:workloads:Cassandra", name, {}, opts);
    const { image, resources, storage, ...shared } = resolveWorkloadArgs("cassandra", name, args);
    const names = objectNames(shared.name);
    const pods = podDnsNames(
      names.statefulSet,
      names.service,
      shared.namespace,
      shared.replicas,
      shared.clusterDomain,
    );
    const seeds = args.seeds ?? Math.min(CASSANDRA_DEFAULTS.seeds, shared.replicas);
    const memory = cassandraMemory(
      mebibytes(resources.requests.memory)!,
      mebibytes(resources.limits.memory)!,
      args.heap && {
        maxMiB: mebibytes(args.heap.max)!,
        newGenMiB: mebibytes(args.heap.newGen)!,
      },
    );

    // The seeds, the cluster name, the datacenter and the rack are written into each node's data
    // at its first start and must not change afterwards (see CassandraArgs): a changed name,
    // datacenter or rack makes the rolled pods refuse to start, and a pod that becomes a seed
    // before its first start skips bootstrap and joins without its data.
    const clusterName = args.clusterName ?? CASSANDRA_DEFAULTS.clusterName;
    const datacenter = args.datacenter ?? CASSANDRA_DEFAULTS.datacenter;
    const rack = args.rack ?? CASSANDRA_DEFAULTS.rack;
    const newRing = "a node refuses to start with another saved value; deploy a new ring instead";
    const env = [
      fieldEnv("POD_IP", "status.podIP"),
      { name: "CASSANDRA_LISTEN_ADDRESS", value: "$(POD_IP)" },
      { name: "CASSANDRA_SEEDS", value: seedList(pods, seeds) },
      { name: "CASSANDRA_CLUSTER_NAME", value: clusterName },
      { name: "CASSANDRA_ENDPOINT_SNITCH", value: "GossipingPropertyFileSnitch" },
      { name: "CASSANDRA_DC", value: datacenter },
      { name: "CASSANDRA_RACK", value: rack },
      { name: "MAX_HEAP_SIZE", value: `${memory.maxMiB}M` },
      { name: "HEAP_NEWSIZE", value: `${memory.newGenMiB}M` },
      // cassandra-env.sh appends JVM_EXTRA_OPTS last, so this wins over any value it derives.
      { name: "JVM_EXTRA_OPTS", value: `-XX:MaxDirectMemorySize=${memory.directMiB}M` },
    ];

    this.workload = new StatefulWorkload(
      name,
      {
        ...shared,
        app: "cassandra",
        component: "database",
        ports: [
          { name: "cql", port: CQL_PORT },
          { name: "intra-node", port: INTRA_NODE_PORT, peerOnly: true },
        ],
        storage: { ...storage, mountPath: DATA },
        metrics: metricsFor(args.metrics, () => cassandraExporter(names.configMap)),
        // Nodes find their seeds by DNS before any of them is ready.
        publishNotReadyAddresses: true,
        fixedAfterStart: {
          clusterName: { value: clusterName, instead: newRing },
          datacenter: { value: datacenter, instead: newRing },
          rack: { value: rack, instead: newRing },
        },
        scaleDownRefusal: args.decommissionedFrom === undefined ? CASSANDRA_SCALE_DOWN : undefined,
        containers: [
          {
            name: "cassandra",
            image: image,
            command: ["bash", "-c", CASSANDRA_START_SCRIPT],
            env,
            resources: resources,
            // Boot (commit log replay, gossip) is done once the intra-node port listens, before
            // a new node streams its data: the budget is startupSeconds without the copy time,
            // which only pulumi's wait adds (dataCopySeconds).
            startupProbe: {
              tcpSocket: { port: "intra-node" },
              periodSeconds: STARTUP_PERIOD,
              timeoutSeconds: 5,
              failureThreshold: Math.ceil(shared.startupSeconds / STARTUP_PERIOD),
            },
            readinessProbe: {
              exec: { command: ["bash", "-c", CASSANDRA_READINESS_SCRIPT] },
              periodSeconds: READINESS_PERIOD,
              timeoutSeconds: CQL_CONNECT_TIMEOUT + 1,
              failureThreshold: 3,
            },
            // Gossip keeps listening while a node joins and streams: a joining node is never killed.
            livenessProbe: {
              tcpSocket: { port: "intra-node" },
              periodSeconds: 20,
              timeoutSeconds: 5,
              failureThreshold: 6,
            },
            lifecycle: {
              // Flush memtables and stop taking writes, so the next start replays no commit log.
              preStop: { exec: { command: ["sh", "-c", `${NODETOOL_ENV} nodetool drain`] } },
            },
          },
        ],
      },
      { parent: this },
    );

    this.serviceDnsName = this.workload.serviceDnsName;
    this.podDnsNames = this.workload.podDnsNames;
    this.seeds = pulumi.output(pods.slice(0, seeds));
    this.registerOutputs({
      serviceDnsName: this.serviceDnsName,
      podDnsNames: this.podDnsNames,
      seeds: this.seeds,
    });
  }
}
