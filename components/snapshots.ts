// Snapshots and restore of a workload's claims, and the pod annotations Velero reads. StatefulWorkload
// calls the builders here; nothing else does. Day-two objects, so the rules are about what outlives
// a change of config:
// - A snapshot set (`snapshots: [{name, className}]`) is one `snapshot.storage.k8s.io/v1`
//   VolumeSnapshot per pod claim, `<name>-<set>-<i>` of `data-<name>-<i>`, created once, after the
//   StatefulSet is ready (its claims exist then), and never again: a VolumeSnapshot is taken when it
//   is created. Every one is `retainOnDelete`, so removing a set from the config (or `pulumi
//   destroy`) drops it from Pulumi's state and leaves it in the cluster: no backup goes silently.
//   The VolumeSnapshotClass's `deletionPolicy` is another matter: it decides whether deleting a
//   VolumeSnapshot (by hand, `kubectl delete volumesnapshot -l ...`) also deletes the storage
//   snapshot behind it (`Delete`) or keeps it as an orphaned VolumeSnapshotContent (`Retain`).
// - A restore (`restoreFrom`) is one PersistentVolumeClaim per pod, `data-<name>-<i>`, with
//   `dataSource` the pod's own VolumeSnapshot, made before the StatefulSet: the controller then finds
//   each claim by name and uses it instead of making an empty one (it compares nothing else). The
//   claims are `retainOnDelete` (removing `restoreFrom` later, or `pulumi destroy`, keeps them and
//   their data) and ignore size changes (the claim patches grow them like any other claim); a
//   claim's `dataSource` is immutable, so the workload's guard refuses a changed or late
//   `restoreFrom` at preview.
// - Application consistency: a VolumeSnapshot made by `pulumi up` cannot first run a command in the
//   pod (that needs an exec through the Kubernetes API, which no Kubernetes resource does), so it is
//   crash-consistent: what the kind recovers after a power cut (README, "Snapshots and restore").
//   Velero can: its pre-backup hook, set by pod annotations, runs the kind's QUIESCE command in the
//   pod before it copies or snapshots the pod's volumes.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { WorkloadKind } from "./defaults";
import { claimName } from "./names";
import { PASSWORD_FILE, REDIS_PORT } from "./redisPaths";

/** The API group and version of VolumeSnapshots (the CSI external-snapshotter's CRDs). */
export const SNAPSHOT_GROUP = "snapshot.storage.k8s.io";
export const SNAPSHOT_API_VERSION = `${SNAPSHOT_GROUP}/v1`;
/** The label that names the set a VolumeSnapshot belongs to (`kubectl get volumesnapshot -l ...`). */
export const SNAPSHOT_SET_LABEL = "stateful-workloads/snapshot-set";
/**
 * The provider does not wait for a restored claim to bind: under a `WaitForFirstConsumer` class it
 * binds only once its pod is scheduled, which is after the StatefulSet, which waits for the claims.
 * The StatefulSet's own wait covers it: a pod is not ready before its claim is bound.
 */
const SKIP_AWAIT = "pulumi.com/skipAwait";

/** One snapshot set: a VolumeSnapshot of every pod's claim, taken once. */
export interface SnapshotSet {
  /** A DNS label: the VolumeSnapshots are `<workload>-<name>-<i>`. */
  name: string;
  /** The VolumeSnapshotClass (required: a cluster's default class differs between clusters). */
  className: string;
}

/**
 * Where a restored workload's claims come from: each pod's claim from its own VolumeSnapshot, in
 * the workload's namespace (a claim's `dataSource` cannot name another namespace).
 */
export interface RestoreSource {
  /**
   * A snapshot set: VolumeSnapshots `<workload>-<snapshotSet>-<i>` for i = 0..replicas-1.
   * @default none (then `snapshots` is required)
   */
  snapshotSet?: string;
  /**
   * The workload the set was taken of, in the same namespace (with `snapshotSet` only).
   * @default this workload
   */
  workload?: string;
  /**
   * The VolumeSnapshot of each pod, in ordinal order: one per replica.
   * @default none (then `snapshotSet` is required)
   */
  snapshots?: string[];
}

/** What a workload's pods carry for Velero. */
export interface VeleroOptions {
  /**
   * `backup.velero.io/backup-volumes: data`: Velero's node agent copies each pod's claim file by
   * file (file system backup) instead of snapshotting the volume. Off by default: a copy of files
   * one after another while the server writes them is not a snapshot of one moment. Refused for
   * PostgreSQL, whose data directory copied so cannot be recovered.
   * @default false: Velero snapshots the volume (CSI or a volume snapshotter), after the hook
   */
  fsBackup?: boolean;
  /**
   * A pre-backup hook that runs the kind's QUIESCE command in the pod before Velero backs up its
   * volumes (nothing for nginx, whose content is written by its users).
   * @default true
   */
  quiesce?: boolean;
}

/** The Velero settings StatefulWorkload renders as pod annotations. */
export interface PodBackup {
  fsBackup: boolean;
  hook?: QuiesceHook;
}

