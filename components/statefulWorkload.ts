// The invariant shape of every stateful workload: a headless Service, the StatefulSet, a
// PodDisruptionBudget, a NetworkPolicy, and the ConfigMap and Secret its containers read. It knows
// no workload kind: the kinds (nginx.ts, redis.ts, ...) hand it containers, ports and files. It is
// the only place that assembles a workload's Kubernetes objects; stack.ts adds the provider and
// the namespaces around them.
import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_ACCESS_MODES, DEFAULT_RETENTION, LIMITS } from "./defaults";
import { GuardState, WorkloadGuard } from "./guard";
import {
  ClaimContext,
  describeRestore,
  PodBackup,
  RestoreSource,
  restoreClaims,
  SnapshotSet,
  snapshotSetNames,
  snapshotSetsFixed,
  veleroAnnotations,
  volumeSnapshots,
} from "./snapshots";
import { minorityOf, PlacementArgs, podPlacement } from "./placement";
import { agentContainer, agentRules, agentVolumes, ROLE_LABEL, ROLES } from "./agent";
import {
  CERT_MANAGER_API_VERSION,
  certificateName,
  certificateSpec,
  TlsOptions,
  tlsSecretName,
  tlsVolume,
  WAIT_FOR,
} from "./tls";
import {
  METRICS_PORT_NAME,
  METRICS_SERVICE_LABEL,
  SERVICE_MONITOR_API_VERSION,
  serviceMonitorSpec,
  WorkloadMetrics,
} from "./metrics";
import {
  claimName,
  DEFAULT_CLUSTER_DOMAIN,
  DNS_1035_LABEL,
  MAX_STATEFULSET_NAME,
  objectNames,
  podDnsNames,
  selectorLabels,
  serviceDnsName,
  workloadLabels,
} from "./names";

type Container = k8s.types.input.core.v1.Container;
type Probe = k8s.types.input.core.v1.Probe;

/** A container of the workload. The type requires a readiness probe: no workload is built without one. */
export type WorkloadContainer = Omit<Container, "readinessProbe" | "name" | "image"> & {
  name: string;
  image: string;
  readinessProbe: Probe;
};

/** A port of the workload, exposed by the headless Service under the same name. */
export interface WorkloadPort {
  /** The port name, shared by the container port and the Service port (an IANA_SVC_NAME). */
  name: string;
  port: number;
  /**
   * Only the workload's own pods may reach this port (replication, gossip), never the `allowFrom` peers.
   * @default false
   */
  peerOnly?: boolean;
}

/** Pods that may reach the workload. Both selectors set: those pods in those namespaces. */
export interface Peer {
  /** Labels of the client pods. Alone, it selects pods in the workload's own namespace. */
  podLabels?: Record<string, string>;
  /** Labels of the client namespaces. Alone, it selects every pod in those namespaces. */
  namespaceLabels?: Record<string, string>;
}

export interface StorageArgs {
  /** The StorageClass of every claim. Required: the cluster's implicit default is never relied on. */
  className: string;
  /** The size of each pod's claim, a Kubernetes quantity such as `10Gi`. */
  size: string;
  /** Where the main container mounts its claim. */
  mountPath: string;
  /**
   * The claim's access modes.
   * @default ["ReadWriteOnce"]
   */
  accessModes?: string[];
}

export interface RetentionPolicy {
  whenDeleted: "Retain" | "Delete";
  whenScaled: "Retain" | "Delete";
}

