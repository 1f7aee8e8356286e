// The resources of every container of a workload's pod, per kind, without building the workload:
// what the namespace quota check (quota.ts) charges before anything is registered. Each kind's
// component builds the same containers; test/components/podResources.test.ts renders every kind
// and fails when this list and the rendered pod template differ, so a container added to a kind
// (or to StatefulWorkload) must be added here too.
import type { CassandraArgs } from "./cassandra";
import { CASSANDRA_ADMIN_RESOURCES } from "./cassandra";
import { AGENT_RESOURCES } from "./agent";
import { redisSentinelDefault, WorkloadKind } from "./defaults";
import { EXPORTER_RESOURCES, METRICS_CONTAINER } from "./metrics";
import { RECONCILE_RESOURCES } from "./postgres";
import type { ContainerResources, PodResources } from "./quota";
import { AUTH_RESOURCES, RedisArgs, SENTINEL_RESOURCES } from "./redis";
import { BaseWorkloadArgs, resolveWorkloadArgs } from "./workloadArgs";

/** nginx's init container, which writes one small page to an empty claim. */
export const NGINX_SEED_RESOURCES = {
  requests: { cpu: "10m", memory: "16Mi" },
  limits: { memory: "32Mi" },
};

/** The main container's name, per kind. */
export const MAIN_CONTAINER: Record<WorkloadKind, string> = {
  nginx: "nginx",
  redis: "redis",
  postgres: "postgresql",
  cassandra: "cassandra",
};

type Res = { requests?: Record<string, string>; limits?: Record<string, string> };

const container = (name: string, r: Res, workloadResources = false): ContainerResources => ({
  name,
  requests: { ...r.requests },
  limits: { ...r.limits },
  ...(workloadResources ? { workloadResources } : {}),
});

/** The pod agent (components/agent.ts): a sidecar, the first init container. */
const agent: ContainerResources = {
  ...container("agent", AGENT_RESOURCES),
  restartPolicy: "Always",
};

/**
 * The containers of one pod of a workload and their resources, as its component renders them: the
 * main container gets the workload's resources (the kind's when unset, a memory limit equal to the
 * request when none is given).
 */
export function podResourcesOf(
  kind: WorkloadKind,
  name: string,
  args: BaseWorkloadArgs & Pick<RedisArgs, "sentinel"> & Pick<CassandraArgs, "auth">,
): PodResources {
  const { resources, replicas } = resolveWorkloadArgs(kind, name, args);
  const main = container(MAIN_CONTAINER[kind], resources, true);
  // With metrics, the kind's exporter (components/metrics.ts) runs in every pod.
  const exporter = args.metrics ? [container(METRICS_CONTAINER, EXPORTER_RESOURCES[kind])] : [];
  switch (kind) {
    case "nginx":
      return {
        initContainers: [container("seed-content", NGINX_SEED_RESOURCES)],
        containers: [main, ...exporter],
      };
    case "redis":
      return {
        initContainers: [agent],
        containers: [
          main,
          container("auth", AUTH_RESOURCES),
          // Sentinel runs in every pod when on (by default from 3 replicas).
          ...((args.sentinel ?? redisSentinelDefault(replicas ?? 1))
            ? [container("sentinel", SENTINEL_RESOURCES)]
            : []),
          ...exporter,
        ],
      };
    case "postgres":
      return {
        initContainers: [agent, container("clone-primary", resources, true)],
        containers: [main, container("reconcile", RECONCILE_RESOURCES), ...exporter],
      };
    case "cassandra":
      return {
        initContainers: [],
        containers: [
          main,
          // The superuser's and the certificate's keeper (components/cassandra.ts).
          ...((args.auth ?? true) || args.tls
            ? [container("admin", CASSANDRA_ADMIN_RESOURCES)]
            : []),
          ...exporter,
        ],
      };
  }
}
