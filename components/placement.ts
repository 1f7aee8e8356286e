// Where a workload's pods may run and how they spread: over nodes (hostname) and over zones
// (`topology.kubernetes.io/zone`), on the nodes a nodeSelector, node affinity and tolerations allow.
// Pure functions: the pod spec's scheduling fields, and the arithmetic of a quorum that must outlive
// the loss of one zone. StatefulWorkload puts the fields into the pod template; workloadRules.ts
// reports the problems.

/** The well-known node label of a node's zone. */
export const ZONE_KEY = "topology.kubernetes.io/zone";
/** The well-known node label of a node's name. */
export const HOSTNAME_KEY = "kubernetes.io/hostname";

/**
 * What the scheduler does with a pod that would make the zone spread uneven: `ScheduleAnyway` prefers
 * the emptiest zone but places the pod anyway; `DoNotSchedule` leaves it Pending.
 */
export type ZoneSpread = "ScheduleAnyway" | "DoNotSchedule";

export type NodeOperator = "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt";

/** One condition on a node label, as in a node selector term's `matchExpressions`. */
export interface NodeRequirement {
  /** The node label. */
  key: string;
  /** `In`/`NotIn` take one or more values, `Exists`/`DoesNotExist` none, `Gt`/`Lt` one integer. */
  operator: NodeOperator;
  /**
   * The values the operator compares the label with.
   * @default []
   */
  values?: string[];
}

/** A node the scheduler prefers: one condition and its weight among the preferences. */
export interface NodePreference extends NodeRequirement {
  /** 1 to 100: the scheduler adds it to the score of every node that meets the condition. */
  weight: number;
}

/**
 * Node affinity in the shape most rules take: every `required` condition must hold (one node
 * selector term), and each `preferred` condition adds its weight to the nodes that meet it.
 */
export interface NodeAffinityArgs {
  /**
   * Conditions a node must meet, all of them.
   * @default []
   */
  required?: NodeRequirement[];
  /**
   * Conditions that make a node preferred, each with its weight.
   * @default []
   */
  preferred?: NodePreference[];
}

/** A taint the pods tolerate, as Kubernetes writes it. */
export interface TolerationArgs {
  /**
   * The taint's key; with `operator: Exists` and no key, every taint is tolerated.
   * @default every key (only with Exists)
   */
  key?: string;
  /**
   * `Equal` matches the taint's value, `Exists` any value.
   * @default "Equal"
   */
  operator?: "Equal" | "Exists";
  /**
   * The taint's value (with `Equal`).
   * @default ""
   */
  value?: string;
  /**
   * The taint's effect.
   * @default every effect
   */
  effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
  /**
   * With `NoExecute`: seconds a running pod stays on a node after the taint appears.
   * @default forever
   */
  tolerationSeconds?: number;
}

/** Where a workload's pods may run: zones, node labels, node affinity, tolerated taints. */
export interface PlacementArgs {
  /**
   * The zones (values of `topology.kubernetes.io/zone`) the pods must run in. With
   * `zoneSpread: DoNotSchedule`, the spread also needs every one of them (`minDomains`): a pod waits
   * rather than crowd the zones that have room.
   * @default any zone
   */
  zones?: string[];
  /**
   * How strictly the pods spread over zones (maxSkew 1). `DoNotSchedule` leaves pods Pending on a
   * cluster whose nodes carry no zone label.
   * @default "ScheduleAnyway"
   */
  zoneSpread?: ZoneSpread;
  /**
   * Node labels a node must carry.
   * @default {}
   */
  nodeSelector?: Record<string, string>;
  /**
   * Taints the pods tolerate.
   * @default []
   */
  tolerations?: TolerationArgs[];
  /**
   * Conditions on node labels, required and preferred.
   * @default none
   */
  nodeAffinity?: NodeAffinityArgs;
}

/** The defaults of PlacementArgs. */
export const PLACEMENT_DEFAULTS = { zoneSpread: "ScheduleAnyway" } as const satisfies {
  zoneSpread: ZoneSpread;
};

/** The fields of PlacementArgs: what a workload kind passes on to StatefulWorkload as it is. */
export const PLACEMENT_KEYS = [
  "zones",
  "zoneSpread",
  "nodeSelector",
  "tolerations",
  "nodeAffinity",
] as const satisfies readonly (keyof PlacementArgs)[];

/** The placement fields of any args, and only those that are set. */
export function placementOf(args: PlacementArgs): PlacementArgs {
  return Object.fromEntries(
    PLACEMENT_KEYS.filter((k) => args[k] !== undefined).map((k) => [k, args[k]]),
  ) as PlacementArgs;
}

function matchExpression(r: NodeRequirement) {
  return { key: r.key, operator: r.operator, ...(r.values?.length ? { values: r.values } : {}) };
}

