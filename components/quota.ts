// Per-namespace quotas: the ResourceQuota and LimitRange a namespace of the stack may get, and the
// check, before anything is deployed, that the namespace's workloads fit them as the API server
// counts: the LimitRanger fills in default requests and limits and refuses containers outside its
// bounds, then the quota charges each pod max(sum of its containers, its largest init container)
// and each claim its size. Pure functions: config.ts reports the problems, stack.ts creates the
// objects.
import { millicores, parseBytes } from "./quantity";

/** CPU and memory quantities, such as `{ cpu: "500m", memory: "1Gi" }`. */
export interface CpuMemory {
  cpu?: string;
  memory?: string;
}

/** A namespace's ResourceQuota: totals over every pod and claim in it. */
export interface QuotaArgs {
  /**
   * Totals of the pods' requests (`requests.cpu`, `requests.memory`) and of the claims' sizes
   * (`requests.storage`).
   * @default no bound
   */
  requests?: { cpu?: string; memory?: string; storage?: string };
  /**
   * Totals of the pods' limits (`limits.cpu`, `limits.memory`). Every container must then set that
   * limit, or get it from the LimitRange's default.
   * @default no bound
   */
  limits?: CpuMemory;
  /**
   * The number of pods.
   * @default no bound
   */
  pods?: number;
  /**
   * The number of claims.
   * @default no bound
   */
  persistentVolumeClaims?: number;
  /**
   * Per StorageClass: the total size (`storage`) and number (`persistentVolumeClaims`) of its claims
   * (`<class>.storageclass.storage.k8s.io/requests.storage`, `.../persistentvolumeclaims`).
   * @default no bound
   */
  storageClasses?: Record<string, { storage?: string; persistentVolumeClaims?: number }>;
}

/** A namespace's LimitRange: bounds and defaults per container and per claim. */
export interface LimitRangeArgs {
  container?: {
    /** The least each container may request (and limit). @default no bound */
    min?: CpuMemory;
    /** The most each container may limit (and request); also its default limit. @default no bound */
    max?: CpuMemory;
    /** The limit of a container that sets none. @default max */
    default?: CpuMemory;
    /** The request of a container that sets none. @default default, else min */
    defaultRequest?: CpuMemory;
    /** The largest limit / request ratio. @default no bound */
    maxLimitRequestRatio?: { cpu?: number; memory?: number };
  };
  /** The smallest and largest claim (quantities). @default no bound */
  persistentVolumeClaim?: { min?: string; max?: string };
}

/** The name of the ResourceQuota and of the LimitRange in each namespace that has one. */
export const QUOTA_OBJECT_NAME = "stateful-workloads";

const classKey = (className: string, what: string) =>
  `${className}.storageclass.storage.k8s.io/${what}`;

/** The ResourceQuota's `spec.hard`. */
export function resourceQuotaHard(q: QuotaArgs): Record<string, string> {
  const hard: Record<string, string> = {};
  const set = (key: string, value: string | number | undefined) => {
    if (value !== undefined) hard[key] = String(value);
  };
  set("requests.cpu", q.requests?.cpu);
  set("requests.memory", q.requests?.memory);
  set("requests.storage", q.requests?.storage);
  set("limits.cpu", q.limits?.cpu);
  set("limits.memory", q.limits?.memory);
  set("pods", q.pods);
  set("persistentvolumeclaims", q.persistentVolumeClaims);
  for (const [cls, c] of Object.entries(q.storageClasses ?? {})) {
    set(classKey(cls, "requests.storage"), c.storage);
    set(classKey(cls, "persistentvolumeclaims"), c.persistentVolumeClaims);
  }
  return hard;
}

