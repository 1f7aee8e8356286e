// The stack-config schema and its validation. Every key of a stack file is checked here, before any
// resource exists: a config is either one typed object or an error that names the key, the value
// given and what is allowed.
import { z } from "zod";
import { DEFAULTS, LIMITS, WorkloadKind } from "./defaults";
import { DNS_1035_LABEL, DNS_1123_LABEL, DNS_1123_SUBDOMAIN, MAX_STATEFULSET_NAME } from "./names";
import { BYTES_PATTERN, CPU_PATTERN, parseBytes } from "./quantity";
import { MAX_TOLERATION_SECONDS, TOLERATION_SECONDS_RANGE } from "./placement";
import { podResourcesOf } from "./podResources";
import {
  LimitRangeArgs,
  limitRangeProblems,
  namespaceFitProblems,
  QuotaArgs,
  WorkloadDemand,
} from "./quota";
import { snapshotName } from "./snapshots";
import { DURATION_HINT, durationMilliseconds } from "./metrics";
import { CERT_DURATION, CERT_DURATION_HINT, ISSUER_KIND_HINT, ISSUER_KINDS } from "./tls";
import { shown, workloadProblems } from "./workloadRules";
import { resolveWorkloadArgs } from "./workloadArgs";

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

/** A scrape interval or timeout (components/metrics.ts). */
const scrapeDuration = z
  .string({ error: `${DURATION_HINT} (a string)` })
  .refine((d) => durationMilliseconds(d) !== undefined && durationMilliseconds(d)! > 0, {
    error: DURATION_HINT,
  });

/** A workload's metrics (components/metrics.ts, MetricsOptions). */
const metrics = z.strictObject(
  {
    // At least one: a rule of the workload (metricsProblems), as for a program.
    scrapers: z.array(peer, {
      error: "must be a list of peers, each {podLabels, namespaceLabels}",
    }),
    serviceMonitor: z
      .strictObject(
        {
          labels: labelMap.optional(),
          interval: scrapeDuration.optional(),
          scrapeTimeout: scrapeDuration.optional(),
        },
        { error: "must be a map with labels, interval and scrapeTimeout" },
      )
      .optional(),
  },
  { error: "must be a map with scrapers and an optional serviceMonitor" },
);

/** A workload's TLS (components/tls.ts, TlsOptions); one of secretName and issuer (tlsProblems). */
const tls = z.strictObject(
  {
    secretName: z
      .string({ error: "must name a kubernetes.io/tls Secret in the workload's namespace" })
      .regex(DNS_1123_SUBDOMAIN, {
        error: "must be a Secret name: lower-case letters, digits, '-' and '.'",
      })
      .max(253, { error: "must be at most 253 characters" })
      .optional(),
    issuer: z
      .strictObject(
        {
          name: z
            .string({ error: "must name a cert-manager Issuer or ClusterIssuer" })
            .min(1, { error: "must name a cert-manager Issuer or ClusterIssuer" }),
          kind: z.enum(ISSUER_KINDS, { error: ISSUER_KIND_HINT }).optional(),
          group: z
            .string({ error: "must be an API group such as cert-manager.io" })
            .regex(DNS_1123_SUBDOMAIN, { error: "must be an API group such as cert-manager.io" })
            .optional(),
        },
        { error: "must be a map with name and optional kind (Issuer or ClusterIssuer) and group" },
      )
      .optional(),
    duration: z
      .string({ error: CERT_DURATION_HINT })
      .regex(CERT_DURATION, { error: CERT_DURATION_HINT })
      .optional(),
    renewBefore: z
      .string({ error: CERT_DURATION_HINT })
      .regex(CERT_DURATION, { error: CERT_DURATION_HINT })
      .optional(),
  },
  { error: "must be a map with secretName, or issuer and optional duration and renewBefore" },
);

/** A snapshot set's name: it ends VolumeSnapshot names and is a label value. */
const snapshotSetName = z
  .string({ error: "must be a DNS label: lower-case letters, digits and '-'" })
  .regex(DNS_1123_LABEL, { error: "must be a DNS label: lower-case letters, digits and '-'" })
  .max(63, { error: "must be at most 63 characters (it is a label value)" });

