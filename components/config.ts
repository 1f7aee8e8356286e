// The stack-config schema and its validation. Every key of a stack file is checked here, before any
// resource exists: a config is either one typed object or an error that names the key, the value
// given and what is allowed.
import { z } from "zod";
import { DEFAULTS, LIMITS, WorkloadKind } from "./defaults";
import { DNS_1035_LABEL, DNS_1123_LABEL, MAX_STATEFULSET_NAME } from "./names";
import { BYTES_PATTERN, CPU_PATTERN, parseBytes } from "./quantity";
import { shown, workloadProblems } from "./workloadRules";

/** The Pulumi project name: config keys are `stateful:<key>`. */
export const PROJECT = "stateful";

const byteQuantity = (what: string) =>
  z
    .string({ error: `must be ${what}, a quantity such as 512Mi or 10Gi (a string)` })
    .regex(BYTES_PATTERN, { error: `must be ${what}, a quantity such as 512Mi or 10Gi` })
    .refine((q) => !BYTES_PATTERN.test(q) || parseBytes(q)! > 0, {
      error: `must be ${what}, more than 0`,
    });

const cpuQuantity = z
  .string({ error: "must be a CPU quantity such as 250m or 1 (a string)" })
  .regex(CPU_PATTERN, { error: "must be a CPU quantity such as 250m or 1" });

