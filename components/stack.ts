// Builds a whole stack from its validated config: the provider, the namespaces and one component
// per workload. index.ts is only the entry point around this.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, WorkloadConfig } from "./config";
import { Cassandra } from "./cassandra";
import { Nginx } from "./nginx";
import { Postgres } from "./postgres";
import { Redis } from "./redis";

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
  /** Redis and PostgreSQL: pod 0's DNS name, the primary that takes writes. */
  primaryDnsName?: pulumi.Output<string>;
  /** Redis and PostgreSQL: the Secret name and key that hold the (application) password. */
  passwordSecret?: { name: string; key: string };
  /** PostgreSQL: a connection string for the application role, a Pulumi secret. */
  connectionString?: pulumi.Output<string>;
  /** Cassandra: the seeds' DNS names, usable as contact points. */
  seeds?: pulumi.Output<string[]>;
}

function createWorkload(
  w: WorkloadConfig,
  clusterDomain: string | undefined,
  opts: pulumi.ComponentResourceOptions,
): WorkloadOutputs {
  const name = `${w.namespace}/${w.name}`;
  const outputs = (c: {
    serviceDnsName: pulumi.Output<string>;
    podDnsNames: pulumi.Output<string[]>;
  }) => ({
    kind: w.kind,
    namespace: w.namespace,
    name: w.name,
    serviceDnsName: c.serviceDnsName,
    podDnsNames: c.podDnsNames,
  });
  // Every key of the workload's config but its kind goes to its component as it is: nothing is
  // copied by hand, so nothing the schema accepts is dropped (test/components/configKeys.test.ts).
  const argsOf = <W extends WorkloadConfig>({ kind, ...args }: W) => ({ ...args, clusterDomain });
  switch (w.kind) {
    case "nginx":
      return outputs(new Nginx(name, argsOf(w), opts));
    case "redis": {
      const redis = new Redis(name, argsOf(w), opts);
      return {
        ...outputs(redis),
        primaryDnsName: redis.primaryDnsName,
        passwordSecret: redis.passwordSecret,
      };
    }
    case "postgres": {
      const pg = new Postgres(name, argsOf(w), opts);
      return {
        ...outputs(pg),
        primaryDnsName: pg.primaryDnsName,
        passwordSecret: pg.passwordSecret,
        connectionString: pg.connectionString,
      };
    }
    case "cassandra": {
      const ring = new Cassandra(name, argsOf(w), opts);
      return { ...outputs(ring), seeds: ring.seeds };
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
    });

  const namespaces = new Map<string, k8s.core.v1.Namespace>();
  for (const ns of config.namespaces) {
    if (!ns.create) continue;
    namespaces.set(
      ns.name,
      new k8s.core.v1.Namespace(
        ns.name,
        {
          metadata: {
            name: ns.name,
            labels: { ...ns.labels, ...RESTRICTED_NAMESPACE_LABELS },
          },
        },
        // Deleting a namespace deletes every claim in it, Retain or not: `pulumi destroy` leaves
        // namespaces in place so that nothing is lost by default.
        { provider, retainOnDelete: true },
      ),
    );
  }

  const workloads = config.workloads.map((w) => {
    const namespace = namespaces.get(w.namespace);
    return createWorkload(w, config.clusterDomain, {
      providers: [provider],
      dependsOn: namespace ? [namespace] : [],
    });
  });

  return {
    namespaces: config.namespaces.map((ns) => ns.name),
    workloads: Object.fromEntries(workloads.map((w) => [`${w.namespace}/${w.name}`, w])),
  };
}
