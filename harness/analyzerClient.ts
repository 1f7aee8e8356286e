// Plays the Pulumi engine towards a policy pack: starts the pack as the CLI does and speaks the
// analyzer gRPC protocol to it with real protobuf messages, so the gate, the bench and the tests
// exercise the real policy runtime (deserialization, unknowns, secrets, config, enforcement levels).
//
// How the CLI starts a Node.js pack: the `pulumi-analyzer-policy` plugin resolves
// `@pulumi/pulumi/cmd/run-policy-pack` from the pack's directory and runs it with node, in the pack's
// directory, with the arguments `<engine-address> .`. The pack prints its gRPC port on stdout.
// run-policy-pack drops the engine address: a pack only talks to the engine if PULUMI_NODEJS_ENGINE
// is set, which the CLI does not do for policy packs, so no fake engine is needed and a placeholder
// address is passed. The CLI also sets PULUMI_CONFIG, PULUMI_NODEJS_PROJECT, _STACK and _DRY_RUN.
//
// Usage:
//   const pack = await startPack("policies");
//   await pack.configure({ "statefulset-storage-class": { allowed: ["fast"] } });
//   const diagnostics = await pack.analyze({ type, name, properties });
//   await pack.close();
import * as grpc from "@grpc/grpc-js";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { PluginInfo } from "@pulumi/pulumi/proto/plugin_pb";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";

export type EnforcementLevel = "advisory" | "mandatory" | "disabled" | "remediate";

/** A resource as the engine sends it: plain JSON properties (use `unknown()` and `secret()`). */
export interface PackResource {
  type: string;
  name: string;
  /** @default a URN built from type and name in stack `test`, project `test` */
  urn?: string;
  properties: Record<string, unknown>;
  parent?: string;
  dependencies?: string[];
  options?: {
    protect?: boolean;
    ignoreChanges?: string[];
    deleteBeforeReplace?: boolean;
    additionalSecretOutputs?: string[];
    aliases?: string[];
    customTimeouts?: { create?: number; update?: number; delete?: number };
  };
}

export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  type: "resource" | "stack" | "unknown";
  configSchema?: { properties: Record<string, unknown>; required: string[] };
}

export interface AnalyzerInfo {
  name: string;
  version: string;
  displayName: string;
  supportsConfig: boolean;
  policies: PolicyInfo[];
}

export interface Diagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  message: string;
  enforcementLevel: EnforcementLevel;
  urn: string;
}

export interface Remediation {
  policyName: string;
  properties?: Record<string, unknown>;
  diagnostic: string;
}

/** The config file format of `pulumi preview --policy-pack-config`. */
export type PolicyPackConfig = Record<
  string,
  EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

export interface PackClient {
  readonly port: number;
  /**
   * The first call a current CLI makes. Resolves false when the pack does not implement it (Node.js
   * packs do not; the CLI then carries on, as this client does).
   */
  handshake(): Promise<boolean>;
  info(): Promise<AnalyzerInfo>;
  pluginVersion(): Promise<string>;
  /** Reconciles config with the pack's defaults as the engine does, then sends Configure. */
  configure(config?: PolicyPackConfig): Promise<void>;
  configureStack(args: {
    stack: string;
    project: string;
    tags?: Record<string, string>;
  }): Promise<void>;
  analyze(resource: PackResource): Promise<Diagnostic[]>;
  analyzeStack(resources: PackResource[]): Promise<Diagnostic[]>;
  remediate(resource: PackResource): Promise<Remediation[]>;
  /** What the pack wrote to stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

/** A value unknown during preview, as the engine marshals a computed value. */
export function unknown(): string {
  return unknownValue;
}

/** A secret value, as the engine marshals it (KeepSecrets). */
export function secret(value: unknown): Record<string, unknown> {
  return { [specialSigKey]: specialSecretSig, value };
}

export function urnOf(type: string, name: string, stack = "test", project = "test"): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

/** Passed where the CLI passes its engine's address; the pack never dials it (see above). */
const ENGINE_ADDRESS = "127.0.0.1:0";

const LEVELS: Record<number, EnforcementLevel> = {
  [pb.EnforcementLevel.ADVISORY]: "advisory",
  [pb.EnforcementLevel.MANDATORY]: "mandatory",
  [pb.EnforcementLevel.DISABLED]: "disabled",
  [pb.EnforcementLevel.REMEDIATE]: "remediate",
};
const LEVEL_CODES: Record<EnforcementLevel, pb.EnforcementLevel> = {
  advisory: pb.EnforcementLevel.ADVISORY,
  mandatory: pb.EnforcementLevel.MANDATORY,
  disabled: pb.EnforcementLevel.DISABLED,
  remediate: pb.EnforcementLevel.REMEDIATE,
};

/** JSON without `undefined` (Struct.fromJavaScript refuses it), as the engine would marshal. */
function toStruct(value: Record<string, unknown>): Struct {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(value)));
}

