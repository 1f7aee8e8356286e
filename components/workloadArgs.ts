// What the four workload kinds share: the arguments every kind accepts from its caller, the one
// place where a kind's defaults meet them, and small builders for the containers' env. Each kind
// (nginx.ts, redis.ts, postgres.ts, cassandra.ts) resolves its args here, then hands them with its
// own containers to StatefulWorkload, which knows no kind.
import { copySeconds, DEFAULTS, KindDefaults, Resources, WorkloadKind } from "./defaults";
import { objectNames, podDnsNames } from "./names";
import type { MetricsOptions } from "./metrics";
import type { TlsOptions } from "./tls";
import { mebibytes } from "./quantity";
import { PlacementArgs, placementOf } from "./placement";
import { majorityNeeded, WorkloadCheckInput } from "./workloadRules";
import { podBackupOf, RestoreSource, SnapshotSet, VeleroOptions } from "./snapshots";
import { Peer, RetentionPolicy, StatefulWorkloadArgs, WORKLOAD_DEFAULTS } from "./statefulWorkload";

/** An env var read from a key of the workload's Secret (`<name>-auth`): the value never enters the pod spec. */
export function secretEnv(envName: string, secretName: string, key: string) {
  return { name: envName, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

/** An env var from the downward API, such as `metadata.name` or `status.podIP`. */
export function fieldEnv(envName: string, fieldPath: string) {
  return { name: envName, valueFrom: { fieldRef: { fieldPath } } };
}

/**
 * What every workload kind accepts from its caller; each kind's component adds its own fields. The
 * placement fields (PlacementArgs: zones, node selector, node affinity, tolerations) go to
 * StatefulWorkload as they are.
 */
export interface BaseWorkloadArgs extends PlacementArgs {
  /** The namespace (a plain string, so that DNS names are known at preview). */
  namespace: string;
  /**
   * The Kubernetes name of the StatefulSet, Service and the rest.
   * @default the component's name
   */
  name?: string;
  /**
   * The number of pods.
   * @default the kind's default (components/defaults.ts)
   */
  replicas?: number;
  /**
   * The container image, pinned by tag or digest.
   * @default the kind's pinned image (components/defaults.ts)
   */
  image?: string;
  /** The per-pod claim: `className` is required; `size` defaults to the kind's size. */
  storage: { className: string; size?: string; accessModes?: string[] };
  /**
   * Claim retention on delete and scale-down.
   * @default { whenDeleted: "Retain", whenScaled: "Retain" }
   */
  retention?: RetentionPolicy;
  /**
   * Pod management policy.
   * @default the kind's (Parallel for nginx and Redis, OrderedReady for PostgreSQL and Cassandra)
   */
  podManagementPolicy?: "OrderedReady" | "Parallel";
  /**
   * The rolling-update partition.
   * @default 0
   */
  updatePartition?: number;
  /**
   * Requests and limits of the main container; an unset memory limit equals the memory request.
   * @default the kind's (components/defaults.ts)
   */
  resources?: {
    requests: { cpu: string; memory: string };
    limits?: { cpu?: string; memory?: string };
  };
  /**
   * Pods allowed to reach the client ports.
   * @default [] (only the workload's own pods)
   */
  allowFrom?: Peer[];
  /**
   * Seconds one pod may take to become ready: the startup probe's budget and, with the replica
   * count, how long `pulumi up` waits for the StatefulSet. When set, it is the whole wait per pod.
   * @default the kind's (components/defaults.ts); for PostgreSQL and Cassandra `pulumi up` also
   * waits the time to copy a full claim at 50 MiB/s (a replica's clone, a node's bootstrap), which
   * the probes do not need
   */
  startupSeconds?: number;
  /**
   * The cluster's DNS domain.
   * @default "cluster.local"
   */
  clusterDomain?: string;
  /**
   * Expand existing pods' claims when `storage.size` grows (needs a cluster; the stack turns it
   * off when it renders YAML).
   * @default true
   */
  expandClaims?: boolean;
  /**
   * Snapshot sets: each is one VolumeSnapshot of every pod's claim (`<name>-<set>-<i>`), taken
   * once, after the StatefulSet is ready, and kept in the cluster when the set leaves the list.
   * @default [] (needs a cluster with the VolumeSnapshot API and a CSI snapshot controller)
   */
  snapshots?: SnapshotSet[];
  /**
   * Create the workload from snapshots: each pod's claim `data-<name>-<i>` is made from its own
   * VolumeSnapshot before the StatefulSet exists. Acts when the workload is first created only.
   * @default none: new claims start empty
   */
  restoreFrom?: RestoreSource;
  /**
   * Annotate the pods for Velero: file system backup of the claim, and a pre-backup hook that
   * quiesces the kind first.
   * @default none
   */
  velero?: VeleroOptions;
  /**
   * Prometheus metrics (components/metrics.ts): the kind's exporter in every pod, a `metrics` port
   * on the headless Service that only `scrapers` may reach, and optionally a ServiceMonitor.
   * @default none
   */
  metrics?: MetricsOptions;
  /**
   * TLS for client traffic (components/tls.ts): a kubernetes.io/tls Secret the user made, or a
   * cert-manager Certificate the workload makes. PostgreSQL, Redis and Cassandra only.
   * @default none: clients connect in plain text
   */
  tls?: TlsOptions;
}

/** The StatefulWorkload args that a kind passes on as resolved, untouched. */
type PassedOn = PlacementArgs &
  Pick<StatefulWorkloadArgs, "snapshots" | "restoreFrom" | "backup" | "tls"> &
  Pick<
    StatefulWorkloadArgs,
    | "retention"
    | "updatePartition"
    | "allowFrom"
    | "uid"
    | "namespace"
    | "replicas"
    | "expandClaims"
  > &
  Required<
    Pick<
      StatefulWorkloadArgs,
      | "name"
      | "podManagementPolicy"
      | "startupSeconds"
      | "dataCopySeconds"
      | "terminationGracePeriodSeconds"
      | "clusterDomain"
      | "quorum"
    >
  >;

/**
 * BaseWorkloadArgs with the kind's defaults applied. `image`, `resources` and `storage` go into the
 * kind's containers and claim; every other field is StatefulWorkload's own, so a kind passes it on
 * with a spread: `const { image, resources, storage, ...passOn } = resolveWorkloadArgs(...)`.
 */
export type ResolvedWorkloadArgs = PassedOn & {
  image: string;
  resources: Resources;
  storage: { className: string; size: string; accessModes?: string[] };
};

/** Applies a kind's defaults to the caller's args: the one place where they meet. */
export function resolveWorkloadArgs(
  kind: WorkloadKind,
  componentName: string,
  args: BaseWorkloadArgs & Omit<WorkloadCheckInput, "kind">,
): ResolvedWorkloadArgs {
  const d: KindDefaults = DEFAULTS[kind];
  const size = args.storage.size ?? d.storageSize;
  const replicas = args.replicas ?? d.replicas;
  const resources: Resources = args.resources
    ? {
        requests: args.resources.requests,
        limits: {
          ...args.resources.limits,
          memory: args.resources.limits?.memory ?? args.resources.requests.memory,
        },
      }
    : d.resources;
  return {
    name: args.name ?? componentName,
    namespace: args.namespace,
    replicas,
    image: args.image ?? d.image,
    storage: { ...args.storage, size },
    retention: args.retention,
    podManagementPolicy: args.podManagementPolicy ?? d.podManagementPolicy,
    updatePartition: args.updatePartition,
    resources,
    allowFrom: args.allowFrom,
    startupSeconds: args.startupSeconds ?? d.startupSeconds,
    // An explicit startupSeconds is the whole budget; the default adds the copy to the wait alone.
    dataCopySeconds:
      args.startupSeconds === undefined && d.copiesDataAtStart
        ? copySeconds(mebibytes(size) ?? 0)
        : 0,
    terminationGracePeriodSeconds: d.terminationGracePeriodSeconds,
    // The disruption budget keeps the majority that the zone rules keep (Cassandra, Redis with
    // Sentinel): one answer to whether the workload needs one.
    quorum: majorityNeeded({ ...args, kind }, replicas) !== undefined,
    uid: d.uid,
    clusterDomain: args.clusterDomain ?? WORKLOAD_DEFAULTS.clusterDomain,
    expandClaims: args.expandClaims,
    snapshots: args.snapshots,
    restoreFrom: args.restoreFrom,
    backup: args.velero ? podBackupOf(kind, args.velero) : undefined,
    tls: args.tls,
    ...placementOf(args),
  };
}

/** Pod 0's stable DNS name: the primary of a primary/replica workload, the first seed of a ring. */
export function firstPodDnsName(
  r: Pick<ResolvedWorkloadArgs, "name" | "namespace" | "clusterDomain">,
): string {
  const names = objectNames(r.name);
  return podDnsNames(names.statefulSet, names.service, r.namespace, 1, r.clusterDomain)[0];
}

/**
 * Pod `ordinal`'s stable DNS name, whether or not the replica count makes that pod: a name in the
 * pod template that does not follow the replica count leaves the template alone on scaling.
 */
export function podDnsName(
  r: Pick<ResolvedWorkloadArgs, "name" | "namespace" | "clusterDomain">,
  ordinal: number,
): string {
  const names = objectNames(r.name);
  return podDnsNames(names.statefulSet, names.service, r.namespace, ordinal + 1, r.clusterDomain)[
    ordinal
  ];
}
