// A guard per workload: a resource that holds what a running workload cannot survive a change of,
// and refuses such a change at `pulumi preview` (and at the start of `pulumi up`), before any
// object is touched. Only the engine knows the previous inputs of a resource: a dynamic
// provider's `check(olds, news)` sees both, which no program-side validation can.
import * as pulumi from "@pulumi/pulumi";
import { parseBytes } from "./quantity";

/** What the guard compares between one `pulumi up` and the next. */
export interface GuardState {
  /** `<namespace>/<name>`, for the messages. */
  workload: string;
  /** The claim template; existing claims are `data-<name>-<i>`. */
  storage: { className: string; size: string; accessModes: string[] };
  replicas: number;
  /**
   * Values that must never change once the workload has started (a label such as "PostgreSQL
   * major version" to its value), each with what to do instead.
   */
  fixed: Record<string, { value: string; instead: string }>;
  /** When set, replicas must not decrease: what to do instead. */
  scaleDown?: string;
  /**
   * A staged rollout is under way (updatePartition above 0): `pulumi up` does not wait for the
   * StatefulSet, so no claim can be expanded after it, and the size must not change.
   */
  partitioned?: boolean;
  /**
   * The zones the pods are held to (`zones`), when named. With zonal volumes a pod's claim stays
   * in the zone it was made in, so a zone the pods ran in must stay named.
   */
  zones?: string[];
  /**
   * The VolumeSnapshots the claims were restored from (`restoreFrom`). A claim is restored only when
   * it is created and its `dataSource` never changes, so a restore is set once, with the workload.
   */
  restoredFrom?: string;
}

/** Why `news` cannot replace `olds` on a running workload; empty when it can. */
export function guardProblems(olds: GuardState, news: GuardState): string[] {
  const problems: string[] = [];
  const w = news.workload;
  const oldSize = parseBytes(olds.storage.size);
  const newSize = parseBytes(news.storage.size);
  if (news.partitioned && oldSize !== newSize) {
    problems.push(
      `${w}: storage.size cannot change from ${olds.storage.size} to ${news.storage.size} while ` +
        "updatePartition is above 0: `pulumi up` does not wait for a partitioned StatefulSet, so " +
        "its claims could not be expanded after it; finish the staged rollout (updatePartition: 0) first",
    );
  } else if (oldSize !== undefined && newSize !== undefined && newSize < oldSize) {
    problems.push(
      `${w}: storage.size cannot shrink from ${olds.storage.size} to ${news.storage.size}: ` +
        "Kubernetes never shrinks a claim; keep the size, or move the data to a new workload",
    );
  }
  if (olds.storage.className !== news.storage.className) {
    problems.push(
      `${w}: storage.className cannot change from '${olds.storage.className}' to ` +
        `'${news.storage.className}': the existing claims keep their class and only new pods would ` +
        "get the new one; migrate to a new workload instead (README, Operations)",
    );
  }
  const modes = (m: string[]) => [...m].sort().join(",");
  if (modes(olds.storage.accessModes) !== modes(news.storage.accessModes)) {
    problems.push(
      `${w}: storage.accessModes cannot change from [${olds.storage.accessModes.join(", ")}] to ` +
        `[${news.storage.accessModes.join(", ")}]: a claim's access modes are fixed once it exists`,
    );
  }
  for (const [what, { value, instead }] of Object.entries(news.fixed)) {
    const old = olds.fixed?.[what]?.value;
    if (old !== undefined && old !== value) {
      problems.push(`${w}: ${what} cannot change from ${old} to ${value}: ${instead}`);
    }
  }
  if (news.restoredFrom !== undefined && news.restoredFrom !== olds.restoredFrom) {
    problems.push(
      olds.restoredFrom === undefined
        ? `${w}: restoreFrom cannot be added to a running workload: its claims data-<name>-<i> ` +
            "exist already, and a claim is restored only when it is created; restore into a new " +
            "workload (another name), or delete this workload and its claims first (README, Snapshots and restore)"
        : `${w}: restoreFrom cannot change from ${olds.restoredFrom} to ${news.restoredFrom}: ` +
            "the claims were restored when they were created and keep their data; remove restoreFrom " +
            "once the workload runs (the claims stay), then change replicas or anything else",
    );
  }
  // No zones named now means any zone, which still holds every claim.
  const dropped = (olds.zones ?? []).filter((z) => news.zones && !news.zones.includes(z));
  if (dropped.length > 0) {
    const list = (zones: string[]) => `[${zones.join(", ")}]`;
    problems.push(
      `${w}: zones cannot drop ${dropped.join(", ")} (from ${list(olds.zones!)} to ${list(news.zones!)}): ` +
        "a pod that ran there may keep its claim on a volume in that zone, and rolled onto it, it " +
        "could only be scheduled there, so it would stay Pending for ever; " +
        `keep ${dropped.join(", ")} in zones, or move the data to a new workload in the remaining zones`,
    );
  }
  if (news.scaleDown && news.replicas < olds.replicas) {
    problems.push(
      `${w}: replicas cannot go from ${olds.replicas} down to ${news.replicas}: ${news.scaleDown}`,
    );
  }
  return problems;
}

/** The provider behind every guard. Kept at module level: the SDK serializes it once. */
const provider: pulumi.dynamic.ResourceProvider = {
  async check(olds: GuardState, news: GuardState) {
    // No olds on the first `pulumi up`, or after `pulumi destroy`: nothing to compare with.
    const problems = olds && olds.storage ? guardProblems(olds, news) : [];
    return {
      inputs: news,
      failures: problems.map((reason) => ({ property: "workload", reason })),
    };
  },
  async create(inputs: GuardState) {
    return { id: inputs.workload, outs: inputs };
  },
  async diff(_id: string, olds: GuardState, news: GuardState) {
    return { changes: JSON.stringify(olds) !== JSON.stringify(news), deleteBeforeReplace: false };
  },
  async update(_id: string, _olds: GuardState, news: GuardState) {
    return { outs: news };
  },
};

/**
 * Refuses, at preview, a change that would break the running workload. Every object of the
 * workload depends on it, so even `pulumi up --skip-preview` stops before touching them.
 */
export class WorkloadGuard extends pulumi.dynamic.Resource {
  constructor(name: string, state: GuardState, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, state, opts, "stateful", "WorkloadGuard");
  }
}
