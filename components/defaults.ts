// The one place where the defaults of every workload kind live. resolveWorkloadArgs
// (workloadArgs.ts) applies them to a component's args with `??`; the workload rules
// (workloadRules.ts) read them for checks that span fields (seeds must not exceed replicas, heap
// must fit in memory, ...). Images are pinned by version, never `latest`.

/** Requests and limits of the main container. */
export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu?: string; memory: string };
}

export interface KindDefaults {
  image: string;
  replicas: number;
  storageSize: string;
  podManagementPolicy: "OrderedReady" | "Parallel";
  resources: Resources;
  /**
   * Seconds one pod may take from scheduling to ready, copying data aside: the startup probe's
   * budget.
   */
  startupSeconds: number;
  /**
   * A new pod first copies up to a claim's worth of data from its peers (a PostgreSQL replica's
   * clone of the primary, a Cassandra node's bootstrap streaming): `pulumi up`'s wait for it grows
   * with the claim size (see copySeconds); its probes do not, so a resize rolls no pod.
   */
  copiesDataAtStart: boolean;
  terminationGracePeriodSeconds: number;
  /** The numeric user and group the image runs as (restricted PSS needs runAsNonRoot). */
  uid: number;
  /**
   * The workload serves only while a majority of its pods is up (a quorum-replicated store): its
   * disruption budget and its zones must never let a majority go.
   */
  quorum: boolean;
}

export const DEFAULTS = {
  nginx: {
    image: "nginxinc/nginx-unprivileged:1.27.4-alpine",
    replicas: 2,
    storageSize: "1Gi",
    podManagementPolicy: "Parallel",
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    startupSeconds: 60,
    copiesDataAtStart: false,
    terminationGracePeriodSeconds: 30,
    uid: 101,
    quorum: false,
  },
  redis: {
    image: "redis:7.4.2-alpine",
    replicas: 3,
    storageSize: "1Gi",
    podManagementPolicy: "Parallel",
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    startupSeconds: 120,
    copiesDataAtStart: false,
    terminationGracePeriodSeconds: 30,
    uid: 999,
    quorum: false,
  },
  postgres: {
    image: "postgres:17.2-bookworm",
    replicas: 1,
    storageSize: "10Gi",
    podManagementPolicy: "OrderedReady",
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
    startupSeconds: 300,
    copiesDataAtStart: true,
    terminationGracePeriodSeconds: 60,
    uid: 999,
    quorum: false,
  },
  cassandra: {
    image: "cassandra:5.0.2",
    replicas: 3,
    storageSize: "10Gi",
    podManagementPolicy: "OrderedReady",
    resources: { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "2Gi" } },
    startupSeconds: 600,
    copiesDataAtStart: true,
    terminationGracePeriodSeconds: 180,
    uid: 999,
    quorum: true,
  },
} as const satisfies Record<string, KindDefaults>;

export type WorkloadKind = keyof typeof DEFAULTS;

/**
 * The rate at which a new pod is assumed to copy its peers' data (MiB/s): a deliberately low
 * figure for network-attached volumes across nodes. Slower storage needs `startupSeconds` set.
 */
export const DATA_COPY_MIB_PER_SECOND = 50;

/** Seconds to copy a claim of `sizeMiB` at DATA_COPY_MIB_PER_SECOND, rounded up. */
export function copySeconds(sizeMiB: number): number {
  return Math.ceil(sizeMiB / DATA_COPY_MIB_PER_SECOND);
}

/**
 * Upper bounds of the numeric keys: a StatefulSet of more pods than this is not what these
 * components are built for, and a typo such as 100000000 is refused instead of exhausting memory.
 */
export const LIMITS = {
  replicas: 1000,
  /** One day: a pod that needs longer to become ready has a problem a longer wait will not fix. */
  startupSeconds: 86400,
  /** Counts in a namespace quota (pods, claims). */
  quotaCount: 100000,
} as const;
export const WORKLOAD_KINDS = Object.keys(DEFAULTS) as WorkloadKind[];

/** Claims are kept on delete and on scale-down unless a stack says otherwise: nothing lost by default. */
export const DEFAULT_RETENTION = { whenDeleted: "Retain", whenScaled: "Retain" } as const;

export const DEFAULT_ACCESS_MODES = ["ReadWriteOnce"];

/** Redis's own defaults. */
export const REDIS_DEFAULTS = {
  /**
   * Sentinel (automatic failover) is on by default from this many replicas, and refused below:
   * one Sentinel runs in each pod, and a majority of them must agree to elect a new primary, which
   * still exists after losing a pod only from three pods up.
   */
  sentinelMinReplicas: 3,
} as const;

/** Whether a Redis workload of `replicas` pods runs Sentinel when its config does not say. */
export function redisSentinelDefault(replicas: number): boolean {
  return replicas >= REDIS_DEFAULTS.sentinelMinReplicas;
}

/** PostgreSQL's own defaults: the application database and role, and the streaming-replication role. */
export const POSTGRES_DEFAULTS = {
  database: "app",
  user: "app",
  replicationUser: "replicator",
  /** WAL the primary keeps for replicas that fall behind; one further behind must be re-cloned. */
  walKeepSize: "512MB",
} as const;

/** Cassandra's own defaults. `seeds` is capped at the replica count. */
export const CASSANDRA_DEFAULTS = {
  seeds: 2,
  clusterName: "stateful",
  datacenter: "dc1",
  rack: "rack1",
  /** The superuser role made with the generated password (the default role `cassandra` is disabled). */
  superuser: "admin",
} as const;

/**
 * Memory a Cassandra container needs beyond the server's heap and direct memory (MiB), estimated:
 * one nodetool JVM at a time (its heap, and its metaspace, code cache and threads), and the server
 * JVM's own overhead (metaspace, code cache, thread stacks, GC structures).
 */
export const CASSANDRA_MEMORY_RESERVE = {
  nodetoolHeap: 128,
  nodetoolNonHeap: 64,
  serverNonHeap: 192,
} as const;

/** Direct (off-heap NIO) memory Cassandra may use: a quarter of the container's memory. */
export function cassandraDirectMiB(memoryMiB: number): number {
  return Math.floor(memoryMiB / 4);
}

/**
 * The largest heap that fits a Cassandra container: at most half its memory, and never more than
 * what is left after direct memory and the reserve (1Gi allows 384Mi, 2Gi 1024Mi).
 */
export function cassandraHeapCeilingMiB(memoryMiB: number): number {
  const reserve = Object.values(CASSANDRA_MEMORY_RESERVE).reduce((a, b) => a + b, 0);
  return Math.min(Math.floor(memoryMiB / 2), memoryMiB - cassandraDirectMiB(memoryMiB) - reserve);
}

/**
 * Metrics (components/metrics.ts): each kind's exporter image, pinned by version, and the scrape
 * interval a ServiceMonitor asks for when the stack names none.
 */
export const METRICS_DEFAULTS = {
  images: {
    nginx: "nginx/nginx-prometheus-exporter:1.4.1",
    redis: "oliver006/redis_exporter:v1.67.0",
    postgres: "quay.io/prometheuscommunity/postgres-exporter:v0.17.1",
    cassandra: "criteord/cassandra_exporter:2.3.8",
  },
  interval: "30s",
} as const satisfies { images: Record<WorkloadKind, string>; interval: string };
