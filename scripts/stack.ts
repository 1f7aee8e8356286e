// Runs a stack of this project through the Pulumi CLI, pinned to the version that matches the SDK,
// with local state in .pulumi-state/ and the policy pack:
//   npm run up -- dev            npm run preview -- prod            npm run destroy -- dev
// The CLI is installed under ~/.pulumi/versions/<version> on first use (Pulumi's own installer).
// The CLI writes to the stack file it runs with (an encryption salt per machine, its own YAML
// style), so it runs with a copy in .pulumi-state/workspace/: the committed stacks/ files are only
// read, and `git status` stays clean on every machine.
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import * as semver from "semver";
import * as YAML from "yaml";
import { POLICY_PACK_DIR, policyConfigFile, ROOT, stackFile, stackNames } from "../harness/stacks";

/** The Pulumi CLI version this project is tested with: the one matching @pulumi/pulumi. */
export const PULUMI_CLI_VERSION: string = JSON.parse(
  fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8"),
).version;

const ACTIONS = ["up", "preview", "destroy"] as const;
type Action = (typeof ACTIONS)[number];

export interface Invocation {
  action: Action;
  stack: string;
  /** stacks/Pulumi.<stack>.yaml */
  stackFile: string;
  /** policies/config/<stack>.json when it exists */
  policyConfig?: string;
}

/** Checks the command line; throws an error that says what to type instead. */
export function parseInvocation(argv: string[], root = ROOT): Invocation {
  const [action, stack, ...rest] = argv;
  const usage = `usage: npm run <${ACTIONS.join("|")}> -- <stack>   (stacks: ${stackNames(root).join(", ")})`;
  if (!ACTIONS.includes(action as Action)) {
    throw new Error(`unknown action '${action ?? ""}'; ${usage}`);
  }
  if (!stack) throw new Error(`no stack named; ${usage}`);
  if (rest.length > 0) throw new Error(`unexpected arguments '${rest.join(" ")}'; ${usage}`);
  const file = stackFile(stack, root);
  if (!fs.existsSync(file)) {
    throw new Error(
      `no stack '${stack}': ${path.relative(root, file)} does not exist (stacks: ${stackNames(root).join(", ")})`,
    );
  }
  const policyConfig = policyConfigFile(stack, root);
  return {
    action: action as Action,
    stack,
    stackFile: file,
    policyConfig: fs.existsSync(policyConfig) ? policyConfig : undefined,
  };
}

/** Where the CLI runs: a project file pointing at the program, and per-machine stack files. */
export function workspaceDir(root = ROOT): string {
  return path.join(root, ".pulumi-state", "workspace");
}

/**
 * Writes the workspace the CLI runs in: Pulumi.yaml as the project's, with `main` pointing back at
 * the program, and the stack's file with the committed `config:` and whatever the CLI keeps there
 * for this machine (`encryptionsalt`, `secretsprovider`). Returns the workspace directory.
 */
export function prepareWorkspace(inv: Invocation, root = ROOT): string {
  const dir = workspaceDir(root);
  fs.mkdirSync(path.join(dir, "stacks"), { recursive: true });
  const project = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
  project.main = path.relative(dir, root);
  project.stackConfigDir = "stacks";
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), YAML.stringify(project));
  const copy = path.join(dir, "stacks", path.basename(inv.stackFile));
  const kept = fs.existsSync(copy) ? (YAML.parse(fs.readFileSync(copy, "utf8")) ?? {}) : {};
  const committed = YAML.parse(fs.readFileSync(inv.stackFile, "utf8")) ?? {};
  fs.writeFileSync(copy, YAML.stringify({ ...kept, config: committed.config ?? {} }));
  return dir;
}

async function pulumiCli(): Promise<PulumiCommand> {
  const version = new semver.SemVer(PULUMI_CLI_VERSION);
  const root = path.join(process.env.HOME ?? ROOT, ".pulumi", "versions", PULUMI_CLI_VERSION);
  try {
    return await PulumiCommand.get({ version, root });
  } catch {
    console.log(`Installing the Pulumi CLI ${PULUMI_CLI_VERSION} into ${root} ...`);
    return PulumiCommand.install({ version, root });
  }
}

async function main(): Promise<void> {
  const inv = parseInvocation(process.argv.slice(2));
  const env: Record<string, string> = {
    // `npm run build` has type-checked the program already: ts-node only transpiles.
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    PULUMI_BACKEND_URL:
      process.env.PULUMI_BACKEND_URL ?? `file://${path.join(ROOT, ".pulumi-state")}`,
  };
  if (
    process.env.PULUMI_CONFIG_PASSPHRASE === undefined &&
    !process.env.PULUMI_CONFIG_PASSPHRASE_FILE
  ) {
    if (inv.stack !== "dev") {
      throw new Error(
        `set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to encrypt the secrets of stack '${inv.stack}'`,
      );
    }
    // dev renders manifests to disk, Secrets included: its state needs no stronger protection.
    env.PULUMI_CONFIG_PASSPHRASE = "";
  }
  fs.mkdirSync(path.join(ROOT, ".pulumi-state"), { recursive: true });
  const pulumiCommand = await pulumiCli();
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: inv.stack, workDir: prepareWorkspace(inv) },
    { pulumiCommand, envVars: env },
  );
  const policy = {
    policyPacks: [POLICY_PACK_DIR],
    policyPackConfigs: inv.policyConfig ? [inv.policyConfig] : [],
  };
  const onOutput = (out: string) => process.stdout.write(out);
  switch (inv.action) {
    case "up":
      await stack.up({ ...policy, onOutput });
      break;
    case "preview":
      await stack.preview({ ...policy, onOutput, diff: true });
      break;
    case "destroy":
      await stack.destroy({ onOutput });
      break;
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  });
}
