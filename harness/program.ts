// Runs the real program (index.ts) under Pulumi mocks with a stack's config, as `pulumi preview`
// would run it, and returns every resource it registered.
import * as path from "path";
import { RecordedResource, registered, setupMocks } from "./mocks";
import { PROGRAM_DIR } from "./stacks";

/**
 * Runs index.ts with `config` (keys like `stateful:namespaces`) under mocks and returns what it
 * registered. The module is loaded afresh each time, as a new `pulumi preview` process would.
 */
export async function runProgram(
  config: Record<string, string>,
  options: { stack?: string; preview?: boolean } = {},
): Promise<RecordedResource[]> {
  await setupMocks({ config, stack: options.stack ?? "test", preview: options.preview ?? true });
  const entry = require.resolve(path.join(PROGRAM_DIR, "index"));
  delete require.cache[entry];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(entry);
  return registered();
}

/** Kubernetes objects among the registered resources, as plain objects (secrets unwrapped). */
export function kubernetesObjects(resources: RecordedResource[]): RecordedResource[] {
  return resources.filter(
    (r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:"),
  );
}
