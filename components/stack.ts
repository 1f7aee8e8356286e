// Builds a whole stack from its validated config: the provider, the namespaces and one component
// per workload. index.ts is only the entry point around this.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, WorkloadConfig } from "./config";
import { Cassandra } from "./cassandra";
import { Nginx } from "./nginx";
import { Postgres } from "./postgres";
import { Redis } from "./redis";
import { PATCH_FORCE } from "./statefulWorkload";
import { limitRangeItems, QUOTA_OBJECT_NAME, resourceQuotaHard } from "./quota";

/** The labels that make the API server enforce the restricted Pod Security Standard. */
export const RESTRICTED_NAMESPACE_LABELS = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
};

/** What a workload component exposes to the stack's outputs. */
export interface WorkloadOutputs {
  kind: string;
  namespace: string;
  name: string;
  serviceDnsName: pulumi.Output<string>;
  podDnsNames: pulumi.Output<string[]>;
  /** Redis and PostgreSQL: pod 0's DNS name, the first primary. */
  primaryDnsName?: pulumi.Output<string>;
  /** Redis and PostgreSQL: the write Service's DNS name, which follows the primary. */
  writeDnsName?: pulumi.Output<string>;
  /** Redis and PostgreSQL: the read Service's DNS name (the replicas). */
  readDnsName?: pulumi.Output<string>;
  /** Redis and PostgreSQL: the Secret name and key that hold the (application) password. */
  passwordSecret?: { name: string; key: string };
  /** Redis and PostgreSQL: a connection string to the write Service, a Pulumi secret. */
  connectionString?: pulumi.Output<string>;
  /** Redis and PostgreSQL: a connection string to the read Service, a Pulumi secret. */
  readConnectionString?: pulumi.Output<string>;
  /** Cassandra: the seeds' DNS names, usable as contact points. */
  seeds?: pulumi.Output<string[]>;
  /** With `snapshots`: the VolumeSnapshot names of each set, by set name. */
  snapshotSets?: pulumi.Output<Record<string, string[]>>;
}

function createWorkload(
  w: WorkloadConfig,
  stack: { clusterDomain?: string; expandClaims: boolean },
  opts: pulumi.ComponentResourceOptions,
): WorkloadOutputs {
  const name = `${w.namespace}/${w.name}`;
  const outputs = (c: {
    serviceDnsName: pulumi.Output<string>;
    podDnsNames: pulumi.Output<string[]>;
    workload: { snapshotSets: pulumi.Output<Record<string, string[]>> };
  }) => ({
    kind: w.kind,
    namespace: w.namespace,
    name: w.name,
    serviceDnsName: c.serviceDnsName,
    podDnsNames: c.podDnsNames,
    ...(w.snapshots?.length ? { snapshotSets: c.workload.snapshotSets } : {}),
  });
  // Every key of the workload's config but its kind goes to its component as it is: nothing is
  // copied by hand, so nothing the schema accepts is dropped (test/components/configKeys.test.ts).
  const argsOf = <W extends WorkloadConfig>({ kind, ...args }: W) => ({ ...args, ...stack });
  switch (w.kind) {
    case "nginx":
      return outputs(new Nginx(name, argsOf(w), opts));
    case "redis": {
      const redis = new Redis(name, argsOf(w), opts);
      return {
        ...outputs(redis),
        primaryDnsName: redis.primaryDnsName,
        writeDnsName: redis.writeDnsName,
        readDnsName: redis.readDnsName,
        passwordSecret: redis.passwordSecret,
        connectionString: redis.connectionString,
        readConnectionString: redis.readConnectionString,
      };
    }
    case "postgres": {
      const pg = new Postgres(name, argsOf(w), opts);
      return {
        ...outputs(pg),
        primaryDnsName: pg.primaryDnsName,
        writeDnsName: pg.writeDnsName,
        readDnsName: pg.readDnsName,
        passwordSecret: pg.passwordSecret,
        connectionString: pg.connectionString,
        readConnectionString: pg.readConnectionString,
      };
    }
    case "cassandra": {
      const ring = new Cassandra(name, argsOf(w), opts);
      return {
        ...outputs(ring),
        seeds: ring.seeds,
        ...(ring.superuserSecret
          ? {
              superuser: ring.superuser,
              superuserPassword: ring.superuserPassword,
              superuserSecret: ring.superuserSecret,
            }
          : {}),
      };
    }
  }
}

/** Creates every resource of the stack and returns what it exports. */
export function deployStack(config: StackConfig, opts: { provider?: k8s.Provider } = {}) {
  const provider =
    opts.provider ??
    new k8s.Provider("kubernetes", {
      renderYamlToDirectory: config.target.renderYamlToDirectory,
      context: config.target.context,
      kubeconfig: config.target.kubeconfig,
      // A new password updates the workload's Secret in place: replacing an object with a fixed
      // name deletes it first, and a pod starting in the gap could not read it.
      enableSecretMutable: true,
    });
  const rendering = config.target.renderYamlToDirectory !== undefined;

  const namespaces = new Map<string, pulumi.CustomResource>();
  for (const ns of config.namespaces) {
    if (!ns.create) continue;
    const args = {
      metadata: { name: ns.name, labels: { ...ns.labels, ...RESTRICTED_NAMESPACE_LABELS } },
    };
    // Deleting a namespace deletes every claim in it, Retain or not: `pulumi destroy` leaves
    // namespaces in place so that nothing is lost by default. On a cluster, the namespace is a
    // server-side apply patch, which creates it when it is missing and adopts it when an earlier
    // stack left it there, so `pulumi up` after `pulumi destroy` works.
    const opts = { provider, retainOnDelete: true };
    namespaces.set(
      ns.name,
      rendering
        ? new k8s.core.v1.Namespace(ns.name, args, opts)
        : new k8s.core.v1.NamespacePatch(
            ns.name,
            { metadata: { ...args.metadata, annotations: { [PATCH_FORCE]: "true" } } },
            opts,
          ),
    );
  }

  // A namespace's quota and LimitRange come before its workloads: the LimitRange's defaults apply
  // only to pods created after it, and config.ts has checked that the workloads fit both.
  const admission = new Map<string, pulumi.CustomResource[]>();
  for (const ns of config.namespaces) {
    const namespace = namespaces.get(ns.name);
    if (!namespace || (!ns.quota && !ns.limitRange)) continue;
    const metadata = { name: QUOTA_OBJECT_NAME, namespace: ns.name };
    const opts = { provider, dependsOn: [namespace] };
    admission.set(ns.name, [
      ...(ns.quota
        ? [
            new k8s.core.v1.ResourceQuota(
              `${ns.name}-quota`,
              { metadata, spec: { hard: resourceQuotaHard(ns.quota) } },
              opts,
            ),
          ]
        : []),
      ...(ns.limitRange
        ? [
            new k8s.core.v1.LimitRange(
              `${ns.name}-limits`,
              { metadata, spec: { limits: limitRangeItems(ns.limitRange) } },
              opts,
            ),
          ]
        : []),
    ]);
  }

  const workloads = config.workloads.map((w) => {
    const namespace = namespaces.get(w.namespace);
    return createWorkload(
      w,
      { clusterDomain: config.clusterDomain, expandClaims: !rendering },
      {
        providers: [provider],
        dependsOn: [...(namespace ? [namespace] : []), ...(admission.get(w.namespace) ?? [])],
      },
    );
  });

  return {
    namespaces: config.namespaces.map((ns) => ns.name),
    workloads: Object.fromEntries(workloads.map((w) => [`${w.namespace}/${w.name}`, w])),
  };
}