function resourceOptions(r: PackResource): pb.AnalyzerResourceOptions {
  const o = r.options ?? {};
  const opts = new pb.AnalyzerResourceOptions();
  opts.setProtect(o.protect ?? false);
  opts.setIgnorechangesList(o.ignoreChanges ?? []);
  opts.setDeletebeforereplace(o.deleteBeforeReplace ?? false);
  opts.setDeletebeforereplacedefined(o.deleteBeforeReplace !== undefined);
  opts.setAdditionalsecretoutputsList(o.additionalSecretOutputs ?? []);
  opts.setAliasesList(o.aliases ?? []);
  if (o.customTimeouts) {
    const t = new pb.AnalyzerResourceOptions.CustomTimeouts();
    t.setCreate(o.customTimeouts.create ?? 0);
    t.setUpdate(o.customTimeouts.update ?? 0);
    t.setDelete(o.customTimeouts.delete ?? 0);
    opts.setCustomtimeouts(t);
  }
  if (r.parent) opts.setParent(r.parent);
  return opts;
}

function analyzeRequest(r: PackResource): pb.AnalyzeRequest {
  const req = new pb.AnalyzeRequest();
  req.setType(r.type);
  req.setName(r.name);
  req.setUrn(r.urn ?? urnOf(r.type, r.name));
  req.setProperties(toStruct(r.properties));
  req.setOptions(resourceOptions(r));
  return req;
}

function analyzerResource(r: PackResource): pb.AnalyzerResource {
  const res = new pb.AnalyzerResource();
  res.setType(r.type);
  res.setName(r.name);
  res.setUrn(r.urn ?? urnOf(r.type, r.name));
  res.setProperties(toStruct(r.properties));
  res.setOptions(resourceOptions(r));
  if (r.parent) res.setParent(r.parent);
  res.setDependenciesList(r.dependencies ?? []);
  return res;
}

function diagnostics(resp: pb.AnalyzeResponse): Diagnostic[] {
  return resp.getDiagnosticsList().map((d) => ({
    policyName: d.getPolicyname(),
    policyPackName: d.getPolicypackname(),
    policyPackVersion: d.getPolicypackversion(),
    description: d.getDescription(),
    message: d.getMessage(),
    enforcementLevel: LEVELS[d.getEnforcementlevel()],
    urn: d.getUrn(),
  }));
}

function unary<Req, Res>(
  call: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    call(req, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** The port the pack prints on its first stdout line. */
function waitForPort(
  child: ChildProcess,
  stderr: () => string,
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`policy pack did not start: ${why}\nstderr:\n${stderr()}\nstdout:\n${out}`));
    };
    const timer = setTimeout(() => fail(`no port after ${timeoutMs} ms`), timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && /^\d+$/.test(line.trim())) {
        clearTimeout(timer);
        resolve(Number(line.trim()));
      } else if (out.includes("\n")) {
        fail(`unexpected output "${line}"`);
      }
    });
    child.on("exit", (code) => fail(`exited with ${code}`));
    child.on("error", (e) => fail(e.message));
  });
}

