// A monitored workload for the metrics rules: the valid workload of fixtures.ts with an exporter
// container, the metrics port on its headless Service, a ServiceMonitor that scrapes it and a
// NetworkPolicy rule that admits Prometheus to it.
import type { KubeObject } from "../../policies/kube/objects";
import {
  NS,
  networkPolicy,
  podDisruptionBudget,
  podLabels,
  service,
  statefulSet,
  withField,
} from "./fixtures";

const METRICS_LABEL = { "stateful-workloads/metrics": "true" };

/** The valid workload with an exporter container declaring the port `metrics`. */
export function scrapedStatefulSet(): KubeObject {
  const sts = statefulSet();
  const spec = (sts.spec as { template: { spec: { containers: unknown[] } } }).template.spec;
  spec.containers.push({
    name: "metrics",
    image: "oliver006/redis_exporter:v1.67.0",
    ports: [{ name: "metrics", containerPort: 9121 }],
  });
  return sts;
}

/** The headless Service with the metrics port, labelled for the ServiceMonitor. */
export function scrapedService(): KubeObject {
  const svc = withField(service(), ["metadata", "labels"], { ...podLabels(), ...METRICS_LABEL });
  return withField(
    svc,
    ["spec", "ports"],
    [
      { name: "redis", port: 6379, targetPort: "redis" },
      { name: "metrics", port: 9121, targetPort: "metrics" },
    ],
  );
}

export function monitor(): KubeObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: "redis", namespace: NS },
    spec: {
      selector: { matchLabels: { ...podLabels(), ...METRICS_LABEL } },
      endpoints: [{ port: "metrics", path: "/metrics", interval: "30s", scrapeTimeout: "10s" }],
    },
  };
}

/** The NetworkPolicy of the fixture plus a rule that admits Prometheus to the metrics port. */
export function scrapedNetworkPolicy(): KubeObject {
  return withField(networkPolicy(), ["spec", "ingress", 1], {
    from: [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
        podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
      },
    ],
    ports: [{ port: "metrics", protocol: "TCP" }],
  });
}

export function scrapedStack(overrides: { service?: KubeObject; monitor?: KubeObject } = {}) {
  const sts = scrapedStatefulSet();
  return {
    sts,
    objects: [
      overrides.service ?? scrapedService(),
      sts,
      podDisruptionBudget(),
      scrapedNetworkPolicy(),
      overrides.monitor ?? monitor(),
    ],
  };
}