/** One snapshot set (components/snapshots.ts). */
const snapshotSet = z.strictObject(
  {
    name: snapshotSetName,
    className: z
      .string({ error: "must name a VolumeSnapshotClass (a non-empty string)" })
      .min(1, { error: "must name a VolumeSnapshotClass (a non-empty string)" }),
  },
  { error: "must be a map with name and className" },
);

/** Where a restored workload's claims come from (components/snapshots.ts). */
const restoreSource = z
  .strictObject(
    {
      snapshotSet: snapshotSetName.optional(),
      workload: z
        .string({ error: "must name a workload of this namespace" })
        .regex(DNS_1035_LABEL, { error: "must name a workload of this namespace" })
        .max(MAX_STATEFULSET_NAME, { error: "must name a workload of this namespace" })
        .optional(),
      snapshots: z
        .array(
          z
            .string({ error: "must be a VolumeSnapshot name" })
            .regex(DNS_1123_SUBDOMAIN, {
              error: "must be a VolumeSnapshot name: lower-case letters, digits, '-' and '.'",
            })
            .max(253, { error: "must be at most 253 characters" }),
          { error: "must be a list of VolumeSnapshot names, one per pod" },
        )
        .min(1, { error: "must list one VolumeSnapshot per pod" })
        .optional(),
    },
    { error: "must be a map with snapshotSet (and optional workload), or snapshots" },
  )
  .refine((r) => (r.snapshotSet === undefined) !== (r.snapshots === undefined), {
    error:
      "set exactly one of snapshotSet (a set of the snapshots key: VolumeSnapshots <workload>-<set>-<i>) or snapshots (one VolumeSnapshot name per pod, in ordinal order)",
  })
  .refine((r) => r.workload === undefined || r.snapshotSet !== undefined, {
    error: "workload goes with snapshotSet, not with snapshots",
  });

/** A label key, alone (for node selectors' requirements and tolerations). */
const labelKey = z.string({ error: "must be a label key (a string)" }).regex(LABEL_KEY, {
  error:
    "must be a label key, [prefix/]name: a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
});
const labelValue = z.string({ error: "must be a label value (a string)" }).regex(LABEL_VALUE, {
  error:
    "must be a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
});

/** A condition on a node label (components/placement.ts, NodeRequirement). */
const nodeRequirement = {
  key: labelKey,
  operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"], {
    error: "must be In, NotIn, Exists, DoesNotExist, Gt or Lt",
  }),
  values: z.array(labelValue, { error: "must be a list of label values" }).optional(),
};

/** Where the pods run (components/placement.ts, PlacementArgs): every kind accepts these. */
const placement = {
  zones: z
    .array(
      z
        .string({ error: "must be a zone name (a string)" })
        .min(1, { error: "must be a zone name, not empty" })
        .regex(LABEL_VALUE, {
          error: "must be a zone name: a label value of topology.kubernetes.io/zone",
        }),
      { error: "must be a list of zone names" },
    )
    .min(1, { error: "must name at least one zone" })
    .optional(),
  zoneSpread: z
    .enum(["ScheduleAnyway", "DoNotSchedule"], { error: "must be ScheduleAnyway or DoNotSchedule" })
    .optional(),
  nodeSelector: labelMap.optional(),
  tolerations: z
    .array(
      z.strictObject(
        {
          key: labelKey.optional(),
          operator: z.enum(["Equal", "Exists"], { error: "must be Equal or Exists" }).optional(),
          value: labelValue.optional(),
          effect: z
            .enum(["NoSchedule", "PreferNoSchedule", "NoExecute"], {
              error: "must be NoSchedule, PreferNoSchedule or NoExecute",
            })
            .optional(),
          tolerationSeconds: z
            .int({ error: TOLERATION_SECONDS_RANGE })
            .min(0, { error: TOLERATION_SECONDS_RANGE })
            .max(MAX_TOLERATION_SECONDS, { error: TOLERATION_SECONDS_RANGE })
            .optional(),
        },
        { error: "must be a map with key, operator, value, effect and tolerationSeconds" },
      ),
      { error: "must be a list of tolerations" },
    )
    .optional(),
  nodeAffinity: z
    .strictObject(
      {
        required: z
          .array(
            z.strictObject(nodeRequirement, {
              error: "must be a map with key, operator and values",
            }),
            { error: "must be a list of conditions, each {key, operator, values}" },
          )
          .optional(),
        preferred: z
          .array(
            z.strictObject(
              { weight: wholeNumber(1, 100), ...nodeRequirement },
              { error: "must be a map with weight, key, operator and values" },
            ),
            { error: "must be a list of preferences, each {weight, key, operator, values}" },
          )
          .optional(),
      },
      { error: "must be a map with required and preferred" },
    )
    .optional(),
};

