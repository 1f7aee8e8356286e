#!/usr/bin/env node
// stateful-policy: the pack's rules over YAML manifests, for anything that is not a Pulumi stack
// (kubectl manifests, `helm template` output). Exit 0: no mandatory violation; 1: at least one;
// 2: bad usage, unreadable input, no Kubernetes object at all, or invalid config.
//
// Start-up matters (one process per check in CI): nothing Pulumi is loaded here, and the YAML
// parser only when a document needs more than the fast reader (or the config file is YAML).
import * as fs from "fs";
import * as path from "path";
import { parsePolicyPackConfig, reconcileConfig, ResolvedPolicyConfig } from "./config";
import { BETA_ANNOTATION } from "./kube/claims";
import { isRecord } from "./kube/fields";
import { isKind, isStatefulSetOrMistyped, KINDS, KubeObject } from "./kube/objects";
import { ManifestError, ManifestObject, readManifests } from "./manifests";
import { RULES } from "./rules";
import { analyzeObjects, Result } from "./runner";

export const USAGE = `usage: stateful-policy check [--format text|json|sarif|github] [--config FILE] [--allow-empty] FILE...

Checks the StatefulSets in Kubernetes manifests (multi-document YAML or JSON; '-' reads stdin)
against the stateful-workloads policies, with their Services, PodDisruptionBudgets and
NetworkPolicies taken from the same files. YAML is read as kubectl reads it (YAML 1.1).

  --format text     one line per finding (the default; github when GITHUB_ACTIONS=true)
  --format json     a JSON array of findings, each with the file and line of its object
  --format sarif    SARIF 2.1.0, for GitHub code scanning
  --format github   GitHub Actions annotations (::error file=...,line=...::) on each object
  --config FILE     policy config, the format of pulumi's --policy-pack-config
  --allow-empty     exit 0 when the input holds no Kubernetes object (default: exit 2)

Exit status: 0 no mandatory violation, 1 a mandatory violation, 2 usage, input or config error.`;

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The bytes of a file, or of standard input for "-", in chunks. */
  open(file: string): AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** The environment (GITHUB_ACTIONS selects the github format). */
  env: Record<string, string | undefined>;
}

const defaultIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  open: (p) => (p === "-" ? process.stdin : fs.createReadStream(p, { highWaterMark: 1 << 20 })),
  env: process.env,
};

class UsageError extends Error {}

/** An input or config problem: exit 2 with the message. */
class InputError extends Error {}

const FORMATS = ["text", "json", "sarif", "github"] as const;
type Format = (typeof FORMATS)[number];

interface Options {
  format?: Format;
  config?: string;
  allowEmpty: boolean;
  files: string[];
}

function parseArgs(argv: string[]): Options | "help" {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") return "help";
  if (command !== "check") {
    throw new UsageError(
      command === undefined ? "missing command" : `unknown command "${printable(command)}"`,
    );
  }
  const opts: Options = { allowEmpty: false, files: [] };
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
      if (!(FORMATS as readonly string[]).includes(f)) {
        throw new UsageError(
          `--format must be one of ${FORMATS.join(", ")}, got "${printable(f)}"`,
        );
      }
      opts.format = f as Format;
    } else if (arg === "--config" || arg.startsWith("--config=")) {
      opts.config = value("--config");
    } else if (arg === "--allow-empty") {
      opts.allowEmpty = true;
    } else if (arg === "--") {
      opts.files.push(...rest.slice(i + 1));
      break;
    } else if (arg.startsWith("-") && arg !== "-") {
      throw new UsageError(`unknown option "${printable(arg)}"`);
    } else {
      opts.files.push(arg);
    }
  }
  if (opts.files.length === 0) throw new UsageError("no manifest files given");
  return opts;
}

const displayName = (file: string) => (file === "-" ? "stdin" : file);

function readError(file: string, e: unknown): InputError {
  const reason = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
  return new InputError(`${printable(displayName(file))}: cannot read (${reason})`);
}

async function readAll(io: CliIO, file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of io.open(file)) chunks.push(Buffer.from(c));
  } catch (e) {
    throw readError(file, e);
  }
  return Buffer.concat(chunks);
}