function definedOnly<T extends object>(o: T | undefined): Record<string, string> | undefined {
  if (!o) return undefined;
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** One item of a LimitRange's `spec.limits`, quantities as strings. */
export interface LimitRangeItem {
  type: "Container" | "PersistentVolumeClaim";
  min?: Record<string, string>;
  max?: Record<string, string>;
  default?: Record<string, string>;
  defaultRequest?: Record<string, string>;
  maxLimitRequestRatio?: Record<string, string>;
}

/** The LimitRange's `spec.limits`: a `Container` item and a `PersistentVolumeClaim` item. */
export function limitRangeItems(l: LimitRangeArgs): LimitRangeItem[] {
  const items: LimitRangeItem[] = [];
  const c = l.container;
  if (c) {
    const ratio = c.maxLimitRequestRatio;
    const fields = {
      min: definedOnly(c.min),
      max: definedOnly(c.max),
      default: definedOnly(c.default),
      defaultRequest: definedOnly(c.defaultRequest),
      maxLimitRequestRatio: definedOnly(
        ratio && {
          cpu: ratio.cpu === undefined ? undefined : String(ratio.cpu),
          memory: ratio.memory === undefined ? undefined : String(ratio.memory),
        },
      ),
    };
    const set = Object.entries(fields).filter(([, v]) => v !== undefined);
    items.push({ type: "Container", ...Object.fromEntries(set) });
  }
  const pvc = l.persistentVolumeClaim;
  if (pvc) {
    items.push({
      type: "PersistentVolumeClaim",
      ...(pvc.min ? { min: { storage: pvc.min } } : {}),
      ...(pvc.max ? { max: { storage: pvc.max } } : {}),
    });
  }
  return items;
}

// --- Amounts: millicores and bytes, so that they add up. ---

type Resource = "cpu" | "memory";
const RESOURCES: Resource[] = ["cpu", "memory"];
type Amounts = Partial<Record<Resource, number>>;

function amount(resource: Resource, quantity: string | undefined): number | undefined {
  if (quantity === undefined) return undefined;
  return resource === "cpu" ? millicores(quantity) : parseBytes(quantity);
}

function amounts(q: CpuMemory | undefined): Amounts {
  const out: Amounts = {};
  for (const r of RESOURCES) {
    const v = amount(r, q?.[r]);
    if (v !== undefined) out[r] = v;
  }
  return out;
}

/** Bytes as a quantity: a whole number of the largest binary unit, else rounded up to Mi. */
export function formatBytes(bytes: number): string {
  const units: [string, number][] = [
    ["Ti", 2 ** 40],
    ["Gi", 2 ** 30],
    ["Mi", 2 ** 20],
    ["Ki", 2 ** 10],
  ];
  for (const [unit, size] of units) {
    if (bytes >= size && Number.isInteger(bytes / size)) return `${bytes / size}${unit}`;
  }
  return Number.isInteger(bytes) && bytes < 2 ** 10
    ? String(bytes)
    : `${Math.ceil(bytes / 2 ** 20)}Mi`;
}

/** Millicores as a quantity: whole cores plainly (`2`), else millicores (`1500m`). */
export function formatCpu(m: number): string {
  const whole = Math.ceil(m);
  return whole % 1000 === 0 ? String(whole / 1000) : `${whole}m`;
}

function format(resource: Resource | "storage", v: number): string {
  return resource === "cpu" ? formatCpu(v) : formatBytes(v);
}

// --- What the API server does to a pod's containers. ---

/** A container as the quota and the LimitRange see it: its name and resources. */
export interface ContainerResources {
  name: string;
  requests?: CpuMemory;
  limits?: CpuMemory;
  /** `Always` on an init container: a sidecar, which runs for the pod's whole life. */
  restartPolicy?: "Always";
  /** Its resources are the workload's `resources` (the main container's); else the kind's own. */
  workloadResources?: boolean;
}

/** A pod's containers, as the quota and the LimitRange see them. */
export interface PodResources {
  initContainers: ContainerResources[];
  containers: ContainerResources[];
}

/** A container's requests and limits once the API server has defaulted them. */
export interface Admitted {
  name: string;
  init: boolean;
  sidecar: boolean;
  requests: Amounts;
  limits: Amounts;
}

/**
 * Why the API server would refuse a container under a LimitRange: the bound (its path in the
 * namespace's config), what the container has, and the value the bound would have to take.
 */
export interface Refusal {
  /** The bound, under the namespace: `["limitRange", "container", "min", "memory"]`. */
  path: string[];
  container: string;
  /** What the container has, e.g. `requests 16Mi of memory`. */
  has: string;
  /** `lower` the bound to at most `to`, `raise` it to at least `to`, or `remove` it. */
  fix: "lower" | "raise" | "remove";
  to?: number;
}

/**
 * The LimitRange's effective Container item, as the API server defaults it: the default limit is
 * `max` where unset, the default request is the default limit, else `min`.
 */
function containerDefaults(l: LimitRangeArgs | undefined) {
  const c = l?.container ?? {};
  const min = amounts(c.min);
  const max = amounts(c.max);
  const dflt: Amounts = { ...max, ...amounts(c.default) };
  const defaultRequest: Amounts = { ...min, ...dflt, ...amounts(c.defaultRequest) };
  const ratio: Amounts = {};
  for (const r of RESOURCES) {
    const v = c.maxLimitRequestRatio?.[r];
    if (v !== undefined) ratio[r] = v;
  }
  return { min, max, default: dflt, defaultRequest, ratio };
}

/**
 * A container after the API server's defaulting (a limit alone sets the request) and the
 * LimitRanger's (a default limit and request where unset), with what the LimitRange refuses: a
 * request or limit outside min and max, a limit / request ratio above the maximum, a default limit
 * below the container's request.
 */
export function admitContainer(
  c: ContainerResources,
  init: boolean,
  limitRange: LimitRangeArgs | undefined,
): { admitted: Admitted; refusals: Refusal[] } {
  const d = containerDefaults(limitRange);
  const requests = amounts(c.requests);
  const limits = amounts(c.limits);
  for (const r of RESOURCES) {
    if (requests[r] === undefined && limits[r] !== undefined) requests[r] = limits[r];
    if (limits[r] === undefined && d.default[r] !== undefined) limits[r] = d.default[r];
    if (requests[r] === undefined && d.defaultRequest[r] !== undefined) {
      requests[r] = d.defaultRequest[r];
    }
  }
  const refusals: Refusal[] = [];
  const refuse = (bound: string, r: Resource, has: string, fix: Refusal["fix"], to?: number) =>
    refusals.push({ path: ["limitRange", "container", bound, r], container: c.name, has, fix, to });
  for (const r of RESOURCES) {
    const [req, lim, min, max] = [requests[r], limits[r], d.min[r], d.max[r]];
    const f = (v: number) => format(r, v);
    if (lim !== undefined && req !== undefined && lim < req && c.limits?.[r] === undefined) {
      // A default limit below the request: the pod is invalid. The default is `max` where unset.
      const from = limitRange?.container?.default?.[r] !== undefined ? "default" : "max";
      refuse(from, r, `requests ${f(req)} of ${r}, above the default limit it gets`, "raise", req);
    }
    if (min !== undefined) {
      if (req === undefined) refuse("min", r, `requests no ${r}`, "remove");
      else if (req < min) refuse("min", r, `requests ${f(req)} of ${r}`, "lower", req);
      else if (lim !== undefined && lim < min) {
        refuse("min", r, `limits ${r} to ${f(lim)}`, "lower", lim);
      }
    }
    if (max !== undefined) {
      if (lim === undefined) refuse("max", r, `sets no ${r} limit`, "remove");
      else if (lim > max) refuse("max", r, `limits ${r} to ${f(lim)}`, "raise", lim);
      else if (req !== undefined && req > max) {
        refuse("max", r, `requests ${f(req)} of ${r}`, "raise", req);
      }
    }
    const ratio = d.ratio[r];
    if (ratio !== undefined) {
      if (!req || !lim) {
        refuse("maxLimitRequestRatio", r, `sets no ${r} ${req ? "limit" : "request"}`, "remove");
      } else if (lim / req > ratio) {
        const observed = Math.ceil((lim / req) * 100) / 100;
        refuse(
          "maxLimitRequestRatio",
          r,
          `limits ${r} to ${f(lim)} for a request of ${f(req)} (${observed})`,
          "raise",
          observed,
        );
      }
    }
  }
  return {
    admitted: { name: c.name, init, sidecar: c.restartPolicy === "Always", requests, limits },
    refusals,
  };
}

/**
 * What the quota charges for one pod, as Kubernetes computes a pod's requests and limits: the sum
 * of its containers and sidecars, or its largest init container (plus the sidecars started
 * before it) if that is more. Init containers run one at a time, before the others.
 */
export function podCharge(containers: Admitted[], field: "requests" | "limits"): Amounts {
  const out: Amounts = {};
  for (const r of RESOURCES) {
    let sum = 0;
    let sidecars = 0;
    let initPeak = 0;
    for (const c of containers.filter((x) => x.init)) {
      const v = c[field][r] ?? 0;
      if (c.sidecar) {
        sum += v;
        sidecars += v;
        initPeak = Math.max(initPeak, sidecars);
      } else {
        initPeak = Math.max(initPeak, v + sidecars);
      }
    }
    for (const c of containers.filter((x) => !x.init)) sum += c[field][r] ?? 0;
    out[r] = Math.max(sum, initPeak);
  }
  return out;
}

// --- The fit of a namespace's workloads. ---

/** One workload of the namespace, as the fit check needs it. */
export interface WorkloadDemand {
  /** How the workload is named in messages, e.g. `cache (redis)`. */
  label: string;
  /** Its index among the namespace's workloads. */
  index: number;
  replicas: number;
  pod: PodResources;
  claim: { className?: string; size: string };
}

/** A problem with a namespace's quota or LimitRange, relative to the namespace. */
export interface FitProblem {
  path: (string | number)[];
  message: string;
  input: unknown;
}

const ROLLOUT_NOTE =
  "a StatefulSet replaces its pods one at a time, deleting each before creating it, so a rollout needs no room beyond this";

function valueAt(root: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>(
    (o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined),
    root,
  );
}

/** The LimitRange's refusals of the workloads' containers, one problem per bound. */
function limitRangeFit(
  where: string,
  limitRange: LimitRangeArgs,
  workloads: WorkloadDemand[],
): FitProblem[] {
  const byBound = new Map<string, { path: string[]; items: string[]; refusals: Refusal[] }>();
  const own = new Set<string>();
  for (const w of workloads) {
    const containers = [
      ...w.pod.initContainers.map((c) => ({ c, init: true })),
      ...w.pod.containers.map((c) => ({ c, init: false })),
    ];
    for (const { c, init } of containers) {
      for (const r of admitContainer(c, init, limitRange).refusals) {
        const key = r.path.join(".");
        const entry = byBound.get(key) ?? { path: r.path, items: [], refusals: [] };
        entry.items.push(`${w.label} container "${c.name}" ${r.has}`);
        entry.refusals.push(r);
        if (c.workloadResources) own.add(`${key}\n${w.index}`);
        byBound.set(key, entry);
      }
    }
  }
  return [...byBound.entries()].map(([key, { path, items, refusals }]) => {
    const resource = path[path.length - 1] as Resource;
    const show = (v: number) =>
      path[2] === "maxLimitRequestRatio" ? String(v) : format(resource, v);
    const tos = refusals.filter((r) => r.to !== undefined).map((r) => r.to!);
    const fix = refusals.some((r) => r.fix === "remove")
      ? "remove it"
      : refusals[0].fix === "lower"
        ? `lower it to at most ${show(Math.min(...tos))}`
        : `raise it to at least ${show(Math.max(...tos))}`;
    const workloadsOwn = workloads
      .filter((w) => own.has(`${key}\n${w.index}`))
      .map((w) => `workloads[${w.index}]`);
    const field = path[2] === "min" ? "requests" : "limits";
    return {
      path,
      message:
        `${where}: the API server would refuse the pods where ${items.join("; ")}; ${fix}` +
        (workloadsOwn.length > 0
          ? ` (or change resources.${field}.${resource} of ${workloadsOwn.join(", ")}; the kinds' other containers have fixed resources)`
          : " (the kinds' own containers have fixed resources)"),
      input: valueAt(limitRange, path.slice(1)),
    };
  });
}

/**
 * Whether the workloads of namespace `ns` fit its LimitRange and ResourceQuota: every container
 * within the LimitRange's bounds once defaulted, every container setting what the quota counts, and
 * the totals (replicas x each pod's charge, replicas x each claim) within the quota. Each problem
 * names the namespace, the quota or LimitRange field, what the workloads need and what it allows.
 */
export function namespaceFitProblems(
  ns: string,
  quota: QuotaArgs | undefined,
  limitRange: LimitRangeArgs | undefined,
  workloads: WorkloadDemand[],
): FitProblem[] {
  const where = `namespace "${ns}"`;
  const problems: FitProblem[] = limitRange ? limitRangeFit(where, limitRange, workloads) : [];
  const issue = (path: (string | number)[], message: string, input: unknown) =>
    problems.push({ path, message, input });
  if (limitRange?.persistentVolumeClaim) {
    for (const bound of ["min", "max"] as const) {
      const q = limitRange.persistentVolumeClaim[bound];
      if (q === undefined) continue;
      const outside = workloads.filter((w) => {
        const size = parseBytes(w.claim.size);
        return (
          size !== undefined && (bound === "min" ? size < parseBytes(q)! : size > parseBytes(q)!)
        );
      });
      if (outside.length === 0) continue;
      const sizes = outside.map((w) => parseBytes(w.claim.size)!);
      issue(
        ["limitRange", "persistentVolumeClaim", bound],
        `${where}: the API server would refuse the claims of ${outside.map((w) => `${w.label} (${w.claim.size})`).join(", ")}; ` +
          (bound === "min"
            ? `lower it to at most ${formatBytes(Math.min(...sizes))}, or raise storage.size`
            : `raise it to at least ${formatBytes(Math.max(...sizes))}, or lower storage.size`) +
          ` of ${outside.map((w) => `workloads[${w.index}]`).join(", ")}`,
        q,
      );
    }
  }
  if (!quota) return problems;

  const admittedPods = workloads.map((w) => ({ w, admitted: admittedOf(w, limitRange) }));

  // Every container must set what the quota counts, or the pod is refused.
  for (const field of ["requests", "limits"] as const) {
    for (const r of RESOURCES.filter((x) => quota[field]?.[x] !== undefined)) {
      const missing = admittedPods
        .map(({ w, admitted }) => ({
          w,
          names: admitted.filter((c) => c[field][r] === undefined).map((c) => c.name),
        }))
        .filter((m) => m.names.length > 0);
      if (missing.length === 0) continue;
      const word = field === "limits" ? "limit" : "request";
      issue(
        ["quota", field, r],
        `${where}: a quota of ${field}.${r} makes the API server refuse a pod with a container that sets no ${r} ${word}, and these set none: ` +
          `${missing.map((m) => `${m.w.label}: ${m.names.join(", ")}`).join("; ")}; ` +
          `set limitRange.container.${field === "limits" ? "default" : "defaultRequest"}.${r}, the ${word} of every container that sets none`,
        quota[field]![r],
      );
    }
  }

  // Totals: what namespaceUsage counts (the quota controller's `status.used` once every pod and
  // claim exists), each workload's part shown as its replicas times one pod's.
  const used = namespaceUsage(limitRange, workloads);
  const perPod = admittedPods.map(({ w, admitted }) => ({ w, usage: podUsage(admitted, w.claim) }));
  type Unit = Resource | "storage" | "count";
  const show = (unit: Unit, v: number) =>
    unit === "count" ? String(v) : unit === "storage" ? formatBytes(v) : format(unit, v);
  const over = (
    path: (string | number)[],
    bound: string | number | undefined,
    key: string,
    unit: Unit,
    need: (amount: string) => string,
    fix: string,
  ) => {
    if (bound === undefined) return;
    const limit =
      typeof bound === "number"
        ? bound
        : unit === "cpu" || unit === "memory"
          ? amount(unit, bound)
          : parseBytes(bound);
    if (limit === undefined) return;
    const total = used[key] ?? 0;
    if (total <= limit) return;
    const breakdown = perPod
      .filter((p) => (p.usage[key] ?? 0) > 0)
      .map(
        ({ w, usage }) =>
          `${w.label} ${w.replicas}${unit === "count" ? "" : ` × ${show(unit, usage[key])}`}`,
      )
      .join(", ");
    issue(
      path,
      `${where} needs ${need(show(unit, total))} (${breakdown}), more than this quota; raise it to at least ${show(unit, total)}, or ${fix} (${ROLLOUT_NOTE})`,
      bound,
    );
  };
  for (const field of ["requests", "limits"] as const) {
    for (const r of RESOURCES) {
      over(
        ["quota", field, r],
        quota[field]?.[r],
        `${field}.${r}`,
        r,
        (a) => `${a} of ${field}.${r}`,
        "lower the workloads' replicas or resources",
      );
    }
  }
  over(["quota", "pods"], quota.pods, "pods", "count", (a) => `${a} pods`, "lower replicas");
  over(
    ["quota", "persistentVolumeClaims"],
    quota.persistentVolumeClaims,
    "persistentvolumeclaims",
    "count",
    (a) => `${a} claims, one per pod (a scale-down under whenScaled Retain keeps them)`,
    "lower replicas",
  );
  over(
    ["quota", "requests", "storage"],
    quota.requests?.storage,
    "requests.storage",
    "storage",
    (a) => `${a} of claims`,
    "lower the workloads' replicas or storage.size",
  );
  for (const [cls, c] of Object.entries(quota.storageClasses ?? {})) {
    over(
      ["quota", "storageClasses", cls, "storage"],
      c.storage,
      classKey(cls, "requests.storage"),
      "storage",
      (a) => `${a} of claims of StorageClass ${cls}`,
      "lower the workloads' replicas or storage.size, or use another class",
    );
    over(
      ["quota", "storageClasses", cls, "persistentVolumeClaims"],
      c.persistentVolumeClaims,
      classKey(cls, "persistentvolumeclaims"),
      "count",
      (a) => `${a} claims of StorageClass ${cls}`,
      "lower replicas, or use another class",
    );
  }
  return problems;
}

/** A workload's pod's containers once the API server (and the LimitRange) has defaulted them. */
function admittedOf(w: WorkloadDemand, limitRange: LimitRangeArgs | undefined): Admitted[] {
  return [
    ...w.pod.initContainers.map((c) => admitContainer(c, true, limitRange).admitted),
    ...w.pod.containers.map((c) => admitContainer(c, false, limitRange).admitted),
  ];
}

/**
 * What one pod and its claim add to each ResourceQuota resource (keys as in `spec.hard`): the
 * pod's charge, one pod, one claim of its size, under its StorageClass too.
 */
function podUsage(admitted: Admitted[], claim: WorkloadDemand["claim"]): Record<string, number> {
  const usage: Record<string, number> = {};
  for (const field of ["requests", "limits"] as const) {
    const charge = podCharge(admitted, field);
    for (const r of RESOURCES) usage[`${field}.${r}`] = charge[r] ?? 0;
  }
  const size = parseBytes(claim.size) ?? 0;
  usage.pods = 1;
  usage.persistentvolumeclaims = 1;
  usage["requests.storage"] = size;
  if (claim.className) {
    usage[classKey(claim.className, "requests.storage")] = size;
    usage[classKey(claim.className, "persistentvolumeclaims")] = 1;
  }
  return usage;
}

/**
 * What the workloads use of each ResourceQuota resource once all their pods and claims exist, as
 * the quota controller counts it (`status.used`): CPU in millicores, memory and storage in bytes,
 * counts as numbers. Claims are counted under their StorageClass too. namespaceFitProblems
 * decides on these totals.
 */
export function namespaceUsage(
  limitRange: LimitRangeArgs | undefined,
  workloads: WorkloadDemand[],
): Record<string, number> {
  const used: Record<string, number> = {};
  for (const w of workloads) {
    for (const [key, v] of Object.entries(podUsage(admittedOf(w, limitRange), w.claim))) {
      used[key] = (used[key] ?? 0) + w.replicas * v;
    }
  }
  return used;
}

/**
 * The LimitRange's own consistency, as the API server validates it: min <= default request <=
 * default limit <= max for each resource (after its defaulting), and a ratio of at least 1 that
 * min and max leave room for.
 */
export function limitRangeProblems(l: LimitRangeArgs): FitProblem[] {
  const problems: FitProblem[] = [];
  const c = l.container;
  if (c) {
    for (const r of RESOURCES) {
      const given: [string, string | undefined][] = [
        ["min", c.min?.[r]],
        ["defaultRequest", c.defaultRequest?.[r]],
        ["default", c.default?.[r]],
        ["max", c.max?.[r]],
      ];
      const set = given
        .map(([name, q]) => ({ name, q, v: amount(r, q) }))
        .filter((x): x is { name: string; q: string; v: number } => x.v !== undefined);
      for (let i = 0; i < set.length; i++) {
        for (let j = i + 1; j < set.length; j++) {
          if (set[i].v > set[j].v) {
            problems.push({
              path: ["limitRange", "container", set[j].name, r],
              message: `must be at least limitRange.container.${set[i].name}.${r} (${set[i].q}): the API server refuses a LimitRange whose ${r} bounds cross`,
              input: set[j].q,
            });
          }
        }
      }
      const ratio = c.maxLimitRequestRatio?.[r];
      const min = amount(r, c.min?.[r]);
      const max = amount(r, c.max?.[r]);
      if (ratio !== undefined && min && max && ratio > max / min) {
        problems.push({
          path: ["limitRange", "container", "maxLimitRequestRatio", r],
          message: `must be at most max / min (${Math.round((max / min) * 100) / 100}) for ${r}: the API server refuses a larger ratio`,
          input: ratio,
        });
      }
    }
  }
  const pvc = l.persistentVolumeClaim;
  if (pvc?.min && pvc.max && parseBytes(pvc.min)! > parseBytes(pvc.max)!) {
    problems.push({
      path: ["limitRange", "persistentVolumeClaim", "max"],
      message: `must be at least limitRange.persistentVolumeClaim.min (${pvc.min})`,
      input: pvc.max,
    });
  }
  return problems;
}