/** A quantity of bytes in a quota, where 0 (none at all) is allowed. */
const quotaBytes = (what: string) =>
  z
    .string({ error: `must be ${what}, a quantity such as 100Gi (a string)` })
    .regex(BYTES_PATTERN, { error: `must be ${what}, a quantity such as 100Gi` });
const quotaCount = wholeNumber(0, LIMITS.quotaCount);
/** A StorageClass name, short enough for the quota's `<class>.storageclass.storage.k8s.io/...` keys. */
const STORAGE_CLASS_NAME_HINT =
  "StorageClass names must be DNS subdomains (lower-case letters, digits, '-' and '.') of at most 225 characters";
const storageClassName = z
  .string()
  .max(225, { error: STORAGE_CLASS_NAME_HINT })
  .regex(DNS_1123_SUBDOMAIN, { error: STORAGE_CLASS_NAME_HINT });

/** A namespace's ResourceQuota (components/quota.ts, QuotaArgs). */
const quota = z
  .strictObject(
    {
      requests: z
        .strictObject(
          {
            cpu: cpuQuantity.optional(),
            memory: quotaBytes("the pods' total memory request").optional(),
            storage: quotaBytes("the claims' total size").optional(),
          },
          { error: "must be a map with cpu, memory and storage" },
        )
        .optional(),
      limits: z
        .strictObject(
          {
            cpu: cpuQuantity.optional(),
            memory: quotaBytes("the pods' total memory limit").optional(),
          },
          { error: "must be a map with cpu and memory" },
        )
        .optional(),
      pods: quotaCount.optional(),
      persistentVolumeClaims: quotaCount.optional(),
      storageClasses: z
        .record(
          storageClassName,
          z.strictObject(
            {
              storage: quotaBytes("the total size of the class's claims").optional(),
              persistentVolumeClaims: quotaCount.optional(),
            },
            { error: "must be a map with storage and persistentVolumeClaims" },
          ),
          {
            error: (iss) =>
              iss.code === "invalid_key"
                ? (iss.issues[0]?.message ?? "keys must be StorageClass names")
                : "must be a map of StorageClass names to {storage, persistentVolumeClaims}",
          },
        )
        .optional(),
    },
    {
      error:
        "must be a map with requests (cpu, memory, storage), limits (cpu, memory), pods, persistentVolumeClaims and storageClasses",
    },
  )
  .refine((q) => Object.values(q).some((v) => v !== undefined), {
    error: "must set at least one bound (or be left out)",
    // Only for a map with no keys at all: a misspelt key is reported as such.
    when: (payload) => payload.issues.length === 0,
  });

const containerBound = (what: string) =>
  z
    .strictObject(
      { cpu: cpuQuantity.optional(), memory: byteQuantity(`${what} memory`).optional() },
      { error: "must be a map with cpu and memory" },
    )
    .optional();
const ratio = z
  .number({ error: "must be a number of at least 1 (the largest limit / request)" })
  .min(1, { error: "must be a number of at least 1 (the largest limit / request)" });