/**
 * The pod spec's scheduling fields: a preferred anti-affinity and a ScheduleAnyway spread over
 * nodes, a spread over zones (`zoneSpread`, with `minDomains` when the zones are named and the
 * spread is required), node affinity (the named zones, and the caller's conditions), the node
 * selector and the tolerations. `selector` selects the workload's own pods.
 */
export function podPlacement(p: PlacementArgs, selector: Record<string, string>) {
  const labelSelector = { matchLabels: { ...selector } };
  const zoneSpread = p.zoneSpread ?? PLACEMENT_DEFAULTS.zoneSpread;
  const required = [
    ...(p.zones ? [{ key: ZONE_KEY, operator: "In" as const, values: [...p.zones] }] : []),
    ...(p.nodeAffinity?.required ?? []),
  ].map(matchExpression);
  const preferred = (p.nodeAffinity?.preferred ?? []).map(({ weight, ...r }) => ({
    weight,
    preference: { matchExpressions: [matchExpression(r)] },
  }));
  const nodeAffinity = {
    ...(required.length > 0
      ? {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: required }],
          },
        }
      : {}),
    ...(preferred.length > 0 ? { preferredDuringSchedulingIgnoredDuringExecution: preferred } : {}),
  };
  const tolerations = (p.tolerations ?? []).map((t) =>
    Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)),
  );
  return {
    affinity: {
      ...(Object.keys(nodeAffinity).length > 0 ? { nodeAffinity } : {}),
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: HOSTNAME_KEY, labelSelector } },
        ],
      },
    },
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: HOSTNAME_KEY,
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector,
      },
      {
        maxSkew: 1,
        topologyKey: ZONE_KEY,
        whenUnsatisfiable: zoneSpread,
        labelSelector,
        // Fewer zones with room than named: each takes at most one pod more than the emptiest
        // (none), so the pods wait instead of crowding the zones that are left.
        ...(zoneSpread === "DoNotSchedule" && p.zones ? { minDomains: p.zones.length } : {}),
      },
    ],
    ...(p.nodeSelector && Object.keys(p.nodeSelector).length > 0
      ? { nodeSelector: { ...p.nodeSelector } }
      : {}),
    ...(tolerations.length > 0 ? { tolerations } : {}),
  };
}

/** The most pods a quorum of `replicas` may lose and keep a majority: floor((replicas - 1) / 2). */
export function minorityOf(replicas: number): number {
  return Math.floor((replicas - 1) / 2);
}

/** The most pods one zone holds when `replicas` spread over `zones` with maxSkew 1: ceil(N/Z). */
export function zoneShare(replicas: number, zones: number): number {
  return Math.ceil(replicas / zones);
}

/** Whether losing any one of `zones` zones leaves a majority of `replicas` pods. */
export function survivesZoneLoss(replicas: number, zones: number): boolean {
  return zoneShare(replicas, zones) <= minorityOf(replicas);
}

/** The fewest zones over which `replicas` pods keep a majority through the loss of one (3 or more pods). */
export function zonesNeeded(replicas: number): number {
  return Math.ceil(replicas / Math.max(1, minorityOf(replicas)));
}

/** The fewest replicas, from `replicas` up, that keep a majority through the loss of one of `zones` zones. */
export function replicasForZones(replicas: number, zones: number): number | undefined {
  // With two zones or fewer no count works: one zone holds at least half of the pods.
  if (zones < 3) return undefined;
  let n = Math.max(replicas, 3);
  while (!survivesZoneLoss(n, zones)) n++;
  return n;
}

/** One bad placement value, relative to the workload (as WorkloadProblem). */
export interface PlacementProblem {
  path: (string | number)[];
  message: string;
  input: unknown;
}

/** Seconds a NoExecute toleration may keep a pod on a tainted node: one day. */
export const MAX_TOLERATION_SECONDS = 86400;
/** The range of tolerationSeconds, as the schema and the components say it. */
export const TOLERATION_SECONDS_RANGE = `must be a whole number from 0 to ${MAX_TOLERATION_SECONDS} (a day); leave it out to tolerate the taint for ever`;
/** The range of a node preference's weight. */
export const WEIGHT_RANGE = "must be a whole number from 1 to 100";

/**
 * What the stack-config schema checks of single placement values, for callers that skip it: a
 * non-empty list of zones, the ranges of the numbers.
 */
export function placementShapeProblems(p: PlacementArgs): PlacementProblem[] {
  const problems: PlacementProblem[] = [];
  const issue = (path: (string | number)[], message: string, input: unknown) =>
    problems.push({ path, message, input });
  if (p.zones !== undefined) {
    if (p.zones.length === 0) issue(["zones"], "must name at least one zone", p.zones);
    p.zones.forEach((z, i) => {
      if (z === "") issue(["zones", i], "must be a zone name, not empty", z);
    });
  }
  (p.tolerations ?? []).forEach((t, i) => {
    const s = t.tolerationSeconds;
    if (s !== undefined && (!Number.isInteger(s) || s < 0 || s > MAX_TOLERATION_SECONDS)) {
      issue(["tolerations", i, "tolerationSeconds"], TOLERATION_SECONDS_RANGE, s);
    }
  });
  (p.nodeAffinity?.preferred ?? []).forEach((r, i) => {
    if (!Number.isInteger(r.weight) || r.weight < 1 || r.weight > 100) {
      issue(["nodeAffinity", "preferred", i, "weight"], WEIGHT_RANGE, r.weight);
    }
  });
  return problems;
}

