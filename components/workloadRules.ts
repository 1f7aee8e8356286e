// The rules a workload's values must follow, whoever gives them: the stack-config schema reports
// their problems per key (components/config.ts), and each workload component throws them before
// registering anything, for programs that construct it directly. Plain TypeScript: no schema
// library, no Pulumi.
import type { CassandraArgs } from "./cassandra";
import {
  cassandraHeapCeilingMiB,
  DEFAULTS,
  LIMITS,
  POSTGRES_DEFAULTS,
  REDIS_DEFAULTS,
  redisSentinelDefault,
  WorkloadKind,
} from "./defaults";
import type { PostgresArgs } from "./postgres";
import type { RedisArgs } from "./redis";
import { metricsProblems, metricsShapeProblems } from "./metrics";
import { mebibytes, millicores } from "./quantity";
import { placementProblems, placementShapeProblems, quorumZoneProblems } from "./placement";
import { podBackupOf, QUIESCE } from "./snapshots";
import { tlsProblems, tlsShapeProblems } from "./tls";
import type { BaseWorkloadArgs } from "./workloadArgs";

/**
 * What the rules read of a workload: its kind and its component's args, the same fields whether they
 * come from a stack file or from a program that constructs a component directly. Namespace and
 * storage are left out: a stack file resolves them only after these checks.
 */
export type WorkloadCheckInput = { kind: WorkloadKind } & Omit<
  BaseWorkloadArgs,
  "namespace" | "storage"
> &
  Pick<PostgresArgs, "user" | "database"> &
  Pick<RedisArgs, "sentinel"> &
  Pick<CassandraArgs, "seeds" | "heap" | "decommissionedFrom">;

/** One bad value: where it is (relative to the workload), what it was and what is allowed. */
export interface WorkloadProblem {
  path: (string | number)[];
  message: string;
  input: unknown;
}

const QUANTITY_HINT = "must be a quantity such as 512Mi or 10Gi";

/** The least memory each kind's main container can be given. */
const MINIMUM_MEMORY_MIB: Record<WorkloadKind, number> = {
  nginx: 16,
  redis: 32,
  postgres: 128,
  // Cassandra's own check below names the limit or the request and explains the 1Gi.
  cassandra: 0,
};
/** Role names PostgreSQL reserves or treats specially. */
const SQL_RESERVED_ROLES = ["public", "none", "current_user", "session_user", "current_role"];
/** Databases initdb creates. */
const RESERVED_DATABASES = ["postgres", "template0", "template1"];

/**
 * What the schema checks of single values and a direct caller could still get wrong (a stack file
 * never reaches the cross-field checks with these, the schema has refused them).
 */
function shapeProblems(w: WorkloadCheckInput): WorkloadProblem[] {
  const problems: WorkloadProblem[] = [];
  const quantity = (path: string[], value: string | undefined) => {
    if (value !== undefined && mebibytes(value) === undefined) {
      problems.push({ path, message: QUANTITY_HINT, input: value });
    }
  };
  quantity(["resources", "requests", "memory"], w.resources?.requests.memory);
  quantity(["resources", "limits", "memory"], w.resources?.limits?.memory);
  const wholeNumber = (path: string, value: number | undefined, min: number, max: number) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
      problems.push({
        path: [path],
        message: `must be a whole number from ${min} to ${max}`,
        input: value,
      });
    }
  };
  wholeNumber("replicas", w.replicas, 1, LIMITS.replicas);
  wholeNumber("updatePartition", w.updatePartition, 0, LIMITS.replicas);
  wholeNumber("startupSeconds", w.startupSeconds, 1, LIMITS.startupSeconds);
  wholeNumber("seeds", w.seeds, 1, LIMITS.replicas);
  wholeNumber("decommissionedFrom", w.decommissionedFrom, 1, LIMITS.replicas);
  if (w.sentinel !== undefined && typeof w.sentinel !== "boolean") {
    problems.push({ path: ["sentinel"], message: "must be true or false", input: w.sentinel });
  }
  quantity(["heap", "max"], w.heap?.max);
  quantity(["heap", "newGen"], w.heap?.newGen);
  problems.push(...placementShapeProblems(w));
  problems.push(...metricsShapeProblems(w.metrics));
  problems.push(...tlsShapeProblems(w.tls));
  const restore = w.restoreFrom;
  if (restore && (restore.snapshotSet === undefined) === (restore.snapshots === undefined)) {
    problems.push({
      path: ["restoreFrom"],
      message: "must set exactly one of snapshotSet or snapshots",
      input: restore,
    });
  }
  return problems;
}

/**
 * What the workload is, when it serves only while a majority of its pods is up (its zones must
 * then keep that majority when one zone goes): Cassandra always, Redis while it runs Sentinel (a
 * majority of the Sentinels elects a new primary). Undefined for the others.
 */