/** A namespace's LimitRange (components/quota.ts, LimitRangeArgs). */
const limitRange = z.strictObject(
  {
    container: z
      .strictObject(
        {
          min: containerBound("the least"),
          max: containerBound("the most"),
          default: containerBound("the default limit of"),
          defaultRequest: containerBound("the default request of"),
          maxLimitRequestRatio: z
            .strictObject(
              { cpu: ratio.optional(), memory: ratio.optional() },
              { error: "must be a map with cpu and memory" },
            )
            .optional(),
        },
        {
          error: "must be a map with min, max, default, defaultRequest and maxLimitRequestRatio",
        },
      )
      .optional(),
    persistentVolumeClaim: z
      .strictObject(
        {
          min: byteQuantity("the smallest claim").optional(),
          max: byteQuantity("the largest claim").optional(),
        },
        { error: "must be a map with min and max" },
      )
      .optional(),
  },
  { error: "must be a map with container and persistentVolumeClaim" },
);

/** Fields every workload kind accepts. Unset fields take the kind's defaults (components/defaults.ts). */
const common = {
  ...placement,
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
  snapshots: z
    .array(snapshotSet, { error: "must be a list of snapshot sets, each {name, className}" })
    .optional(),
  restoreFrom: restoreSource.optional(),
  velero: z
    .strictObject(
      {
        fsBackup: z.boolean({ error: "must be true or false" }).optional(),
        quiesce: z.boolean({ error: "must be true or false" }).optional(),
      },
      { error: "must be a map with fsBackup and quiesce (each true or false)" },
    )
    .optional(),
  metrics: metrics.optional(),
};

const nginx = z.strictObject({ kind: z.literal("nginx"), ...common });
const redis = z.strictObject({
  kind: z.literal("redis"),
  ...common,
  tls: tls.optional(),
  sentinel: z.boolean({ error: "must be true or false" }).optional(),
});
const postgres = z.strictObject({
  kind: z.literal("postgres"),
  ...common,
  tls: tls.optional(),
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
  tls: tls.optional(),
  auth: z.boolean({ error: "must be true or false" }).optional(),
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
    quota: quota.optional(),
    limitRange: limitRange.optional(),
    workloads: z.array(workload, { error: "must be a list of workloads" }),
  },
  {
    error: "must be a map with name, workloads and optional create, labels, quota and limitRange",
  },
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
      .regex(DNS_1123_SUBDOMAIN, { error: "must be a DNS domain such as cluster.local" })
      .optional(),
    storageClass: z
      .string({ error: "must name a StorageClass (a non-empty string)" })
      .min(1, { error: "must name a StorageClass (a non-empty string)" })
      .optional(),
    clusterFeatures: z
      .strictObject(
        {
          volumeSnapshots: z.boolean({ error: "must be true or false" }).optional(),
          velero: z.boolean({ error: "must be true or false" }).optional(),
          prometheusOperator: z.boolean({ error: "must be true or false" }).optional(),
          certManager: z.boolean({ error: "must be true or false" }).optional(),
        },
        {
          error:
            "must be a map of features (volumeSnapshots, velero, prometheusOperator, certManager) to true or false",
        },
      )
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
    /** The namespace's ResourceQuota, when the stack config gives one. */
    quota?: QuotaArgs;
    /** The namespace's LimitRange, when the stack config gives one. */
    limitRange?: LimitRangeArgs;
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
    quotaChecks(ns, config.storageClass, (rel, message, input) =>
      issue(["namespaces", n, ...rel], message, input),
    );
    snapshotChecks(ns, config.clusterFeatures ?? {}, (i, rel, message, input) =>
      issue(["namespaces", n, "workloads", i, ...rel], message, input),
    );
    metricsChecks(ns, config.clusterFeatures ?? {}, (i, rel, message, input) =>
      issue(["namespaces", n, "workloads", i, ...rel], message, input),
    );
    ns.workloads.forEach((w, i) => {
      if (!("tls" in w) || w.tls?.issuer === undefined || config.clusterFeatures?.certManager) {
        return;
      }
      issue(
        ["namespaces", n, "workloads", i, "tls", "issuer"],
        "needs cert-manager (its cert-manager.io/v1 Certificate CRD and controller), which stateful:clusterFeatures.certManager does not say the cluster has: install cert-manager and an Issuer or ClusterIssuer, then set stateful:clusterFeatures.certManager: true; or make a kubernetes.io/tls Secret yourself and name it in tls.secretName",
        undefined,
      );
    });
  });
}