/** A command Velero runs in a container of each pod before it backs up the pod's volumes. */
export interface QuiesceHook {
  container: string;
  command: string[];
  /** Seconds Velero waits for the command before it fails the pod's backup. */
  timeoutSeconds: number;
}

/** `<workload>-<set>-<i>`: the VolumeSnapshot of pod i's claim in a set. */
export function snapshotName(statefulSet: string, set: string, ordinal: number): string {
  return `${statefulSet}-${set}-${ordinal}`;
}

/** The VolumeSnapshot names of a set, one per pod. */
export function snapshotSetNames(statefulSet: string, set: string, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => snapshotName(statefulSet, set, i));
}

/** The VolumeSnapshot each pod's claim is restored from, in ordinal order. */
export function restoreSnapshotNames(
  statefulSet: string,
  replicas: number,
  source: RestoreSource,
): string[] {
  if (source.snapshots) return [...source.snapshots];
  return snapshotSetNames(source.workload ?? statefulSet, source.snapshotSet ?? "", replicas);
}

/** What the guard remembers of a restore: its snapshots, which a later config must not change. */
export function describeRestore(statefulSet: string, replicas: number, source: RestoreSource) {
  return `VolumeSnapshots ${restoreSnapshotNames(statefulSet, replicas, source).join(", ")}`;
}

/**
 * The guard's fixed values for the snapshot sets: a set is taken once, of the pods that existed
 * then, so neither its class nor the replica count may change while it is listed.
 */
export function snapshotSetsFixed(
  sets: SnapshotSet[],
  replicas: number,
): Record<string, { value: string; instead: string }> {
  return Object.fromEntries(
    sets.map((s) => [
      `snapshot set '${s.name}'`,
      {
        value: `class ${s.className} of ${replicas} pod${replicas === 1 ? "" : "s"}`,
        instead:
          "a set is taken once, of the claims that existed then; remove it from snapshots first " +
          "(its VolumeSnapshots stay in the cluster), and list a set with a new name to take another",
      },
    ]),
  );
}

// --- Quiesce commands, per kind. They use the kinds' paths, ports and container names (the tests
// check them against components/redis.ts, postgres.ts and cassandra.ts); each reads its overrides
// from the environment, as the kinds' own scripts do, so that the tests can run them.

/**
 * Redis loads its append-only file at start (`appendonly yes`), not dump.rdb, so BGSAVE would write
 * a file a restore never reads. BGREWRITEAOF writes the whole dataset as a new, fsynced AOF base
 * file and switches the manifest to it atomically: once it is done, everything written before the
 * hook is on disk, whatever `appendfsync everysec` had not yet synced. Writes after it are
 * crash-consistent (at most about a second lost). The password comes from the mounted Secret into
 * redis-cli's environment, never its argv.
 */
export const REDIS_QUIESCE_SCRIPT = [
  "set -u",
  `port="\${REDIS_PORT:-${REDIS_PORT}}"`,
  `pwfile="\${REDIS_PASSWORD_FILE:-${PASSWORD_FILE}}"`,
  'wait_seconds="${QUIESCE_WAIT_SECONDS:-280}"',
  'cli() { REDISCLI_AUTH="$(cat "$pwfile")" timeout 10 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>&1; }',
  'out="$(cli BGREWRITEAOF)"',
  'case "$out" in *started*|*scheduled*|*"already in progress"*) ;;',
  '  *) echo "redis: BGREWRITEAOF refused: $out" >&2; exit 1 ;; esac',
  "deadline=$(( $(date +%s) + wait_seconds ))",
  "while :; do",
  '  info="$(cli INFO persistence)"',
  '  case "$info" in *aof_rewrite_in_progress:0*) case "$info" in *aof_rewrite_scheduled:0*) break ;; esac ;; esac',
  '  if [ "$(date +%s)" -ge "$deadline" ]; then',
  '    echo "redis: the AOF rewrite did not finish within ${wait_seconds}s" >&2; exit 1; fi',
  "  sleep 1",
  "done",
  'case "$info" in *aof_last_bgrewrite_status:ok*) ;;',
  '  *) echo "redis: the AOF rewrite failed: see the server log" >&2; exit 1 ;; esac',
  'echo "redis: append-only file rewritten and synced"',
].join("\n");

/**
 * PostgreSQL: CHECKPOINT writes every dirty buffer and a checkpoint record, so a restore replays
 * almost no WAL (consistency comes from the WAL either way: the whole data directory, WAL included,
 * is one claim). On a replica it makes a restartpoint. Over the local socket as `postgres` (trust
 * there in the official image: no password).
 */
export const POSTGRES_QUIESCE_SCRIPT = [
  "set -eu",
  'psql -X -w -q -v ON_ERROR_STOP=1 -h "${PGHOST:-/var/run/postgresql}" -p "${PGPORT:-5432}" \\',
  "  -U postgres -d postgres -c CHECKPOINT",
  'echo "postgresql: checkpoint done"',
].join("\n");

/**
 * Cassandra: `nodetool flush` writes every memtable to SSTables, so a restore depends on no commit
 * log segment (which `commitlog_sync: periodic` syncs only every 10 s). nodetool gets a small heap,
 * as the kind's own probes and hooks give it.
 */