/**
 * The rules between placement fields that a schema of single values cannot state, as the API
 * server enforces them, and one of ours: zones are named in `zones` only.
 */
export function placementProblems(p: PlacementArgs): PlacementProblem[] {
  const problems: PlacementProblem[] = [];
  const issue = (path: (string | number)[], message: string, input: unknown) =>
    problems.push({ path, message, input });
  const useZones = `name zones in zones, which also sizes the spread over them`;
  const seen = new Set<string>();
  (p.zones ?? []).forEach((z, i) => {
    if (seen.has(z)) issue(["zones", i], "is named twice: name each zone once", z);
    seen.add(z);
  });
  if (p.nodeSelector?.[ZONE_KEY] !== undefined) {
    issue(["nodeSelector", ZONE_KEY], `must not be set: ${useZones}`, p.nodeSelector[ZONE_KEY]);
  }
  (p.tolerations ?? []).forEach((t, i) => {
    const operator = t.operator ?? "Equal";
    if (!t.key && operator !== "Exists") {
      issue(
        ["tolerations", i, "operator"],
        "must be Exists when key is empty (a toleration of every taint)",
        t.operator,
      );
    }
    if (operator === "Exists" && t.value) {
      issue(["tolerations", i, "value"], "must be empty with operator Exists", t.value);
    }
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
      issue(
        ["tolerations", i, "tolerationSeconds"],
        "goes with effect NoExecute only: other effects never evict a running pod",
        t.tolerationSeconds,
      );
    }
  });
  const requirement = (path: (string | number)[], r: NodeRequirement) => {
    const n = r.values?.length ?? 0;
    if ((r.operator === "In" || r.operator === "NotIn") && n === 0) {
      issue(
        [...path, "values"],
        `must list at least one value for operator ${r.operator}`,
        r.values,
      );
    }
    if ((r.operator === "Exists" || r.operator === "DoesNotExist") && n > 0) {
      issue([...path, "values"], `must be empty for operator ${r.operator}`, r.values);
    }
    if (
      (r.operator === "Gt" || r.operator === "Lt") &&
      (n !== 1 || !/^-?[0-9]+$/.test(r.values![0]))
    ) {
      issue(
        [...path, "values"],
        `must be one whole number for operator ${r.operator}, such as ["4"]`,
        r.values,
      );
    }
  };
  (p.nodeAffinity?.required ?? []).forEach((r, i) => {
    const path = ["nodeAffinity", "required", i];
    if (r.key === ZONE_KEY) issue([...path, "key"], `must not be ${ZONE_KEY}: ${useZones}`, r.key);
    requirement(path, r);
  });
  (p.nodeAffinity?.preferred ?? []).forEach((r, i) =>
    requirement(["nodeAffinity", "preferred", i], r),
  );
  return problems;
}

/**
 * A quorum system (a majority of its pods must be up) must keep that majority when one zone goes.
 * With the zones named, one of them holds at most ceil(N/Z) pods, which must be a minority; a
 * required spread needs the zones named, or its share is the cluster's to decide.
 */
export function quorumZoneProblems(
  p: PlacementArgs,
  replicas: number,
  what: string,
): PlacementProblem[] {
  if (replicas < 3) return [];
  const minority = minorityOf(replicas);
  if (p.zones === undefined) {
    if (p.zoneSpread !== "DoNotSchedule") return [];
    return [
      {
        path: ["zones"],
        message: `is missing: zoneSpread DoNotSchedule on ${what} keeps a majority of its ${replicas} pods through the loss of a zone only over zones that are named (at least ${zonesNeeded(replicas)}, so that one holds at most ${minority}); name them, or use ScheduleAnyway`,
        input: undefined,
      },
    ];
  }
  const zones = new Set(p.zones).size;
  if (zones === 0 || survivesZoneLoss(replicas, zones)) return [];
  const share = zoneShare(replicas, zones);
  const more = replicasForZones(replicas, zones);
  return [
    {
      path: ["zones"],
      message:
        `${zones} zone${zones === 1 ? "" : "s"} for the ${replicas} pods of ${what}: one zone holds up to ${share}, ` +
        `and losing it leaves ${replicas - share}, no majority (a quorum survives losing ${minority}); ` +
        `name at least ${zonesNeeded(replicas)} zones` +
        (more !== undefined ? ` or run ${more} replicas` : ""),
      input: p.zones,
    },
  ];
}