/**
 * What only the stack knows of metrics: whether the cluster has the Prometheus Operator, whose
 * ServiceMonitor CRD a `serviceMonitor` needs (without it `pulumi up` fails on the object, after
 * the workload is deployed).
 */
function metricsChecks(
  ns: RawConfig["namespaces"][number],
  features: NonNullable<RawConfig["clusterFeatures"]>,
  issue: (i: number, path: (string | number)[], message: string, input: unknown) => void,
): void {
  if (features.prometheusOperator === true) return;
  ns.workloads.forEach((w, i) => {
    if (w.metrics?.serviceMonitor === undefined) return;
    issue(
      i,
      ["metrics", "serviceMonitor"],
      "needs the Prometheus Operator (its monitoring.coreos.com/v1 ServiceMonitor CRD), which stateful:clusterFeatures.prometheusOperator does not say the cluster has: install the Prometheus Operator (e.g. kube-prometheus-stack), then set stateful:clusterFeatures.prometheusOperator: true; or leave serviceMonitor out and have Prometheus scrape the headless Service's metrics port another way",
      undefined,
    );
  });
}

/**
 * What only the stack knows of snapshots, restores and Velero: whether the cluster has what they
 * need (the program cannot ask it at preview), and what a restore's source workload says of its
 * snapshot set (count, kind and size).
 */
function snapshotChecks(
  ns: RawConfig["namespaces"][number],
  features: NonNullable<RawConfig["clusterFeatures"]>,
  issue: (i: number, path: (string | number)[], message: string, input: unknown) => void,
): void {
  const replicasOf = (w: RawWorkload) => withDefaults(w, ns.name, undefined).replicas;
  const sizeOf = (w: RawWorkload) => withDefaults(w, ns.name, undefined).storage.size;
  const snapshotNames = new Map<string, { i: number; j: number }>();
  ns.workloads.forEach((w, i) => {
    const needsSnapshots = ["snapshots", "restoreFrom"].filter((k) =>
      k === "snapshots" ? (w.snapshots?.length ?? 0) > 0 : w.restoreFrom !== undefined,
    );
    if (needsSnapshots.length > 0 && features.volumeSnapshots !== true) {
      for (const key of needsSnapshots) {
        issue(
          i,
          [key],
          "needs the cluster's VolumeSnapshot API, which stateful:clusterFeatures.volumeSnapshots does not say it has: install the snapshot.storage.k8s.io/v1 CRDs, the CSI snapshot controller and a CSI driver that snapshots this StorageClass, then set stateful:clusterFeatures.volumeSnapshots: true",
          undefined,
        );
      }
    }
    if (w.velero !== undefined && features.velero !== true) {
      issue(
        i,
        ["velero"],
        "needs Velero in the cluster, which stateful:clusterFeatures.velero does not say it has (without it the annotations back nothing up): install Velero with its node agent, then set stateful:clusterFeatures.velero: true",
        undefined,
      );
    }
    (w.snapshots ?? []).forEach((set, j) => {
      for (let ordinal = 0; ordinal < replicasOf(w); ordinal++) {
        const snapshot = snapshotName(w.name, set.name, ordinal);
        const other = snapshotNames.get(snapshot);
        // The same name twice in one workload is reported as a duplicate set (workloadRules.ts).
        if (other !== undefined && other.i !== i) {
          issue(
            i,
            ["snapshots", j, "name"],
            `makes VolumeSnapshot ${snapshot}, which workloads[${other.i}].snapshots[${other.j}] also makes: rename the set`,
            set.name,
          );
          break;
        }
        snapshotNames.set(snapshot, { i, j });
      }
    });
    const restore = w.restoreFrom;
    if (!restore?.snapshotSet) return;
    const source = ns.workloads.find((s) => s.name === (restore.workload ?? w.name));
    if (restore.workload !== undefined && source === undefined) return; // since removed: unknowable
    if (!source || source === w) return;
    if (source.kind !== w.kind) {
      issue(
        i,
        ["restoreFrom", "workload"],
        `names a ${source.kind} workload: a ${w.kind} workload cannot start from its data`,
        restore.workload,
      );
      return;
    }
    if (!(source.snapshots ?? []).some((s) => s.name === restore.snapshotSet)) return;
    if (replicasOf(source) !== replicasOf(w)) {
      issue(
        i,
        ["replicas"],
        `must be ${replicasOf(source)}, the number of VolumeSnapshots in set '${restore.snapshotSet}' of ${source.name} (its replicas): each pod's claim is restored from its own snapshot`,
        replicasOf(w),
      );
    }
    const [size, sourceSize] = [parseBytes(sizeOf(w)), parseBytes(sizeOf(source))];
    if (size !== undefined && sourceSize !== undefined && size < sourceSize) {
      issue(
        i,
        ["storage", "size"],
        `must be at least ${sizeOf(source)}, the size of ${source.name}'s claims that set '${restore.snapshotSet}' was taken of: a claim restored from a snapshot cannot be smaller than it`,
        sizeOf(w),
      );
    }
  });
}