/** Starts the pack in `dir` (compiled: its package.json main must exist) as the Pulumi CLI does. */
export async function startPack(
  dir: string,
  opts: { project?: string; stack?: string; dryRun?: boolean; startTimeoutMs?: number } = {},
): Promise<PackClient> {
  const packDir = path.resolve(dir);
  const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  const child = spawn(process.execPath, [runPolicyPack, ENGINE_ADDRESS, "."], {
    cwd: packDir,
    env: {
      ...process.env,
      PULUMI_CONFIG: "{}",
      PULUMI_NODEJS_PROJECT: opts.project ?? "test",
      PULUMI_NODEJS_STACK: opts.stack ?? "test",
      PULUMI_NODEJS_DRY_RUN: String(opts.dryRun ?? true),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let port: number;
  try {
    port = await waitForPort(child, () => stderr, opts.startTimeoutMs ?? 60_000);
  } catch (e) {
    child.kill();
    throw e;
  }
  const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  let cachedInfo: AnalyzerInfo | undefined;

  const info = async (): Promise<AnalyzerInfo> => {
    const res = await unary<Empty, pb.AnalyzerInfo>(
      client.getAnalyzerInfo.bind(client),
      new Empty(),
    );
    cachedInfo = {
      name: res.getName(),
      version: res.getVersion(),
      displayName: res.getDisplayname(),
      supportsConfig: res.getSupportsconfig(),
      policies: res.getPoliciesList().map((p) => {
        const schema = p.getConfigschema();
        const type = p.getPolicyType();
        return {
          name: p.getName(),
          description: p.getDescription(),
          enforcementLevel: LEVELS[p.getEnforcementlevel()],
          type:
            type === pb.PolicyType.POLICY_TYPE_RESOURCE
              ? "resource"
              : type === pb.PolicyType.POLICY_TYPE_STACK
                ? "stack"
                : "unknown",
          ...(schema
            ? {
                configSchema: {
                  properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<
                    string,
                    unknown
                  >,
                  required: schema.getRequiredList(),
                },
              }
            : {}),
        };
      }),
    };
    return cachedInfo;
  };

  return {
    port,
    async handshake() {
      const req = new pb.AnalyzerHandshakeRequest();
      req.setEngineAddress(ENGINE_ADDRESS);
      req.setRootDirectory(packDir);
      req.setProgramDirectory(packDir);
      try {
        await unary<pb.AnalyzerHandshakeRequest, pb.AnalyzerHandshakeResponse>(
          client.handshake.bind(client),
          req,
        );
        return true;
      } catch (e) {
        if ((e as grpc.ServiceError).code === grpc.status.UNIMPLEMENTED) return false;
        throw e;
      }
    },
    info,
    async pluginVersion() {
      const res = await unary<Empty, PluginInfo>(client.getPluginInfo.bind(client), new Empty());
      return res.getVersion();
    },
    async configure(config: PolicyPackConfig = {}) {
      const policies = (cachedInfo ?? (await info())).policies;
      const all = config.all;
      const req = new pb.ConfigureAnalyzerRequest();
      const map = req.getPolicyconfigMap();
      // As the engine's ReconcilePolicyPackConfig: schema defaults and the policy's own level,
      // then `all`, then the policy's entry.
      for (const p of policies) {
        const properties: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(p.configSchema?.properties ?? {})) {
          const d = (s as { default?: unknown }).default;
          if (d !== undefined) properties[k] = d;
        }
        let level = typeof all === "string" ? all : p.enforcementLevel;
        const given = config[p.name];
        if (typeof given === "string") level = given;
        else if (given) {
          const { enforcementLevel, ...props } = given;
          if (enforcementLevel) level = enforcementLevel;
          Object.assign(properties, props);
        }
        const pc = new pb.PolicyConfig();
        pc.setEnforcementlevel(LEVEL_CODES[level]);
        pc.setProperties(toStruct(properties));
        map.set(p.name, pc);
      }
      await unary(client.configure.bind(client), req);
    },
    async configureStack(args) {
      const req = new pb.AnalyzerStackConfigureRequest();
      req.setStack(args.stack);
      req.setProject(args.project);
      for (const [k, v] of Object.entries(args.tags ?? {})) req.getTagsMap().set(k, v);
      await unary(client.configureStack.bind(client), req);
    },
    async analyze(resource) {
      return diagnostics(await unary(client.analyze.bind(client), analyzeRequest(resource)));
    },
    async analyzeStack(resources) {
      const req = new pb.AnalyzeStackRequest();
      req.setResourcesList(resources.map(analyzerResource));
      return diagnostics(await unary(client.analyzeStack.bind(client), req));
    },
    async remediate(resource) {
      const res = await unary<pb.AnalyzeRequest, pb.RemediateResponse>(
        client.remediate.bind(client),
        analyzeRequest(resource),
      );
      return res.getRemediationsList().map((r) => ({
        policyName: r.getPolicyname(),
        properties: r.getProperties()?.toJavaScript() as Record<string, unknown> | undefined,
        diagnostic: r.getDiagnostic(),
      }));
    },
    stderr: () => stderr,
    async close() {
      client.close();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill();
        await exited;
      }
    },
  };
}