/** The workload; PlacementArgs says where its pods may run and how they spread over zones. */
export interface StatefulWorkloadArgs extends PlacementArgs {
  /** The software, for `app.kubernetes.io/name` (e.g. `nginx`). */
  app: string;
  /** The role, for `app.kubernetes.io/component` (e.g. `web`, `database`, `cache`). */
  component: string;
  /**
   * The Kubernetes name of the StatefulSet, the Service and every object of the workload: an RFC
   * 1035 label of at most 52 characters.
   * @default the component's name
   */
  name?: string;
  /** The namespace. A plain string, so that every DNS name is known at preview. */
  namespace: string;
  /** The number of pods. */
  replicas: number;
  /** The containers; the first is the main one and mounts the claim at `storage.mountPath`. */
  containers: WorkloadContainer[];
  /**
   * Containers that run before the main ones; they get the same restricted security context.
   * @default []
   */
  initContainers?: Container[];
  /** The ports; the headless Service exposes each under the container port's name. */
  ports: WorkloadPort[];
  /** The per-pod claim, from `volumeClaimTemplates` (template name `data`). */
  storage: StorageArgs;
  /**
   * What happens to claims when the StatefulSet is deleted or scaled down.
   * @default { whenDeleted: "Retain", whenScaled: "Retain" }
   */
  retention?: RetentionPolicy;
  /**
   * `OrderedReady` starts pods one at a time, each after the previous is ready; `Parallel` all at once.
   * Changing it on a live StatefulSet replaces it (every pod restarts).
   * @default "OrderedReady"
   */
  podManagementPolicy?: "OrderedReady" | "Parallel";
  /**
   * Pods with an ordinal at or above the partition get a new template; the rest keep the old one
   * (a staged rollout). Must not exceed replicas.
   * @default 0
   */
  updatePartition?: number;
  /**
   * Publish pod DNS records before pods are ready (peer discovery during bootstrap).
   * @default false
   */
  publishNotReadyAddresses?: boolean;
  /**
   * Seconds a pod has to stop after SIGTERM (and its preStop hook).
   * @default 30
   */
  terminationGracePeriodSeconds?: number;
  /**
   * Seconds a new pod must stay ready before the rollout moves on.
   * @default 10
   */
  minReadySeconds?: number;
  /** The numeric user, group and fsGroup the pods run as (never 0: the restricted standard applies). */
  uid: number;
  /**
   * Pods allowed to reach the workload's client ports. The workload's own pods may always reach every port.
   * @default []
   */
  allowFrom?: Peer[];
  /**
   * Seconds one pod may take from creation to ready; with the replica count it sets how long
   * `pulumi up` waits for the StatefulSet.
   * @default 300
   */
  startupSeconds?: number;
  /**
   * Seconds a new pod may spend copying its data from its peers before it serves (a replica's
   * clone, a node's bootstrap), on top of `startupSeconds`. Only `pulumi up`'s wait for the
   * StatefulSet counts it: the kinds' probes do not wait for the copy, so a larger claim changes
   * no pod template.
   * @default 0
   */
  dataCopySeconds?: number;
  /**
   * Pods the PodDisruptionBudget lets a voluntary disruption take at once (no budget for one replica).
   * @default 1
   */
  maxUnavailable?: number;
  /**
   * The workload serves only while a majority of its pods is up (a quorum-replicated store): the
   * PodDisruptionBudget then never lets a disruption take more than floor((replicas - 1) / 2) pods,
   * whatever `maxUnavailable` says (a two-pod quorum system gets a budget of 0).
   * @default false
   */
  quorum?: boolean;
  /**
   * Files for an immutable ConfigMap named `<name>-config-<hash of the files>`. A volume in
   * `volumes` that names `<name>-config` mounts it. New files make a new ConfigMap, so the pod
   * template changes and the pods roll onto it one by one, while pods not yet rolled keep
   * mounting the old one; `pulumi up` deletes the old one after the rollout.
   * @default no ConfigMap
   */
  configData?: Record<string, string>;
  /**
   * Values for a Secret named `<name>-auth`, read by containers with `secretKeyRef` or mounted
   * as a volume; stored as Pulumi secrets. A change updates the Secret in place when the provider
   * has `enableSecretMutable` (as the stack's provider does): the pods do not roll, so the kind
   * must apply the new values itself.
   * @default no Secret
   */
  secretData?: Record<string, pulumi.Input<string>>;
  /**
   * Extra pod volumes (the ConfigMap or Secret, mounted by name).
   * @default []
   */
  volumes?: k8s.types.input.core.v1.Volume[];
  /**
   * The cluster's DNS domain, for the DNS names this component reports.
   * @default "cluster.local"
   */
  clusterDomain?: string;
  /**
   * Expand the claims of existing pods (`data-<name>-<i>`) when `storage.size` grows, with a
   * server-side apply patch per claim (the StorageClass must allow expansion). Needs a cluster:
   * off when the provider renders YAML.
   * @default true
   */
  expandClaims?: boolean;
  /**
   * Snapshot sets: one VolumeSnapshot per pod claim each (components/snapshots.ts), made after the
   * StatefulSet is ready, kept in the cluster when a set leaves the list.
   * @default []
   */
  snapshots?: SnapshotSet[];
  /**
   * Restore each pod's claim `data-<name>-<i>` from its own VolumeSnapshot: the claims are made
   * before the StatefulSet, which adopts them by name.
   * @default none
   */
  restoreFrom?: RestoreSource;
  /**
   * Velero's pod annotations: file system backup of the claim, a pre-backup quiesce hook.
   * @default none
   */
  backup?: PodBackup;
  /**
   * Values the running workload cannot survive a change of (a label such as "PostgreSQL major
   * version" to its value and what to do instead): the workload's guard refuses a change at
   * preview, before any object is touched.
   * @default {}
   */
  fixedAfterStart?: GuardState["fixed"];
  /**
   * When set, lowering `replicas` is refused at preview with this text (what to do instead).
   * @default scaling down is allowed
   */
  scaleDownRefusal?: string;
  /**
   * Metrics (components/metrics.ts): the kind's exporter runs as one more container of every pod,
   * its port `metrics` is on the headless Service (never on the write and read Services), the
   * NetworkPolicy admits the `scrapers` to it and nobody else, and with `serviceMonitor` a
   * ServiceMonitor points the Prometheus Operator at it.
   * @default no metrics
   */
  metrics?: WorkloadMetrics;
  /**
   * The workload has one primary that takes writes and replicas that serve reads. Its pods run the
   * agent (components/agent.ts), which labels each pod with the role its containers write to
   * ROLE_FILE, and the workload gets two ClusterIP Services: `<name>-rw` selects the primary and
   * `<name>-ro` the replicas (every pod when there is one), on the first client port (the
   * protocol's own: not a Sentinel or a metrics port).
   * @default false
   */
  primaryAndReplicas?: boolean;
  /**
   * TLS for clients (components/tls.ts): every pod gets the volume `tls`, the certificate's Secret,
   * which the kind mounts (tlsMount) where its containers serve or speak TLS. With `issuer`, the
   * workload makes the cert-manager Certificate `<name>-tls` that writes it, before the StatefulSet.
   * @default no TLS
   */
  tls?: TlsOptions;
}

