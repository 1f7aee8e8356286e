// Cassandra as a StatefulSet: a ring whose seeds are the first pods' stable DNS names, one node per
// pod, joined one at a time (OrderedReady), discovered through a headless Service that publishes
// pods before they are ready, drained before they stop, and never disrupted below quorum.
import * as pulumi from "@pulumi/pulumi";
import { assertValidWorkload } from "./config";
import { CASSANDRA_DEFAULTS } from "./defaults";
import { objectNames, podDnsNames } from "./names";
import { mebibytes } from "./quantity";
import {
  BaseWorkloadArgs,
  commonWorkloadArgs,
  fieldEnv,
  resolveWorkloadArgs,
  StatefulWorkload,
} from "./statefulWorkload";

export const CQL_PORT = 9042;
export const INTRA_NODE_PORT = 7000;
const DATA = "/var/lib/cassandra";
/**
 * nodetool starts its own JVM with `-Xmx$MAX_HEAP_SIZE`, and the container's MAX_HEAP_SIZE is the
 * server's heap: every probe and hook sets a small one, so nodetool never claims the server's memory.
 */
export const NODETOOL_ENV = "MAX_HEAP_SIZE=128M";
/** Seconds `nodetool status` may take in the readiness probe; the probe's timeout is one more. */
const STATUS_TIMEOUT = 10;
const STARTUP_PERIOD = 10;

/** Arguments of a Cassandra workload; see BaseWorkloadArgs for the fields every kind shares. */
export interface CassandraArgs extends BaseWorkloadArgs {
  /**
   * How many of the first pods are seeds (at least 1, at most replicas).
   * @default 2, or replicas when fewer
   */
  seeds?: number;
  /**
   * The cluster name; nodes with another name refuse to join.
   * @default "stateful"
   */
  clusterName?: string;
  /**
   * The datacenter every node reports (GossipingPropertyFileSnitch).
   * @default "dc1"
   */
  datacenter?: string;
  /**
   * The rack every node reports.
   * @default "rack1"
   */
  rack?: string;
  /**
   * The JVM heap and its young generation.
   * @default derived from the memory request by Cassandra's own rule (cassandraHeap)
   */
  heap?: { max: string; newGen: string };
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

/** The comma-separated seed list: the stable DNS names of the first `seeds` pods. */
export function seedList(podNames: string[], seeds: number): string {
  return podNames.slice(0, seeds).join(",");
}

/** Ready: `nodetool status` lists this pod's own IP as Up and Normal. */
export const CASSANDRA_READINESS_SCRIPT =
  `${NODETOOL_ENV} timeout ${STATUS_TIMEOUT} nodetool status | ` +
  `awk -v ip="$POD_IP" '$1 == "UN" && $2 == ip { up = 1 } END { exit !up }'`;

export class Cassandra extends pulumi.ComponentResource {
  public readonly workload: StatefulWorkload;
  public readonly serviceDnsName: pulumi.Output<string>;
  public readonly podDnsNames: pulumi.Output<string[]>;
  /** The seeds' stable DNS names, which clients may also use as contact points. */
  public readonly seeds: pulumi.Output<string[]>;

  constructor(name: string, args: CassandraArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidWorkload("Cassandra", name, { kind: "cassandra", ...args });
    super("stateful:workloads:Cassandra", name, {}, opts);
    const r = resolveWorkloadArgs("cassandra", name, args);
    const names = objectNames(r.name);
    const pods = podDnsNames(
      names.statefulSet,
      names.service,
      r.namespace,
      r.replicas,
      r.clusterDomain,
    );
    const seeds = args.seeds ?? Math.min(CASSANDRA_DEFAULTS.seeds, r.replicas);
    const heap = args.heap
      ? { maxMiB: mebibytes(args.heap.max)!, newGenMiB: mebibytes(args.heap.newGen)! }
      : cassandraHeap(mebibytes(r.resources.requests.memory)!);

    const env = [
      fieldEnv("POD_IP", "status.podIP"),
      { name: "CASSANDRA_LISTEN_ADDRESS", value: "$(POD_IP)" },
      { name: "CASSANDRA_SEEDS", value: seedList(pods, seeds) },
      {
        name: "CASSANDRA_CLUSTER_NAME",
        value: args.clusterName ?? CASSANDRA_DEFAULTS.clusterName,
      },
      { name: "CASSANDRA_ENDPOINT_SNITCH", value: "GossipingPropertyFileSnitch" },
      { name: "CASSANDRA_DC", value: args.datacenter ?? CASSANDRA_DEFAULTS.datacenter },
      { name: "CASSANDRA_RACK", value: args.rack ?? CASSANDRA_DEFAULTS.rack },
      { name: "MAX_HEAP_SIZE", value: `${heap.maxMiB}M` },
      { name: "HEAP_NEWSIZE", value: `${heap.newGenMiB}M` },
    ];

    this.workload = new StatefulWorkload(
      name,
      {
        ...commonWorkloadArgs(r),
        app: "cassandra",
        component: "database",
        ports: [
          { name: "cql", port: CQL_PORT },
          { name: "intra-node", port: INTRA_NODE_PORT, peerOnly: true },
        ],
        storage: { ...r.storage, mountPath: DATA },
        // Nodes find their seeds by DNS before any of them is ready.
        publishNotReadyAddresses: true,
        quorum: true,
        containers: [
          {
            name: "cassandra",
            image: r.image,
            env,
            resources: r.resources,
            // Boot (commit log replay, gossip) is done once the intra-node port listens; the
            // budget is the workload's startupSeconds, which also sizes pulumi's wait.
            startupProbe: {
              tcpSocket: { port: "intra-node" },
              periodSeconds: STARTUP_PERIOD,
              timeoutSeconds: 5,
              failureThreshold: Math.ceil(r.startupSeconds / STARTUP_PERIOD),
            },
            readinessProbe: {
              exec: { command: ["sh", "-c", CASSANDRA_READINESS_SCRIPT] },
              periodSeconds: 15,
              timeoutSeconds: STATUS_TIMEOUT + 1,
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
