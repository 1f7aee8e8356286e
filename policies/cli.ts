#!/usr/bin/env node
// stateful-policy: the pack's rules over YAML manifests, for anything that is not a Pulumi stack
// (kubectl manifests, `helm template` output). Exit 0: no mandatory violation; 1: at least one;
// 2: bad usage, unreadable input or invalid config.
import * as fs from "fs";
import { parse as parseYaml } from "yaml";
import { parsePolicyPackConfig, reconcileConfig, ResolvedPolicyConfig } from "./config";
import type { KubeObject } from "./kube/objects";
import { ManifestError, parseManifests } from "./manifests";
import { RULES } from "./rules";
import { analyzeObjects, Result } from "./runner";

export const USAGE = `usage: stateful-policy check [--format text|json] [--config FILE] FILE...

Checks the StatefulSets in Kubernetes manifests (multi-document YAML or JSON; '-' reads stdin)
against the stateful-workloads policies, with their Services, PodDisruptionBudgets and
NetworkPolicies taken from the same files.

  --format text|json  one line per finding (default), or a JSON array
  --config FILE       policy config, the format of pulumi's --policy-pack-config

Exit status: 0 no mandatory violation, 1 a mandatory violation, 2 usage, input or config error.`;

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): string;
  readStdin(): string;
}

const defaultIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readFile: (p) => fs.readFileSync(p, "utf8"),
  readStdin: () => fs.readFileSync(0, "utf8"),
};

class UsageError extends Error {}

interface Options {
  format: "text" | "json";
  config?: string;
  files: string[];
}

function parseArgs(argv: string[]): Options | "help" {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") return "help";
  if (command !== "check") {
    throw new UsageError(
      command === undefined ? "missing command" : `unknown command "${command}"`,
    );
  }
  const opts: Options = { format: "text", files: [] };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const value = (flag: string) => {
      const eq = arg.indexOf("=");
      if (eq >= 0) return arg.slice(eq + 1);
      if (i + 1 >= rest.length) throw new UsageError(`${flag} needs a value`);
      return rest[++i];
    };
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--format" || arg.startsWith("--format=")) {
      const f = value("--format");
      if (f !== "text" && f !== "json")
        throw new UsageError(`--format must be text or json, got "${f}"`);
      opts.format = f;
    } else if (arg === "--config" || arg.startsWith("--config=")) {
      opts.config = value("--config");
    } else if (arg === "--") {
      opts.files.push(...rest.slice(i + 1));
      break;
    } else if (arg.startsWith("-") && arg !== "-") {
      throw new UsageError(`unknown option "${arg}"`);
    } else {
      opts.files.push(arg);
    }
  }
  if (opts.files.length === 0) throw new UsageError("no manifest files given");
  return opts;
}

function read(io: CliIO, file: string): string {
  try {
    return file === "-" ? io.readStdin() : io.readFile(file);
  } catch (e) {
    const reason =
      (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw new ManifestError(`${file === "-" ? "stdin" : file}: cannot read (${reason})`);
  }
}

function loadConfig(io: CliIO, file: string | undefined): Record<string, ResolvedPolicyConfig> {
  let raw: unknown = undefined;
  if (file !== undefined) {
    const text = read(io, file);
    try {
      raw = parseYaml(text);
    } catch (e) {
      throw new ManifestError(
        `${file}: invalid policy config: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  const parsed = parsePolicyPackConfig(raw);
  const { resolved, errors, warnings } = reconcileConfig(RULES, parsed.config);
  for (const w of warnings) io.stderr(`stateful-policy: ${file}: warning: ${w}\n`);
  const all = [...parsed.errors, ...errors];
  if (all.length > 0) {
    throw new ManifestError(`${file}: invalid policy config: ${all.join("; ")}`);
  }
  return resolved;
}

export function formatText(r: Result): string {
  return `[${r.level}] ${r.rule} (${r.kind} ${r.namespace}/${r.name}): ${r.message}`;
}

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  let opts: Options | "help";
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`stateful-policy: ${e.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (opts === "help") {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  let results: Result[];
  let statefulSets: number;
  try {
    const config = loadConfig(io, opts.config);
    const objects: KubeObject[] = [];
    for (const file of opts.files) {
      objects.push(...parseManifests(read(io, file), file === "-" ? "stdin" : file));
    }
    statefulSets = objects.filter((o) => o.kind === "StatefulSet").length;
    results = analyzeObjects(objects, RULES, config);
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
    io.stderr(`stateful-policy: ${e.message}\n`);
    return 2;
  }
  if (opts.format === "json") {
    io.stdout(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    for (const r of results) io.stdout(`${formatText(r)}\n`);
  }
  const mandatory = results.filter((r) => r.level === "mandatory").length;
  io.stderr(
    `stateful-policy: ${statefulSets} StatefulSet(s) in ${opts.files.length} file(s): ${mandatory} mandatory, ${results.length - mandatory} advisory\n`,
  );
  return mandatory > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(
        `stateful-policy: internal error: ${e instanceof Error ? e.stack : String(e)}\n`,
      );
      process.exitCode = 2;
    },
  );
}