/** The Services of a workload with a primary, by the pods they select. */
export function roleServiceSelectors(
  selector: Record<string, string>,
  replicas: number,
): { write: Record<string, string>; read: Record<string, string> } {
  return {
    write: { ...selector, [ROLE_LABEL]: ROLES.primary },
    read: replicas > 1 ? { ...selector, [ROLE_LABEL]: ROLES.replica } : { ...selector },
  };
}

/** The Pulumi defaults of StatefulWorkloadArgs, applied with `??` in the constructor. */
export const WORKLOAD_DEFAULTS = {
  podManagementPolicy: "OrderedReady",
  updatePartition: 0,
  publishNotReadyAddresses: false,
  terminationGracePeriodSeconds: 30,
  minReadySeconds: 10,
  startupSeconds: 300,
  dataCopySeconds: 0,
  maxUnavailable: 1,
  quorum: false,
  clusterDomain: DEFAULT_CLUSTER_DOMAIN,
  expandClaims: true,
} as const;

/** Seconds `pulumi up` gives a StatefulSet beyond the pods' own startup budget. */
const TIMEOUT_MARGIN_SECONDS = 120;
/** Never wait less than the Kubernetes provider's own default (10 minutes). */
const MIN_TIMEOUT_SECONDS = 600;
const CLAIM_TEMPLATE = "data";
/**
 * The Kubernetes provider waits for a StatefulSet until every pod runs the new revision, which a
 * partition above 0 never lets happen: with a partition, `pulumi up` does not wait for the pods.
 */
export const SKIP_AWAIT = "pulumi.com/skipAwait";
/**
 * With this annotation the provider deletes the StatefulSet with orphan propagation when it must
 * replace it (a change to `volumeClaimTemplates`, `podManagementPolicy`, ...): the pods and their
 * claims stay, and the new StatefulSet, with the same name and selector, adopts them.
 */
export const DELETION_PROPAGATION = "pulumi.com/deletionPropagationPolicy";
/** Makes a patch take over a field another manager set (the claim size the controller wrote). */
export const PATCH_FORCE = "pulumi.com/patchForce";

/**
 * How long `pulumi up` waits for the StatefulSet: an ordered start or any rolling update brings pods
 * up one at a time, so the budget grows with the replica count.
 */
export function statefulSetTimeouts(args: {
  replicas: number;
  startupSeconds: number;
  minReadySeconds: number;
  podManagementPolicy: "OrderedReady" | "Parallel";
  terminationGracePeriodSeconds: number;
}): pulumi.CustomTimeouts {
  const perPod = args.startupSeconds + args.minReadySeconds;
  const seconds = (n: number) => `${Math.max(MIN_TIMEOUT_SECONDS, n + TIMEOUT_MARGIN_SECONDS)}s`;
  const startedAtOnce = args.podManagementPolicy === "Parallel" ? 1 : args.replicas;
  return {
    create: seconds(startedAtOnce * perPod),
    update: seconds(args.replicas * (perPod + args.terminationGracePeriodSeconds)),
    delete: seconds(args.terminationGracePeriodSeconds),
  };
}

/**
 * Pods a voluntary disruption may take at once: the asked number, never all of them, and for a
 * quorum system never so many that the rest lose their majority.
 */
export function podDisruptionAllowance(
  replicas: number,
  maxUnavailable: number,
  quorum: boolean,
): number {
  const ceiling = quorum ? minorityOf(replicas) : replicas - 1;
  return Math.max(0, Math.min(maxUnavailable, ceiling));
}

/**
 * Throws, before any resource is registered, on what a kind hands over that cannot make a working
 * workload (its containers, ports, uid, the exporter's clashes with them). The caller's own values
 * (placement, the metrics options, ...) reach StatefulWorkload only through a kind, which has
 * checked them with the workload rules (assertValidWorkload) already: they are not checked again.
 */
