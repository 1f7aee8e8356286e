// The offline preview gate: what `pulumi preview --policy-pack policies` does for a stack, played
// without the CLI. The real program runs under mocks with the stack's config; every Kubernetes
// object it registers is validated against the Kubernetes schema; every resource goes to the real
// policy pack over the analyzer protocol (Analyze each, then AnalyzeStack), configured with the
// stack's policy config; violations are printed as the CLI prints them.
import * as fs from "fs";
import {
  Diagnostic,
  PackClient,
  PackResource,
  PolicyPackConfig,
  startPack,
} from "./analyzerClient";
import { RecordedResource } from "./mocks";
import { kubernetesObjects, runProgram } from "./program";
import { validateObject } from "./schema";
import { configOfStackFile, POLICY_PACK_DIR, policyConfigFile, stackFile } from "./stacks";

export interface GateResult {
  stack: string;
  resources: RecordedResource[];
  /** One line per Kubernetes object the schema refuses. */
  schemaErrors: string[];
  diagnostics: Diagnostic[];
  mandatory: Diagnostic[];
}

/** The policy config a stack uses in CI: policies/config/<stack>.json, or none. */
export function policyConfigOf(stack: string): PolicyPackConfig | undefined {
  const file = policyConfigFile(stack);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
}

/** A recorded registration as the engine sends it to an analyzer. */
export function toPackResource(r: RecordedResource): PackResource {
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    properties: r.wire,
    parent: r.parent || undefined,
    dependencies: r.options.dependsOn,
    options: {
      protect: r.options.protect,
      deleteBeforeReplace: r.options.deleteBeforeReplace,
    },
  };
}

/** Sends every resource through a configured pack: Analyze one by one, then AnalyzeStack. */
export async function analyzeAll(
  pack: PackClient,
  resources: PackResource[],
): Promise<Diagnostic[]> {
  const found: Diagnostic[] = [];
  for (const r of resources) {
    // Analyze answers for the one resource it was given; the engine attributes it to that URN.
    for (const d of await pack.analyze(r)) found.push({ ...d, urn: d.urn || r.urn || "" });
  }
  found.push(...(await pack.analyzeStack(resources)));
  return found;
}

/** Runs the gate over resources a program registered (or a deliberately altered copy of them). */
export async function gateResources(
  stack: string,
  resources: RecordedResource[],
  policyConfig: PolicyPackConfig | undefined,
  pack?: PackClient,
): Promise<GateResult> {
  const schemaErrors: string[] = [];
  for (const r of kubernetesObjects(resources)) {
    try {
      validateObject(r.inputs);
    } catch (err) {
      schemaErrors.push((err as Error).message);
    }
  }
  const own = pack ?? (await startPack(POLICY_PACK_DIR, { stack, project: "stateful" }));
  try {
    await own.configure(policyConfig);
    const diagnostics = await analyzeAll(own, resources.map(toPackResource));
    return {
      stack,
      resources,
      schemaErrors,
      diagnostics,
      mandatory: diagnostics.filter((d) => d.enforcementLevel === "mandatory"),
    };
  } finally {
    if (!pack) await own.close();
  }
}

/** The gate for one stack file of stacks/, with its CI policy config. */
export async function gateStack(stack: string): Promise<GateResult> {
  const config = configOfStackFile(stackFile(stack));
  const resources = await runProgram(config, { stack });
  return gateResources(stack, resources, policyConfigOf(stack));
}

function urnParts(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const name = parts[parts.length - 1] ?? urn;
  const types = (parts[parts.length - 2] ?? "").split("$");
  return { type: types[types.length - 1] ?? "", name };
}

/** The violations in the layout of the Pulumi CLI's "Policies:" section. */
export function formatLikeCli(result: GateResult): string {
  const lines: string[] = [];
  if (result.schemaErrors.length > 0) {
    lines.push("Kubernetes schema:");
    for (const e of result.schemaErrors) lines.push(`    ❌ ${e}`);
  }
  const byPack = new Map<string, Diagnostic[]>();
  for (const d of result.diagnostics) {
    const key = `${d.policyPackName}@v${d.policyPackVersion}`;
    byPack.set(key, [...(byPack.get(key) ?? []), d]);
  }
  if (byPack.size > 0) lines.push("Policies:");
  for (const [pack, diags] of byPack) {
    const icon = diags.some((d) => d.enforcementLevel === "mandatory") ? "❌" : "⚠️";
    lines.push(`    ${icon} ${pack} (local: policies)`);
    for (const d of diags) {
      const where = d.urn ? urnParts(d.urn) : undefined;
      lines.push(
        `        - [${d.enforcementLevel}]  ${d.policyName}  ${where ? `(${where.type}: ${where.name})` : ""}`.trimEnd(),
      );
      lines.push(`          ${d.description}`);
      for (const line of d.message.split("\n")) lines.push(`          ${line}`);
    }
  }
  return lines.join("\n");
}