export const CASSANDRA_QUIESCE_SCRIPT = [
  "set -eu",
  "MAX_HEAP_SIZE=128M nodetool flush",
  'echo "cassandra: memtables flushed"',
].join("\n");

/** Each kind's quiesce hook (none for nginx: its content is whatever its users wrote, no cache). */
export const QUIESCE: Record<WorkloadKind, QuiesceHook | undefined> = {
  nginx: undefined,
  redis: { container: "redis", command: ["sh", "-c", REDIS_QUIESCE_SCRIPT], timeoutSeconds: 300 },
  postgres: {
    container: "postgresql",
    command: ["sh", "-c", POSTGRES_QUIESCE_SCRIPT],
    timeoutSeconds: 120,
  },
  cassandra: {
    container: "cassandra",
    command: ["sh", "-c", CASSANDRA_QUIESCE_SCRIPT],
    timeoutSeconds: 300,
  },
};

/** A workload's Velero options, resolved for its kind. */
export function podBackupOf(kind: WorkloadKind, velero: VeleroOptions): PodBackup {
  const hook = (velero.quiesce ?? true) ? QUIESCE[kind] : undefined;
  return { fsBackup: velero.fsBackup ?? false, ...(hook ? { hook } : {}) };
}

/**
 * The pod annotations Velero reads when it backs a pod up: which volumes its node agent copies
 * (opt-in file system backup; the others are snapshotted if Velero snapshots volumes), and the
 * pre-backup hook. `onError: Fail` marks the backup PartiallyFailed when the hook fails, rather
 * than silently taking a volume that was not quiesced.
 */
export function veleroAnnotations(backup: PodBackup, claimVolume: string): Record<string, string> {
  return {
    ...(backup.fsBackup ? { "backup.velero.io/backup-volumes": claimVolume } : {}),
    ...(backup.hook
      ? {
          "pre.hook.backup.velero.io/container": backup.hook.container,
          "pre.hook.backup.velero.io/command": JSON.stringify(backup.hook.command),
          "pre.hook.backup.velero.io/on-error": "Fail",
          "pre.hook.backup.velero.io/timeout": `${backup.hook.timeoutSeconds}s`,
        }
      : {}),
  };
}

// --- The objects.

/** What the builders need of the workload. */
export interface ClaimContext {
  /** The component's name, from which the Pulumi names derive. */
  name: string;
  namespace: string;
  statefulSet: string;
  claimTemplate: string;
  replicas: number;
  storage: { className: string; size: string; accessModes: string[] };
  /** The workload's labels; the claims get `claimLabels` as the controller gives its own. */
  labels: Record<string, string>;
  claimLabels: Record<string, string>;
}

/**
 * One claim per pod, restored from its VolumeSnapshot, made before the StatefulSet (which must
 * depend on them): the same class, size, access modes and labels as the controller's claims.
 */
export function restoreClaims(
  ctx: ClaimContext,
  source: RestoreSource,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.PersistentVolumeClaim[] {
  const snapshots = restoreSnapshotNames(ctx.statefulSet, ctx.replicas, source);
  return snapshots.map(
    (snapshot, i) =>
      new k8s.core.v1.PersistentVolumeClaim(
        `${ctx.name}-restore-${i}`,
        {
          metadata: {
            name: claimName(ctx.claimTemplate, ctx.statefulSet, i),
            namespace: ctx.namespace,
            labels: { ...ctx.claimLabels },
            annotations: { [SKIP_AWAIT]: "true" },
          },
          spec: {
            storageClassName: ctx.storage.className,
            accessModes: ctx.storage.accessModes,
            resources: { requests: { storage: ctx.storage.size } },
            dataSource: { apiGroup: SNAPSHOT_GROUP, kind: "VolumeSnapshot", name: snapshot },
          },
        },
        { ...opts, retainOnDelete: true, ignoreChanges: ["spec.resources"] },
      ),
  );
}

/**
 * The VolumeSnapshots of every set, by set name. They must depend on the StatefulSet (its claims
 * exist once it is ready) and on the claim patches.
 */
export function volumeSnapshots(
  ctx: ClaimContext,
  sets: SnapshotSet[],
  opts: pulumi.CustomResourceOptions,
): Record<string, k8s.apiextensions.CustomResource[]> {
  return Object.fromEntries(
    sets.map((set) => [
      set.name,
      Array.from(
        { length: ctx.replicas },
        (_, i) =>
          new k8s.apiextensions.CustomResource(
            `${ctx.name}-snapshot-${set.name}-${i}`,
            {
              apiVersion: SNAPSHOT_API_VERSION,
              kind: "VolumeSnapshot",
              metadata: {
                name: snapshotName(ctx.statefulSet, set.name, i),
                namespace: ctx.namespace,
                labels: { ...ctx.labels, [SNAPSHOT_SET_LABEL]: set.name },
              },
              spec: {
                volumeSnapshotClassName: set.className,
                source: {
                  persistentVolumeClaimName: claimName(ctx.claimTemplate, ctx.statefulSet, i),
                },
              },
            },
            { ...opts, retainOnDelete: true },
          ),
      ),
    ]),
  );
}
