// The project's stack-file conventions, in one place: where the repository and the policy pack are,
// each stack's file (stacks/Pulumi.<stack>.yaml) and policy config (policies/config/<stack>.json),
// which stacks exist, and a stack file's config as the Pulumi engine hands it to the program.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

/** The program's own directory: the compiled index.js beside harness/ when run from dist/. */
export const PROGRAM_DIR = path.resolve(__dirname, "..");
/** The repository root, where Pulumi.yaml and stacks/ are (dist/ sits one level below it). */
export const ROOT = fs.existsSync(path.join(PROGRAM_DIR, "Pulumi.yaml"))
  ? PROGRAM_DIR
  : path.resolve(PROGRAM_DIR, "..");

/** policies/ under `root`: the policy pack every stack is previewed and deployed with. */
function policyPackDir(root = ROOT): string {
  return path.join(root, "policies");
}
export const POLICY_PACK_DIR = policyPackDir();

/** stacks/ under `root`: Pulumi.yaml's stackConfigDir. */
export function stacksDir(root = ROOT): string {
  return path.join(root, "stacks");
}

/** stacks/Pulumi.<stack>.yaml under `root`. */
export function stackFile(stack: string, root = ROOT): string {
  return path.join(stacksDir(root), `Pulumi.${stack}.yaml`);
}

/** policies/config/<stack>.json under `root`: the policy config CI and `npm run up` use. */
export function policyConfigFile(stack: string, root = ROOT): string {
  return path.join(policyPackDir(root), "config", `${stack}.json`);
}

/** The stacks of the project: the <stack> of every stacks/Pulumi.<stack>.yaml, sorted. */
export function stackNames(root = ROOT): string[] {
  return fs
    .readdirSync(stacksDir(root))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
}

/** A stack file's `config:` map, as the Pulumi engine hands it to the program: JSON for objects. */
export function configOfStackFile(file: string): Record<string, string> {
  const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
  return flattenConfig(doc.config ?? {});
}

/** Config values as the engine passes them: strings as they are, anything else as JSON. */
export function flattenConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}