export function majorityNeeded(w: WorkloadCheckInput, replicas: number): string | undefined {
  if (DEFAULTS[w.kind].quorum) return `${w.kind} (a quorum system)`;
  if (w.kind === "redis" && (w.sentinel ?? redisSentinelDefault(replicas))) {
    return "redis with Sentinel";
  }
  return undefined;
}

/**
 * The checks that span a workload's fields (seeds within replicas, heap within memory, ordered
 * start for databases that need it). Values the schema refuses (an unparsable quantity) are
 * skipped here. The one copy of these rules: the stack-config schema reports them per key, and
 * each component throws them for callers that skip the stack config.
 */
export function workloadProblems(w: WorkloadCheckInput): WorkloadProblem[] {
  const problems: WorkloadProblem[] = [];
  const issue = (path: (string | number)[], message: string, input: unknown) =>
    problems.push({ path, message, input });
  const d = DEFAULTS[w.kind];
  const replicas = w.replicas ?? d.replicas;
  if (w.updatePartition !== undefined && w.updatePartition > replicas) {
    issue(
      ["updatePartition"],
      `must be at most replicas (${replicas}): a partition above it updates no pod`,
      w.updatePartition,
    );
  }
  const requests = w.resources?.requests ?? d.resources.requests;
  const limit = w.resources?.limits?.memory;
  const requestMiB = mebibytes(requests.memory);
  const limitMiB = limit === undefined ? undefined : mebibytes(limit);
  if (
    limitMiB !== undefined &&
    requestMiB !== undefined &&
    limit !== undefined &&
    limitMiB < requestMiB
  ) {
    issue(
      ["resources", "limits", "memory"],
      `must be at least the memory request (${requests.memory})`,
      limit,
    );
  }
  if (w.kind === "postgres" || w.kind === "cassandra") {
    if (w.podManagementPolicy === "Parallel") {
      issue(
        ["podManagementPolicy"],
        `must be OrderedReady for ${w.kind}: ${
          w.kind === "postgres"
            ? "replicas clone the primary, which must be ready first"
            : "nodes must join the ring one at a time"
        }`,
        w.podManagementPolicy,
      );
    }
  }
  const cpuRequest = w.resources ? millicores(w.resources.requests.cpu) : undefined;
  const cpuLimit = w.resources?.limits?.cpu ? millicores(w.resources.limits.cpu) : undefined;
  if (cpuRequest !== undefined && cpuLimit !== undefined && cpuLimit < cpuRequest) {
    issue(
      ["resources", "limits", "cpu"],
      `must be at least the CPU request (${w.resources!.requests.cpu})`,
      w.resources!.limits!.cpu,
    );
  }
  const minimumMiB = MINIMUM_MEMORY_MIB[w.kind];
  if (requestMiB !== undefined && requestMiB < minimumMiB) {
    issue(
      ["resources", "requests", "memory"],
      `must be at least ${minimumMiB}Mi for ${w.kind}`,
      requests.memory,
    );
  }
  if (w.kind === "postgres" && w.user !== undefined) {
    const reserved = ["postgres", POSTGRES_DEFAULTS.replicationUser, ...SQL_RESERVED_ROLES];
    if (reserved.includes(w.user) || w.user.startsWith("pg_")) {
      issue(
        ["user"],
        `must not be ${reserved.join(", ")} or start with pg_: those names are the superuser, the replication role or reserved by PostgreSQL`,
        w.user,
      );
    }
  }
  if (w.kind === "postgres" && w.database !== undefined) {
    if (RESERVED_DATABASES.includes(w.database)) {
      issue(
        ["database"],
        `must not be ${RESERVED_DATABASES.join(", ")}: initdb creates those, so creating it again fails the first start`,
        w.database,
      );
    }
  }
  if (w.kind === "redis" && w.sentinel === true && replicas < REDIS_DEFAULTS.sentinelMinReplicas) {
    issue(
      ["sentinel"],
      `must be false (or unset) with ${replicas} replica${replicas === 1 ? "" : "s"}: one Sentinel runs in each pod and a majority of them must agree to elect a new primary, which needs at least ${REDIS_DEFAULTS.sentinelMinReplicas} pods to survive losing one; set replicas to ${REDIS_DEFAULTS.sentinelMinReplicas} or more, or leave sentinel out`,
      w.sentinel,
    );
  }
  if (w.kind === "cassandra") {
    if (replicas === 2) {
      issue(
        ["replicas"],
        "must not be 2 for Cassandra: a two-node ring cannot lose a node without losing quorum, so no disruption budget is both safe and drainable; use 1 (development) or 3 or more",
        replicas,
      );
    }
    if (w.decommissionedFrom !== undefined && w.decommissionedFrom !== replicas) {
      issue(
        ["decommissionedFrom"],
        `must equal replicas (${replicas}): it confirms that the nodes from that ordinal up were decommissioned; remove it once the ring is scaled down`,
        w.decommissionedFrom,
      );
    }
    if (w.seeds !== undefined && w.seeds > replicas) {
      issue(
        ["seeds"],
        `must be at most replicas (${replicas}): seeds are the first pods of the ring`,
        w.seeds,
      );
    }
    const memoryText = limit ?? requests.memory;
    const memory = limit !== undefined ? limitMiB : requestMiB;
    if (memory !== undefined && memory < 1024) {
      issue(
        ["resources", limit ? "limits" : "requests", "memory"],
        "must be at least 1Gi for Cassandra: the JVM heap and off-heap memory need it",
        memoryText,
      );
    }
    if (w.heap) {
      const max = mebibytes(w.heap.max);
      const newGen = mebibytes(w.heap.newGen);
      if (max !== undefined && max < 256) {
        issue(["heap", "max"], "must be at least 256Mi", w.heap.max);
      }
      const ceiling = memory === undefined ? undefined : cassandraHeapCeilingMiB(memory);
      if (max !== undefined && ceiling !== undefined && max > ceiling) {
        issue(
          ["heap", "max"],
          `must be at most ${ceiling}Mi with ${memoryText} of container memory: half of it at most, leaving a quarter for direct memory and 384Mi for nodetool and the JVM's own overhead`,
          w.heap.max,
        );
      }
      if (max !== undefined && newGen !== undefined && newGen >= max) {
        issue(["heap", "newGen"], `must be less than heap.max (${w.heap.max})`, w.heap.newGen);
      }
    }
  }
  for (const p of placementProblems(w)) issue(p.path, p.message, p.input);
  const majority = majorityNeeded(w, replicas);
  if (majority) {
    for (const p of quorumZoneProblems(w, replicas, majority)) issue(p.path, p.message, p.input);
  }
  problems.push(...snapshotProblems(w, replicas));
  problems.push(...metricsProblems(w.metrics));
  problems.push(...tlsProblems(w.kind, w.tls));
  return problems;
}