export function validateWorkloadArgs(name: string, args: StatefulWorkloadArgs): void {
  const problems: string[] = [];
  if (!DNS_1035_LABEL.test(name) || name.length > MAX_STATEFULSET_NAME) {
    problems.push(
      `name '${name}' must be an RFC 1035 label (lower-case letters, digits, '-', starting with a letter) of at most ${MAX_STATEFULSET_NAME} characters`,
    );
  }
  if (!Number.isInteger(args.replicas) || args.replicas < 1 || args.replicas > LIMITS.replicas) {
    problems.push(
      `replicas must be a whole number from 1 to ${LIMITS.replicas}, got ${args.replicas}`,
    );
  }
  if (args.containers.length === 0) problems.push("containers must list at least one container");
  for (const c of args.containers) {
    if (!c.readinessProbe) problems.push(`container '${c.name}' has no readinessProbe`);
  }
  (args.allowFrom ?? []).forEach((peer, i) => {
    if (!peer.podLabels && !peer.namespaceLabels) {
      problems.push(`allowFrom[${i}] must set podLabels, namespaceLabels or both`);
    }
  });
  if (!args.storage.className) {
    problems.push("storage.className must name a StorageClass");
  }
  if (args.uid === 0) problems.push("uid must not be 0: pods run as non-root");
  const partition = args.updatePartition ?? 0;
  if (partition < 0 || partition > args.replicas) {
    problems.push(
      `updatePartition must be between 0 and replicas (${args.replicas}), got ${partition}`,
    );
  }
  const ports = new Set<string>();
  for (const p of args.ports) {
    if (ports.has(p.name)) problems.push(`port name '${p.name}' is used twice`);
    ports.add(p.name);
  }
  if (args.metrics) problems.push(...metricsClashes(args));
  if (problems.length > 0) {
    throw new Error(`StatefulWorkload ${name}: ${problems.join("; ")}`);
  }
}

/**
 * What the exporter would take from the workload: a port, a container, a volume, a file or a
 * Secret key that the kind already has under the same name.
 */
function metricsClashes(args: StatefulWorkloadArgs): string[] {
  const exporter = args.metrics!.exporter;
  const clash = (what: string, name: string, taken: Iterable<string>) =>
    [...taken].includes(name) ? [`metrics: ${what} '${name}' is the workload's own already`] : [];
  const portNumbers = args.ports.map((p) => String(p.port));
  return [
    ...clash(
      "port name",
      METRICS_PORT_NAME,
      args.ports.map((p) => p.name),
    ),
    ...clash("port", String(exporter.port), portNumbers),
    ...clash(
      "container",
      exporter.container.name,
      args.containers.map((c) => c.name),
    ),
    ...(exporter.volumes ?? []).flatMap((v) =>
      clash(
        "volume",
        v.name as string,
        (args.volumes ?? []).map((w) => w.name as string),
      ),
    ),
    ...Object.keys(exporter.configData ?? {}).flatMap((k) =>
      clash("ConfigMap key", k, Object.keys(args.configData ?? {})),
    ),
    ...Object.keys(exporter.secretData ?? {}).flatMap((k) =>
      clash("Secret key", k, Object.keys(args.secretData ?? {})),
    ),
  ];
}

/** `<base>-<first 10 hex digits of the files' SHA-256>`: a new name whenever the files change. */
export function contentAddressedName(base: string, files: Record<string, string>): string {
  const hash = createHash("sha256")
    .update(JSON.stringify(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))))
    .digest("hex");
  return `${base}-${hash.slice(0, 10)}`;
}

/** The restricted Pod Security Standard, container level. */
const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  seccompProfile: { type: "RuntimeDefault" },
};

function hardened<T extends Container>(container: T): T {
  return {
    ...container,
    securityContext: { ...RESTRICTED_CONTAINER, ...(container.securityContext ?? {}) },
  };
}

/** A container with arguments appended to its own and more mounts. */
function withExtras<T extends Container>(
  container: T,
  extras: { args?: string[]; volumeMounts?: k8s.types.input.core.v1.VolumeMount[] },
): T {
  const own = <V>(list: unknown) => (list as V[] | undefined) ?? [];
  return {
    ...container,
    ...(extras.args?.length ? { args: [...own<string>(container.args), ...extras.args] } : {}),
    ...(extras.volumeMounts?.length
      ? {
          volumeMounts: [
            ...own<k8s.types.input.core.v1.VolumeMount>(container.volumeMounts),
            ...extras.volumeMounts,
          ],
        }
      : {}),
  };
}

function peerSelector(peer: Peer): k8s.types.input.networking.v1.NetworkPolicyPeer {
  return {
    ...(peer.podLabels ? { podSelector: { matchLabels: peer.podLabels } } : {}),
    ...(peer.namespaceLabels ? { namespaceSelector: { matchLabels: peer.namespaceLabels } } : {}),
  };
}