const wholeNumber = (min: number, max: number, what = "") => {
  const error = `must be a whole number from ${min} to ${max}${what}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
};

/** A label key: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters. */
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** A label value: empty, or at most 63 characters of letters, digits, '-', '_' and '.'. */
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

const labelMap = z.record(
  z.string().regex(LABEL_KEY, {
    error:
      "label keys must be [prefix/]name: a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
  }),
  z.string({ error: "label values must be strings" }).regex(LABEL_VALUE, {
    error:
      "label values must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
  }),
  {
    // A bad key is reported with the key's own message; anything else is not a map.
    error: (iss) =>
      iss.code === "invalid_key"
        ? (iss.issues[0]?.message ?? "label keys must be valid label names")
        : "must be a map of label names to string values",
  },
);

const retentionValue = z.enum(["Retain", "Delete"], { error: "must be Retain or Delete" });

const storage = z.strictObject(
  {
    className: z
      .string({ error: "must name a StorageClass (a non-empty string)" })
      .min(1, { error: "must name a StorageClass (a non-empty string)" })
      .optional(),
    size: byteQuantity("the claim size").optional(),
    accessModes: z
      .array(
        z.enum(["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany"], {
          error: "must be ReadWriteOnce, ReadWriteOncePod, ReadWriteMany or ReadOnlyMany",
        }),
        { error: "must be a list of access modes" },
      )
      .min(1, { error: "must list at least one access mode" })
      .optional(),
  },
  { error: "must be a map with className, size and accessModes" },
);

const resources = z.strictObject(
  {
    requests: z.strictObject(
      { cpu: cpuQuantity, memory: byteQuantity("the memory request") },
      { error: "must be a map with cpu and memory" },
    ),
    limits: z
      .strictObject(
        { cpu: cpuQuantity.optional(), memory: byteQuantity("the memory limit").optional() },
        { error: "must be a map with cpu and memory" },
      )
      .optional(),
  },
  { error: "must be a map with requests (cpu, memory) and optional limits" },
);

const peer = z
  .strictObject(
    { podLabels: labelMap.optional(), namespaceLabels: labelMap.optional() },
    { error: "must be a map with podLabels and/or namespaceLabels" },
  )
  .refine((p) => p.podLabels !== undefined || p.namespaceLabels !== undefined, {
    error: "must set podLabels, namespaceLabels or both",
  });

/**
 * An image reference with a tag, a digest or both: `[registry[:port]/]path[:tag][@sha256:digest]`.
 * Untagged references are refused: they mean `latest`.
 */
const IMAGE_REFERENCE =
  /^(?=[^@]*:[\w][\w.-]{0,127}(@|$)|.*@sha256:[a-f0-9]{64}$)([a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?\/)?[a-z0-9]+([._/-]+[a-z0-9]+)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** Fields every workload kind accepts. Unset fields take the kind's defaults (components/defaults.ts). */
const common = {
  name: z
    .string({ error: "must be a string" })
    .regex(DNS_1035_LABEL, {
      error: "must be a DNS label: lower-case letters, digits and '-', starting with a letter",
    })
    .max(MAX_STATEFULSET_NAME, {
      error: `must be at most ${MAX_STATEFULSET_NAME} characters, so that pod names and the controller-revision-hash label stay valid`,
    }),
  replicas: wholeNumber(1, LIMITS.replicas).optional(),
  image: z
    .string({ error: "must be an image reference with a version tag or digest" })
    .regex(IMAGE_REFERENCE, {
      error:
        "must be an image reference pinned by tag or digest ([registry[:port]/]repo:1.2.3 or repo@sha256:...)",
    })
    .refine((image) => !/:latest$/.test(image), {
      error: "must be pinned to a version: 'latest' moves under a running StatefulSet",
    })
    .optional(),
  storage: storage.optional(),
  retention: z
    .strictObject(
      { whenDeleted: retentionValue, whenScaled: retentionValue },
      { error: "must be a map with whenDeleted and whenScaled" },
    )
    .optional(),
  podManagementPolicy: z
    .enum(["OrderedReady", "Parallel"], { error: "must be OrderedReady or Parallel" })
    .optional(),
  updatePartition: wholeNumber(0, LIMITS.replicas).optional(),
  resources: resources.optional(),
  allowFrom: z.array(peer, { error: "must be a list of peers" }).optional(),
  startupSeconds: wholeNumber(
    1,
    LIMITS.startupSeconds,
    " (seconds one pod may take to become ready)",
  ).optional(),
};

const nginx = z.strictObject({ kind: z.literal("nginx"), ...common });
const redis = z.strictObject({ kind: z.literal("redis"), ...common });
const postgres = z.strictObject({
  kind: z.literal("postgres"),
  ...common,
  database: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, {
      error: "must be a PostgreSQL identifier: lower-case letters, digits and '_', at most 63",
    })
    .optional(),
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, {
      error: "must be a PostgreSQL role name: lower-case letters, digits and '_', at most 63",
    })
    .optional(),
});
const cassandra = z.strictObject({
  kind: z.literal("cassandra"),
  ...common,
  seeds: wholeNumber(1, LIMITS.replicas).optional(),
  clusterName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9 _-]{0,47}$/, {
      error: "must be letters, digits, spaces, '_' or '-', at most 48 characters",
    })
    .optional(),
  datacenter: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,48}$/, { error: "must be letters, digits, '_' or '-'" })
    .optional(),
  rack: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,48}$/, { error: "must be letters, digits, '_' or '-'" })
    .optional(),
  decommissionedFrom: wholeNumber(1, LIMITS.replicas).optional(),
  heap: z
    .strictObject(
      { max: byteQuantity("the maximum heap"), newGen: byteQuantity("the young generation size") },
      { error: "must be a map with max and newGen" },
    )
    .optional(),
});

const workload = z.discriminatedUnion("kind", [nginx, redis, postgres, cassandra]);

const namespace = z.strictObject(
  {
    name: z
      .string({ error: "must be a string" })
      .regex(DNS_1123_LABEL, {
        error: "must be a DNS label: lower-case letters, digits and '-'",
      })
      .max(63, { error: "must be at most 63 characters" }),
    create: z.boolean({ error: "must be true or false" }).optional(),
    labels: labelMap.optional(),
    workloads: z.array(workload, { error: "must be a list of workloads" }),
  },
  { error: "must be a map with name, workloads and optional create and labels" },
);

const target = z
  .strictObject(
    {
      renderYamlToDirectory: z
        .string({ error: "must be a directory path" })
        .min(1, { error: "must be a directory path" })
        .optional(),
      context: z
        .string({ error: "must name a kubeconfig context" })
        .min(1, { error: "must name a kubeconfig context" })
        .optional(),
      kubeconfig: z.string({ error: "must be a kubeconfig file path" }).min(1).optional(),
    },
    { error: "must be a map with renderYamlToDirectory, or context and optional kubeconfig" },
  )
  .refine((t) => (t.renderYamlToDirectory === undefined) !== (t.context === undefined), {
    error:
      "set exactly one of renderYamlToDirectory (write manifests, no cluster) or context (deploy to that kubeconfig context)",
  })
  .refine((t) => t.kubeconfig === undefined || t.context !== undefined, {
    error: "kubeconfig goes with context, not with renderYamlToDirectory",
  });

/** The schema of a stack file's `stateful:*` keys (the README's config table documents each key). */
export const stackConfigSchema = z
  .strictObject({
    target,
    clusterDomain: z
      .string({ error: "must be a DNS domain such as cluster.local" })
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
        error: "must be a DNS domain such as cluster.local",
      })
      .optional(),
    storageClass: z
      .string({ error: "must name a StorageClass (a non-empty string)" })
      .min(1, { error: "must name a StorageClass (a non-empty string)" })
      .optional(),
    namespaces: z
      .array(namespace, { error: "must be a list of namespaces" })
      .min(1, { error: "must list at least one namespace" }),
  })
  .superRefine(crossFieldChecks);

type RawConfig = z.infer<typeof stackConfigSchema>;
type RawWorkload = z.infer<typeof workload>;

type Resolved<W> = W extends unknown
  ? Omit<W, "storage"> & {
      namespace: string;
      storage: { className: string; size?: string; accessModes?: string[] };
    }
  : never;

/** A workload as the stack config describes it, with its namespace and its storage class resolved. */
export type WorkloadConfig = Resolved<RawWorkload>;

/** The validated config of one stack. */
export interface StackConfig {
  target: RawConfig["target"];
  clusterDomain?: string;
  namespaces: {
    name: string;
    create: boolean;
    labels: Record<string, string>;
  }[];
  /** Every workload, with the stack-wide storage class applied where it named none. */
  workloads: WorkloadConfig[];
}

/** Checks that span fields: unique names, a storage class somewhere, limits that fit together. */
function crossFieldChecks(config: RawConfig, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string, input: unknown) =>
    ctx.addIssue({ code: "custom", path, message, input });

  const namespaces = new Map<string, number>();
  config.namespaces.forEach((ns, n) => {
    const first = namespaces.get(ns.name);
    if (first !== undefined) {
      issue(
        ["namespaces", n, "name"],
        `duplicates namespaces[${first}].name: list each namespace once`,
        ns.name,
      );
    } else {
      namespaces.set(ns.name, n);
    }
    const names = new Map<string, number>();
    ns.workloads.forEach((w, i) => {
      const path = ["namespaces", n, "workloads", i];
      const seen = names.get(w.name);
      if (seen !== undefined) {
        issue(
          [...path, "name"],
          `duplicates namespaces[${n}].workloads[${seen}].name: names must be unique in a namespace`,
          w.name,
        );
      }
      names.set(w.name, i);
      checkWorkload(w, config.storageClass, (rel, message, input) =>
        issue([...path, ...rel], message, input),
      );
    });
  });
}

type Issue = (path: (string | number)[], message: string, input: unknown) => void;

function checkWorkload(w: RawWorkload, stackStorageClass: string | undefined, issue: Issue): void {
  if (!w.storage?.className && !stackStorageClass) {
    issue(
      ["storage", "className"],
      "is missing: name a StorageClass here or set stateful:storageClass for the whole stack (the cluster's implicit default is never used)",
      undefined,
    );
  }
  for (const p of workloadProblems(w)) issue(p.path, p.message, p.input);
}

/** Thrown when a stack config is invalid; `problems` has one line per bad value. */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

function keyPath(path: PropertyKey[]): string {
  let out = PROJECT;
  path.forEach((part, i) => {
    if (typeof part === "number") out += `[${part}]`;
    else out += i === 0 ? `:${String(part)}` : `.${String(part)}`;
  });
  return out;
}

function describe(issue: z.core.$ZodIssue): string {
  const path = keyPath(issue.path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "unrecognized_keys":
      return `${path}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys
        .map((k) => `'${k}'`)
        .join(", ")}; check the spelling against Pulumi.yaml`;
    case "invalid_union":
      if ("discriminator" in issue && issue.discriminator === "kind") {
        return `${path}: got ${shown((input as { kind?: unknown } | undefined)?.kind)}; must be one of ${Object.keys(DEFAULTS).join(", ")}`;
      }
      return `${path}: ${issue.message}`;
    default:
      if (input === undefined && issue.code !== "custom") {
        return `${path}: is missing; it ${issue.message}`;
      }
      if (input === undefined) return `${path}: ${issue.message}`;
      return `${path}: got ${shown(input)}; ${issue.message}`;
  }
}

/**
 * Validates the raw values of the stack's config keys (as `pulumi.Config.getObject` returns them)
 * and returns one typed object, or throws a ConfigError listing every problem.
 */
export function parseStackConfig(raw: Record<string, unknown>): StackConfig {
  const result = stackConfigSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(result.error.issues.map(describe));
  }
  const config = result.data;
  return {
    target: config.target,
    clusterDomain: config.clusterDomain,
    namespaces: config.namespaces.map((ns) => ({
      name: ns.name,
      create: ns.create ?? true,
      labels: ns.labels ?? {},
    })),
    workloads: config.namespaces.flatMap(
      (ns) =>
        ns.workloads.map((w) => ({
          ...w,
          namespace: ns.name,
          // crossFieldChecks has proved that one of the two is set.
          storage: { ...w.storage, className: (w.storage?.className ?? config.storageClass)! },
        })) as WorkloadConfig[],
    ),
  };
}

/**
 * Validates a stack's whole config as `pulumi.runtime.allConfig()` returns it (`stateful:<key>` to
 * a JSON or plain string), so that a misspelt key is an error rather than silently ignored.
 */
export function loadStackConfig(all: Record<string, string>): StackConfig {
  const raw: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(all)) {
    if (!fullKey.startsWith(`${PROJECT}:`)) continue;
    const key = fullKey.slice(PROJECT.length + 1);
    // The engine hands object values over as JSON text and plain strings as they are: parse only
    // the former, so that a string such as "123" stays a string.
    const looksLikeJson = /^\s*[[{]/.test(text);
    try {
      raw[key] = looksLikeJson ? JSON.parse(text) : text;
    } catch {
      raw[key] = text;
    }
  }
  return parseStackConfig(raw);
}

export type { WorkloadKind };