/**
 * Snapshot sets, restores and Velero: names unique, one snapshot per pod, annotations that do
 * something. What needs the stack (the cluster's features, the source workload) is checked in
 * components/config.ts.
 */
function snapshotProblems(w: WorkloadCheckInput, replicas: number): WorkloadProblem[] {
  const problems: WorkloadProblem[] = [];
  const sets = new Map<string, number>();
  (w.snapshots ?? []).forEach((set, j) => {
    const first = sets.get(set.name);
    if (first !== undefined) {
      problems.push({
        path: ["snapshots", j, "name"],
        message: `duplicates snapshots[${first}].name: each set is taken once, under its own name`,
        input: set.name,
      });
    } else {
      sets.set(set.name, j);
    }
  });
  const restore = w.restoreFrom;
  if (restore?.snapshots !== undefined) {
    if (restore.snapshots.length !== replicas) {
      problems.push({
        path: ["restoreFrom", "snapshots"],
        message: `must list one VolumeSnapshot per pod: ${restore.snapshots.length} for ${replicas} replica${replicas === 1 ? "" : "s"}; each pod's claim is restored from its own snapshot, so list ${replicas} or set replicas to ${restore.snapshots.length}`,
        input: restore.snapshots,
      });
    }
    const seen = new Set<string>();
    for (const name of restore.snapshots) {
      if (seen.has(name)) {
        problems.push({
          path: ["restoreFrom", "snapshots"],
          message: `names ${name} twice: two pods cannot start from one snapshot's data`,
          input: restore.snapshots,
        });
        break;
      }
      seen.add(name);
    }
  }
  if (w.velero !== undefined) {
    const backup = podBackupOf(w.kind, w.velero);
    if (!backup.fsBackup && !backup.hook) {
      problems.push({
        path: ["velero"],
        message: `adds nothing for ${w.kind}: fsBackup is off and ${QUIESCE[w.kind] ? "quiesce is false" : `${w.kind} has no quiesce hook`}; set fsBackup: true, or remove velero`,
        input: w.velero,
      });
    }
    if (w.kind === "postgres" && w.velero.fsBackup === true) {
      problems.push({
        path: ["velero", "fsBackup"],
        message:
          "must not be true for PostgreSQL: the node agent would copy the data directory file by file while the server writes it, which crash recovery cannot put back together; let Velero snapshot the volume (fsBackup: false, the default), after the CHECKPOINT hook",
        input: w.velero.fsBackup,
      });
    }
  }
  return problems;
}

/**
 * Throws, naming the component and every bad value, when a component's args break a rule of
 * workloadProblems. Components call it before registering anything.
 */
export function assertValidWorkload(type: string, name: string, w: WorkloadCheckInput): void {
  const problems = [...shapeProblems(w), ...workloadProblems(w)];
  if (problems.length === 0) return;
  const lines = problems.map(
    (p) =>
      `${p.path.join(".")}: ${p.input === undefined ? "" : `got ${shown(p.input)}; `}${p.message}`,
  );
  throw new Error(`${type} ${name}: ${lines.join("; ")}`);
}

/** A value as an error message shows it: JSON, cut at 80 characters. */
export function shown(input: unknown): string {
  if (input === undefined) return "nothing";
  const text = JSON.stringify(input);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