async function loadConfig(
  io: CliIO,
  file: string | undefined,
): Promise<Record<string, ResolvedPolicyConfig>> {
  let raw: unknown = undefined;
  const name = file === undefined ? "" : printable(displayName(file));
  if (file !== undefined) {
    const text = (await readAll(io, file)).toString("utf8");
    try {
      raw = tryJson(text) ?? (await import("yaml")).parse(text);
    } catch (e) {
      throw new InputError(
        `${name}: invalid policy config: ${printable(e instanceof Error ? e.message : String(e))}`,
      );
    }
  }
  const parsed = parsePolicyPackConfig(raw);
  const { resolved, errors, warnings } = reconcileConfig(RULES, parsed.config);
  for (const w of warnings) io.stderr(`stateful-policy: ${name}: warning: ${printable(w)}\n`);
  const all = [...parsed.errors, ...errors];
  if (all.length > 0) {
    throw new InputError(`${name}: invalid policy config: ${printable(all.join("; "))}`);
  }
  return resolved;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * What the stack rules read of each kind of object they look up, besides its identity (apiVersion,
 * kind, metadata.name and metadata.namespace): fields of `spec`, and whether the labels or which
 * annotations of `metadata`.
 */
export const READ_FIELDS: Record<
  string,
  { spec: readonly string[]; labels?: boolean; annotations?: readonly string[] }
> = {
  // A ServiceMonitor selects a Service by its labels.
  Service: { spec: ["clusterIP", "clusterIPs", "selector", "ports"], labels: true },
  PodDisruptionBudget: { spec: ["selector", "minAvailable", "maxUnavailable"] },
  NetworkPolicy: { spec: ["podSelector", "policyTypes", "ingress"] },
  PersistentVolumeClaim: {
    spec: ["storageClassName", "accessModes", "resources", "dataSource", "dataSourceRef"],
    // Kubernetes reads a claim's class from it before spec.storageClassName.
    annotations: [BETA_ANNOTATION],
  },
  VolumeSnapshot: { spec: ["volumeSnapshotClassName", "source"] },
  ServiceMonitor: { spec: ["selector", "namespaceSelector", "endpoints"] },
  Certificate: { spec: ["secretName", "dnsNames"] },
};

/** The entries of `record` whose key is one of `keys`. */
function pick(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in record).map((k) => [k, record[k]]));
}

/**
 * What is kept of an object: a StatefulSet whole; of a Service, budget, NetworkPolicy, claim,
 * VolumeSnapshot, ServiceMonitor or Certificate only what the stack rules read (READ_FIELDS);
 * nothing of any other object (it is counted and dropped as read), so memory grows with the
 * objects the rules need, not with the input.
 */
export function kept(obj: KubeObject): KubeObject | undefined {
  if (isStatefulSetOrMistyped(obj)) return obj;
  const type = Object.values(KINDS).find((k) => isKind(obj, k.group, k.kind));
  if (!type) return undefined;
  const read = READ_FIELDS[type.kind];
  const metadata = isRecord(obj.metadata) ? obj.metadata : {};
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  const keptAnnotations = pick(annotations, read.annotations ?? []);
  const slim: KubeObject = {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      ...(read.labels && metadata.labels !== undefined ? { labels: metadata.labels } : {}),
      ...(Object.keys(keptAnnotations).length > 0 ? { annotations: keptAnnotations } : {}),
    },
    spec: pick(spec, read.spec),
  };
  return slim;
}

// ---------------------------------------------------------------------------------------------
// Output.

/**
 * Text safe for a terminal or a CI log: control characters (ESC, CR, LF, C1, line separators,
 * bidirectional overrides) are written as escapes, so no name or message can move the cursor,
 * forge a line or start a workflow command.
 */
export function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => {
      const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
      return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
    },
  );
}

export function formatText(r: Result): string {
  return printable(`[${r.level}] ${r.rule} (${r.kind} ${r.namespace}/${r.name}): ${r.message}`);
}