export class StatefulWorkload extends pulumi.ComponentResource {
  /** The Kubernetes name shared by the StatefulSet and its Service. */
  public readonly name: string;
  public readonly namespace: string;
  public readonly service: k8s.core.v1.Service;
  public readonly statefulSet: k8s.apps.v1.StatefulSet;
  public readonly podDisruptionBudget?: k8s.policy.v1.PodDisruptionBudget;
  public readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
  public readonly configMap?: k8s.core.v1.ConfigMap;
  public readonly secret?: k8s.core.v1.Secret;
  /** Refuses, at preview, changes the running workload cannot survive (see WorkloadGuard). */
  public readonly guard: WorkloadGuard;
  /** One patch per pod's claim, which expands it when `storage.size` grows (when expandClaims). */
  public readonly claimPatches: k8s.core.v1.PersistentVolumeClaimPatch[] = [];
  /** With restoreFrom: the claims `data-<name>-<i>`, restored from snapshots before the StatefulSet. */
  public readonly restoreClaims: k8s.core.v1.PersistentVolumeClaim[] = [];
  /** The VolumeSnapshots of each snapshot set, by set name. */
  public readonly volumeSnapshots: Record<string, k8s.apiextensions.CustomResource[]> = {};
  /** The VolumeSnapshot names of each snapshot set, by set name, known at preview. */
  public readonly snapshotSets: pulumi.Output<Record<string, string[]>>;
  /** `<svc>.<ns>.svc.<domain>`, known at preview. */
  public readonly serviceDnsName: pulumi.Output<string>;
  /** With primaryAndReplicas: the Service that selects the primary, and its DNS name. */
  public readonly writeService?: k8s.core.v1.Service;
  public readonly writeDnsName?: pulumi.Output<string>;
  /** With primaryAndReplicas: the Service that selects the replicas, and its DNS name. */
  public readonly readService?: k8s.core.v1.Service;
  public readonly readDnsName?: pulumi.Output<string>;
  /** With primaryAndReplicas: the agent's identity and what it may do. */
  public readonly serviceAccount?: k8s.core.v1.ServiceAccount;
  public readonly agentRole?: k8s.rbac.v1.Role;
  public readonly agentRoleBinding?: k8s.rbac.v1.RoleBinding;
  /** `<sts>-<i>.<svc>.<ns>.svc.<domain>` for every pod, known at preview. */
  public readonly podDnsNames: pulumi.Output<string[]>;
  /** With metrics.serviceMonitor: the Prometheus Operator's ServiceMonitor of the workload. */
  public readonly serviceMonitor?: k8s.apiextensions.CustomResource;
  /** With tls.issuer: the cert-manager Certificate that writes the pods' TLS Secret. */
  public readonly certificate?: k8s.apiextensions.CustomResource;
  /** With tls: the Secret the pods mount at TLS_DIR. */
  public readonly tlsSecretName?: string;

