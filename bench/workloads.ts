// Generated stack configs of any size, for measuring how the program and the pack grow.
import { WORKLOAD_KINDS } from "../components/defaults";
import { flattenConfig } from "../harness/stacks";

/** Workloads per generated namespace. */
const PER_NAMESPACE = 25;

/**
 * A valid stack config with `count` workloads cycling through every kind, 25 to a namespace,
 * rendering to a directory (no cluster).
 */
export function generatedConfig(count: number): Record<string, string> {
  const namespaces = Array.from(
    { length: Math.max(1, Math.ceil(count / PER_NAMESPACE)) },
    (_, n) => ({
      name: `bench-${n}`,
      workloads: [] as Record<string, unknown>[],
    }),
  );
  for (let i = 0; i < count; i++) {
    const kind = WORKLOAD_KINDS[i % WORKLOAD_KINDS.length];
    namespaces[Math.floor(i / PER_NAMESPACE)].workloads.push({
      kind,
      name: `${kind}-${i}`,
      replicas: 3,
      allowFrom: [{ podLabels: { client: "true" } }],
    });
  }
  return flattenConfig({
    "stateful:target": { renderYamlToDirectory: "rendered/bench" },
    "stateful:storageClass": "standard",
    "stateful:namespaces": namespaces,
  });
}