/** GitHub's workflow-command escaping: data, and (with `property`) a property value. */
function ghEscape(text: string, property = false): string {
  let s = printable(text).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  if (property) s = s.replace(/:/g, "%3A").replace(/,/g, "%2C");
  return s;
}

/** A path relative to the working directory, with forward slashes (GitHub and SARIF want it). */
function repoPath(file: string): string {
  const rel = path.relative(process.cwd(), path.resolve(file));
  return (rel.startsWith("..") ? path.resolve(file) : rel).split(path.sep).join("/");
}

export function formatGithub(r: Result): string {
  const where =
    r.file !== undefined && r.file !== "stdin"
      ? `file=${ghEscape(repoPath(r.file), true)},line=${r.line ?? 1},`
      : "";
  const title = ghEscape(`${r.rule} (${r.kind} ${r.namespace}/${r.name})`, true);
  const command = r.level === "mandatory" ? "error" : "warning";
  return `::${command} ${where}title=${title}::${ghEscape(r.message)}`;
}

export function formatSarif(results: Result[]): string {
  const ruleIndex = new Map<string, number>(RULES.map((r, i) => [r.name, i]));
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "stateful-policy",
            informationUri: "https://www.pulumi.com/docs/using-pulumi/crossguard/",
            rules: RULES.map((r) => ({
              id: r.name,
              name: r.name,
              shortDescription: { text: r.name },
              fullDescription: { text: r.description },
              defaultConfiguration: { level: r.level === "mandatory" ? "error" : "warning" },
            })),
          },
        },
        results: results.map((r) => ({
          ruleId: r.rule,
          ruleIndex: ruleIndex.get(r.rule),
          level: r.level === "mandatory" ? "error" : "warning",
          message: { text: `${r.kind} ${r.namespace}/${r.name}: ${r.message}` },
          locations:
            r.file !== undefined && r.file !== "stdin"
              ? [
                  {
                    physicalLocation: {
                      artifactLocation: { uri: repoPath(r.file), uriBaseId: "%SRCROOT%" },
                      region: { startLine: r.line ?? 1 },
                    },
                  },
                ]
              : [],
        })),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2);
}

function namedFiles(files: string[]): string {
  const names = files.map((f) => printable(displayName(f)));
  return names.length <= 3 ? names.join(", ") : `the ${names.length} files given`;
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
  const format: Format = opts.format ?? (io.env.GITHUB_ACTIONS === "true" ? "github" : "text");
  let results: Result[];
  let statefulSets: number;
  try {
    const config = await loadConfig(io, opts.config);
    const objects: KubeObject[] = [];
    const locations = new Map<KubeObject, { file: string; line: number }>();
    let found = 0;
    const keep = (o: ManifestObject) => {
      found++;
      const obj = kept(o.object);
      if (!obj) return;
      objects.push(obj);
      locations.set(obj, { file: o.file, line: o.line });
    };
    for (const file of opts.files) {
      const name = displayName(file);
      try {
        await readManifests(name, io.open(file), keep);
      } catch (e) {
        if (e instanceof ManifestError) throw new InputError(printable(e.message));
        if ((e as NodeJS.ErrnoException).code !== undefined) throw readError(file, e);
        throw e;
      }
    }
    if (found === 0 && !opts.allowEmpty) {
      throw new InputError(
        `no Kubernetes object found in ${namedFiles(opts.files)}: nothing was checked; if a command piped into this one failed, run the pipeline with \`set -o pipefail\`; pass --allow-empty if empty input is expected`,
      );
    }
    statefulSets = objects.filter(isStatefulSetOrMistyped).length;
    results = analyzeObjects(objects, RULES, config, { source: "manifests", locations });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    io.stderr(`stateful-policy: ${e.message}\n`);
    return 2;
  }
  if (format === "json") {
    io.stdout(`${JSON.stringify(results, null, 2)}\n`);
  } else if (format === "sarif") {
    io.stdout(`${formatSarif(results)}\n`);
  } else if (format === "github") {
    for (const r of results) io.stdout(`${formatGithub(r)}\n`);
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