  constructor(name: string, args: StatefulWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    // Refuse bad args before anything is registered with the engine.
    validateWorkloadArgs(args.name ?? name, args);
    super("stateful:workloads:StatefulWorkload", name, {}, opts);
    const k8sName = args.name ?? name;

    const d = WORKLOAD_DEFAULTS;
    const podManagementPolicy = args.podManagementPolicy ?? d.podManagementPolicy;
    const partition = args.updatePartition ?? d.updatePartition;
    const terminationGracePeriodSeconds =
      args.terminationGracePeriodSeconds ?? d.terminationGracePeriodSeconds;
    const minReadySeconds = args.minReadySeconds ?? d.minReadySeconds;
    // What `pulumi up` gives one pod: its own start, and the copy of its data before it.
    const podStartSeconds =
      (args.startupSeconds ?? d.startupSeconds) + (args.dataCopySeconds ?? d.dataCopySeconds);
    const clusterDomain = args.clusterDomain ?? d.clusterDomain;
    const names = objectNames(k8sName);
    const labels = workloadLabels(args.app, k8sName, args.component);
    const selector = selectorLabels(labels);
    const metadata = (objectName: string) => ({
      name: objectName,
      namespace: args.namespace,
      labels: { ...labels },
    });
    const accessModes = args.storage.accessModes ?? DEFAULT_ACCESS_MODES;
    // Registered first; every other object waits for it, so a refused change touches nothing.
    this.guard = new WorkloadGuard(
      name,
      {
        workload: `${args.namespace}/${k8sName}`,
        storage: { className: args.storage.className, size: args.storage.size, accessModes },
        replicas: args.replicas,
        fixed: {
          ...args.fixedAfterStart,
          ...snapshotSetsFixed(args.snapshots ?? [], args.replicas),
        },
        ...(args.restoreFrom
          ? { restoredFrom: describeRestore(k8sName, args.replicas, args.restoreFrom) }
          : {}),
        ...(args.scaleDownRefusal ? { scaleDown: args.scaleDownRefusal } : {}),
        ...(partition > 0 ? { partitioned: true } : {}),
        ...(args.zones ? { zones: [...args.zones] } : {}),
      },
      { parent: this },
    );
    const child = { parent: this, dependsOn: [this.guard] };

    this.name = k8sName;
    this.namespace = args.namespace;

    // The exporter's files and Secret keys join the workload's own (validateWorkloadArgs has
    // refused a name taken twice).
    const exporter = args.metrics?.exporter;
    const configData =
      args.configData || exporter?.configData
        ? { ...args.configData, ...exporter?.configData }
        : undefined;
    const secretData =
      args.secretData || exporter?.secretData
        ? { ...args.secretData, ...exporter?.secretData }
        : undefined;
    const configMapName = configData
      ? contentAddressedName(names.configMap, configData)
      : undefined;
    if (configData) {
      this.configMap = new k8s.core.v1.ConfigMap(
        name,
        { metadata: metadata(configMapName!), immutable: true, data: configData },
        // A partitioned rollout leaves pods on the old files for as long as the user wants: the
        // old ConfigMap then stays in the cluster (README, Operations), or they could not restart.
        { ...child, retainOnDelete: partition > 0 },
      );
    }
    if (secretData) {
      this.secret = new k8s.core.v1.Secret(
        name,
        {
          metadata: metadata(names.secret),
          type: "Opaque",
          stringData: Object.fromEntries(
            Object.entries(secretData).map(([k, v]) => [k, pulumi.secret(v)]),
          ),
        },
        child,
      );
    }

    // The metrics port is on the headless Service alone: each pod is scraped on its own address.
    const metricsPort = exporter ? [{ name: METRICS_PORT_NAME, port: exporter.port }] : [];
    const serviceMetadata = metadata(names.service);
    this.service = new k8s.core.v1.Service(
      name,
      {
        metadata: exporter
          ? {
              ...serviceMetadata,
              labels: { ...serviceMetadata.labels, [METRICS_SERVICE_LABEL]: "true" },
            }
          : serviceMetadata,
        spec: {
          clusterIP: "None",
          publishNotReadyAddresses: args.publishNotReadyAddresses ?? d.publishNotReadyAddresses,
          selector,
          ports: [...args.ports, ...metricsPort].map((p) => ({
            name: p.name,
            port: p.port,
            targetPort: p.name,
            protocol: "TCP",
          })),
        },
      },
      child,
    );

    const clientPorts = args.ports
      .filter((p) => !p.peerOnly)
      .map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: "TCP" }));
    // Both follow readiness (no published not-ready addresses): a client reaches only a primary,
    // or a replica, that is ready to serve.
    const roleSelectors = roleServiceSelectors(selector, args.replicas);
    const roleService = (
      suffix: string,
      objectName: string,
      pods: Record<string, string>,
      opts: pulumi.CustomResourceOptions,
    ) =>
      new k8s.core.v1.Service(
        `${name}-${suffix}`,
        {
          metadata: metadata(objectName),
          spec: { type: "ClusterIP", selector: pods, ports: clientPorts.slice(0, 1) },
        },
        opts,
      );
    // Pod 1's claim: an empty pod 0 starts at once as the primary while it does not exist.
    const peerClaim = claimName(CLAIM_TEMPLATE, names.statefulSet, 1);
    if (args.primaryAndReplicas) {
      this.serviceAccount = new k8s.core.v1.ServiceAccount(
        name,
        { metadata: metadata(names.serviceAccount), automountServiceAccountToken: false },
        child,
      );
      this.agentRole = new k8s.rbac.v1.Role(
        name,
        {
          metadata: metadata(names.agentRole),
          rules: agentRules(names.statefulSet, args.replicas, peerClaim),
        },
        child,
      );
      this.agentRoleBinding = new k8s.rbac.v1.RoleBinding(
        name,
        {
          metadata: metadata(names.agentRole),
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: names.agentRole },
          subjects: [
            { kind: "ServiceAccount", name: names.serviceAccount, namespace: args.namespace },
          ],
        },
        child,
      );
      this.writeService = roleService("rw", names.writeService, roleSelectors.write, child);
      this.writeDnsName = pulumi.output(
        serviceDnsName(names.writeService, args.namespace, clusterDomain),
      );
      this.readDnsName = pulumi.output(
        serviceDnsName(names.readService, args.namespace, clusterDomain),
      );
    }

    const [declaredMain, ...sidecars] = args.containers;
    // What the exporter needs of the main container (PostgreSQL's second socket directory).
    const main = exporter?.mainContainer
      ? withExtras(declaredMain, exporter.mainContainer)
      : declaredMain;
    const mountsClaim = (c: Container) =>
      (c.volumeMounts as { name?: unknown }[] | undefined)?.some((m) => m.name === CLAIM_TEMPLATE);
    const mainContainer: Container = {
      ...main,
      ports: args.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: "TCP" })),
      volumeMounts: mountsClaim(main)
        ? main.volumeMounts
        : [
            { name: CLAIM_TEMPLATE, mountPath: args.storage.mountPath },
            ...((main.volumeMounts as k8s.types.input.core.v1.VolumeMount[] | undefined) ?? []),
          ],
    };
    const exporterContainers: Container[] = exporter
      ? [
          {
            ...exporter.container,
            ports: [{ name: METRICS_PORT_NAME, containerPort: exporter.port, protocol: "TCP" }],
          },
        ]
      : [];

    if (args.tls) {
      this.tlsSecretName = tlsSecretName(k8sName, args.tls);
      const issuer = args.tls.issuer;
      if (issuer) {
        this.certificate = new k8s.apiextensions.CustomResource(
          `${name}-tls`,
          {
            apiVersion: CERT_MANAGER_API_VERSION,
            kind: "Certificate",
            metadata: {
              ...metadata(certificateName(k8sName)),
              // The pods need the Secret: `pulumi up` waits for cert-manager to have issued it.
              annotations: { [WAIT_FOR]: "condition=Ready" },
            },
            spec: certificateSpec(
              {
                name: k8sName,
                namespace: args.namespace,
                clusterDomain,
                primaryAndReplicas: args.primaryAndReplicas ?? false,
              },
              args.tls,
              { ...labels },
            ),
          },
          child,
        );
      }
    }
    const volumes = [
      ...(args.volumes ?? []),
      ...(args.primaryAndReplicas ? agentVolumes() : []),
      ...(exporter?.volumes ?? []),
      ...(this.tlsSecretName ? [tlsVolume(this.tlsSecretName)] : []),
    ].map((v) =>
      (v.configMap as { name?: unknown } | undefined)?.name === names.configMap
        ? { ...v, configMap: { ...(v.configMap as object), name: configMapName } }
        : v,
    );

    // Claims restored from snapshots exist before the StatefulSet: its controller then uses them
    // (it looks claims up by name) instead of making empty ones.
    const claims: ClaimContext = {
      name,
      namespace: args.namespace,
      statefulSet: names.statefulSet,
      claimTemplate: CLAIM_TEMPLATE,
      replicas: args.replicas,
      storage: { className: args.storage.className, size: args.storage.size, accessModes },
      labels: { ...labels },
      claimLabels: selector,
    };
    if (args.restoreFrom) {
      this.restoreClaims.push(...restoreClaims(claims, args.restoreFrom, child));
    }

    // A pod naming a service account that does not exist yet is refused, and the agent needs its Role.
    const dependsOn = [
      this.guard,
      this.service,
      this.configMap,
      this.secret,
      this.serviceAccount,
      this.agentRoleBinding,
      this.agentRole,
      this.certificate,
    ].filter((r) => r !== undefined);

    this.statefulSet = new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: {
          ...metadata(names.statefulSet),
          annotations: {
            [DELETION_PROPAGATION]: "orphan",
            ...(partition > 0 ? { [SKIP_AWAIT]: "true" } : {}),
          },
        },
        spec: {
          serviceName: names.service,
          replicas: args.replicas,
          selector: { matchLabels: selector },
          podManagementPolicy,
          revisionHistoryLimit: 10,
          minReadySeconds,
          updateStrategy: {
            type: "RollingUpdate",
            rollingUpdate: { partition },
          },
          persistentVolumeClaimRetentionPolicy: args.retention ?? { ...DEFAULT_RETENTION },
          template: {
            metadata: {
              labels: { ...labels },
              ...(args.backup
                ? { annotations: veleroAnnotations(args.backup, CLAIM_TEMPLATE) }
                : {}),
            },
            spec: {
              automountServiceAccountToken: false,
              ...(args.primaryAndReplicas ? { serviceAccountName: names.serviceAccount } : {}),
              enableServiceLinks: false,
              terminationGracePeriodSeconds,
              securityContext: {
                runAsNonRoot: true,
                runAsUser: args.uid,
                runAsGroup: args.uid,
                fsGroup: args.uid,
                fsGroupChangePolicy: "OnRootMismatch",
                seccompProfile: { type: "RuntimeDefault" },
              },
              // Spread over nodes and zones; node selector, node affinity, tolerations.
              ...podPlacement(args, selector),
              // The agent first: a sidecar that the kind's init containers can already rely on.
              initContainers: [
                ...(args.primaryAndReplicas ? [agentContainer(names.statefulSet, peerClaim)] : []),
                ...(args.initContainers ?? []),
              ].map(hardened),
              containers: [mainContainer, ...sidecars, ...exporterContainers].map(hardened),
              volumes,
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: CLAIM_TEMPLATE, labels: selector },
              spec: {
                storageClassName: args.storage.className,
                accessModes,
                resources: { requests: { storage: args.storage.size } },
              },
            },
          ],
        },
      },
      {
        ...child,
        dependsOn: [...dependsOn, ...this.restoreClaims],
        customTimeouts: statefulSetTimeouts({
          replicas: args.replicas,
          startupSeconds: podStartSeconds,
          minReadySeconds,
          podManagementPolicy,
          terminationGracePeriodSeconds,
        }),
      },
    );

    if (args.primaryAndReplicas) {
      // After the StatefulSet: growing from one pod to more moves the read Service from every pod
      // to the replicas only once `pulumi up` has seen the new replicas ready (each first clones
      // the primary), so reads never go without an endpoint in between.
      this.readService = roleService("ro", names.readService, roleSelectors.read, {
        ...child,
        dependsOn: [this.guard, this.statefulSet],
      });
    }

    if (args.replicas > 1) {
      this.podDisruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
        name,
        {
          metadata: metadata(names.podDisruptionBudget),
          spec: {
            maxUnavailable: podDisruptionAllowance(
              args.replicas,
              args.maxUnavailable ?? d.maxUnavailable,
              args.quorum ?? d.quorum,
            ),
            selector: { matchLabels: selector },
          },
        },
        child,
      );
    }

    const peerPorts = args.ports.map((p) => ({ port: p.name, protocol: "TCP" }));
    const clientPolicyPorts = clientPorts.map((p) => ({ port: p.name, protocol: "TCP" }));
    const allowFrom = args.allowFrom ?? [];
    this.networkPolicy = new k8s.networking.v1.NetworkPolicy(
      name,
      {
        metadata: metadata(names.networkPolicy),
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress"],
          ingress: [
            { from: [{ podSelector: { matchLabels: selector } }], ports: peerPorts },
            ...(allowFrom.length > 0 && clientPolicyPorts.length > 0
              ? [{ from: allowFrom.map(peerSelector), ports: clientPolicyPorts }]
              : []),
            // The metrics port: the named scrapers only (not the workload's own pods, not allowFrom).
            ...(args.metrics
              ? [
                  {
                    from: args.metrics.scrapers.map(peerSelector),
                    ports: [{ port: METRICS_PORT_NAME, protocol: "TCP" }],
                  },
                ]
              : []),
          ],
        },
      },
      child,
    );

    const sm = args.metrics?.serviceMonitor;
    if (sm) {
      // Prometheus scrapes every pod's metrics port through the headless Service's endpoints.
      this.serviceMonitor = new k8s.apiextensions.CustomResource(
        `${name}-metrics`,
        {
          apiVersion: SERVICE_MONITOR_API_VERSION,
          kind: "ServiceMonitor",
          metadata: {
            name: names.service,
            namespace: args.namespace,
            labels: { ...sm.labels, ...labels },
          },
          spec: serviceMonitorSpec(selector, args.namespace, sm),
        },
        { ...child, dependsOn: [this.guard, this.service] },
      );
    }

    if ((args.expandClaims ?? d.expandClaims) && partition === 0) {
      // The claims exist once the StatefulSet is ready (`pulumi up` waits for that, except during
      // a staged rollout, when the guard refuses a new size). A patch that leaves the program
      // (scale-down, a staged rollout) leaves its claim as it is.
      for (let i = 0; i < args.replicas; i++) {
        this.claimPatches.push(
          new k8s.core.v1.PersistentVolumeClaimPatch(
            `${name}-claim-${i}`,
            {
              metadata: {
                name: claimName(CLAIM_TEMPLATE, names.statefulSet, i),
                namespace: args.namespace,
                annotations: { [PATCH_FORCE]: "true" },
              },
              spec: { resources: { requests: { storage: args.storage.size } } },
            },
            { parent: this, dependsOn: [this.statefulSet], retainOnDelete: true },
          ),
        );
      }
    }

    // Snapshots of the claims: they exist once the StatefulSet is ready, which `pulumi up` waits for.
    if (args.snapshots?.length) {
      Object.assign(
        this.volumeSnapshots,
        volumeSnapshots(claims, args.snapshots, {
          parent: this,
          dependsOn: [this.statefulSet, ...this.claimPatches],
        }),
      );
    }
    this.snapshotSets = pulumi.output(
      Object.fromEntries(
        Object.entries(this.volumeSnapshots).map(([set, snaps]) => [
          set,
          snapshotSetNames(names.statefulSet, set, snaps.length),
        ]),
      ),
    );

    this.serviceDnsName = pulumi.output(
      serviceDnsName(names.service, args.namespace, clusterDomain),
    );
    this.podDnsNames = pulumi.output(
      podDnsNames(names.statefulSet, names.service, args.namespace, args.replicas, clusterDomain),
    );

    this.registerOutputs({
      serviceDnsName: this.serviceDnsName,
      podDnsNames: this.podDnsNames,
      ...(this.writeDnsName ? { writeDnsName: this.writeDnsName } : {}),
      ...(this.readDnsName ? { readDnsName: this.readDnsName } : {}),
    });
  }
}