/** One namespace of a stack file, as the schema reads it. */
export type RawNamespace = RawConfig["namespaces"][number];

/** A workload of a stack file with its kind's defaults applied, as its component applies them. */
function withDefaults(w: RawWorkload, namespace: string, stackStorageClass: string | undefined) {
  const className = w.storage?.className ?? stackStorageClass ?? "";
  return resolveWorkloadArgs(w.kind, w.name, {
    ...w,
    namespace,
    storage: { ...w.storage, className },
  });
}

/**
 * The workloads of a namespace as the quota check counts them (components/quota.ts): each pod's
 * containers and resources, its replicas, and its claim's size and StorageClass.
 */
export function workloadDemands(
  ns: RawNamespace,
  stackStorageClass: string | undefined,
): WorkloadDemand[] {
  return ns.workloads.map((w, i) => {
    const { replicas, storage } = withDefaults(w, ns.name, stackStorageClass);
    return {
      label: `${w.name} (${w.kind})`,
      index: i,
      replicas,
      pod: podResourcesOf(w.kind, w.name, { ...w, namespace: ns.name, storage }),
      claim: { className: storage.className || undefined, size: storage.size },
    };
  });
}

/**
 * A namespace's quota and LimitRange: set only where the stack creates the namespace, consistent,
 * and roomy enough for the namespace's workloads as the API server counts them (components/quota.ts).
 */
function quotaChecks(
  ns: RawNamespace,
  stackStorageClass: string | undefined,
  issue: (path: (string | number)[], message: string, input: unknown) => void,
): void {
  if (ns.create === false) {
    for (const key of ["quota", "limitRange"] as const) {
      if (ns[key] !== undefined) {
        issue(
          [key],
          "needs create: true: the stack sets a quota and a LimitRange only on namespaces it creates (one it does not own may hold other pods and quotas)",
          undefined,
        );
      }
    }
    return;
  }
  if (!ns.quota && !ns.limitRange) return;
  // Values the schema refused are reported there: the fit of malformed values would only add noise.
  const wellFormed =
    quota.optional().safeParse(ns.quota).success &&
    limitRange.optional().safeParse(ns.limitRange).success &&
    ns.workloads.every((w) => workload.safeParse(w).success);
  if (!wellFormed) return;
  const inconsistent = ns.limitRange ? limitRangeProblems(ns.limitRange) : [];
  for (const p of inconsistent) issue(p.path, p.message, p.input);
  if (inconsistent.length > 0) return;
  const demands = workloadDemands(ns, stackStorageClass);
  for (const p of namespaceFitProblems(ns.name, ns.quota, ns.limitRange, demands)) {
    issue(p.path, p.message, p.input);
  }
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
      ...(ns.quota ? { quota: ns.quota } : {}),
      ...(ns.limitRange ? { limitRange: ns.limitRange } : {}),
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
