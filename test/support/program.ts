// Runs the real program (index.ts) under Pulumi mocks with a stack's config, as `pulumi preview`
// would run it, and returns every resource it registered.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { RecordedResource, registered, setupMocks } from "./mocks";

/** The program's own directory: the compiled index.js beside this file when run from dist/. */
const PROGRAM_DIR = path.resolve(__dirname, "../..");
/** The repository root, where Pulumi.yaml and stacks/ are (dist/ sits one level below it). */
export const ROOT = fs.existsSync(path.join(PROGRAM_DIR, "Pulumi.yaml"))
  ? PROGRAM_DIR
  : path.resolve(PROGRAM_DIR, "..");
export const STACKS_DIR = path.join(ROOT, "stacks");

/** The stacks of the project: the <name> of every stacks/Pulumi.<name>.yaml. */
export function stackNames(): string[] {
  return fs
    .readdirSync(STACKS_DIR)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
}

/** A stack file's `config:` map, as the Pulumi engine hands it to the program: JSON for objects. */
export function configOfStackFile(file: string): Record<string, string> {
  const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
  return flattenConfig(doc.config ?? {});
}

export function flattenConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

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
