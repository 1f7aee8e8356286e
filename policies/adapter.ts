// Turns rules into @pulumi/policy policies. Resource rules validate each StatefulSet as the engine
// sends it; stack rules index every resource of the stack once per policy and validate each
// StatefulSet against that index. Kept apart from `new PolicyPack(...)` (index.ts), which starts
// a gRPC server, so tests can import the policies.
import type {
  PolicyConfigSchema,
  PolicyPackArgs,
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { configSchemaOf } from "./config";
import type { KubeObject } from "./kube/objects";
import { StackIndex } from "./kube/stackIndex";
import type { AnyRule, Finding } from "./rule";
import { RULES } from "./rules";
import { evaluateRule, ruleApplies } from "./runner";

export const PACK_NAME = "stateful-workloads";

export const PACK_ARGS: Omit<PolicyPackArgs, "policies"> = {
  enforcementLevel: "mandatory",
  displayName: "Stateful workloads on Kubernetes",
  description:
    "StatefulSets done right: headless Services, readiness probes, explicit storage classes and claim retention, safe disruption budgets and rollouts, pinned images, restricted pods.",
  provider: "kubernetes",
  tags: ["kubernetes", "statefulset"],
};

/** The key @pulumi/policy's props proxy answers with the raw, unproxied object. */
const PROXY_TARGET = "__getSpecialProxyTarget";

/**
 * The plain props behind @pulumi/policy's unknown-checking proxy. Through the proxy, reading an
 * unknown value throws; the raw object keeps the unknown sentinels, which the rules handle.
 */
export function unwrapProps(props: unknown): Record<string, unknown> {
  if (typeof props !== "object" || props === null) return {};
  const target = (props as Record<string, unknown>)[PROXY_TARGET];
  return (typeof target === "object" && target !== null ? target : props) as Record<
    string,
    unknown
  >;
}

/** `kubernetes:apps/v1:StatefulSet` -> apiVersion `apps/v1`, kind `StatefulSet`; core is `v1`. */
export function kubernetesType(type: string): { apiVersion: string; kind: string } | undefined {
  const m = /^kubernetes:([^:/]+)\/([^:/]+):([A-Za-z0-9]+)$/.exec(type);
  if (!m) return undefined;
  const [, group, version, kind] = m;
  return { apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

/** A Pulumi Kubernetes resource as a plain Kubernetes object, or undefined for anything else. */
export function toKubeObject(type: string, props: unknown): KubeObject | undefined {
  const t = kubernetesType(type);
  if (!t) return undefined;
  return { ...unwrapProps(props), apiVersion: t.apiVersion, kind: t.kind };
}

interface ViolationInfo {
  message: string;
  urn?: string;
  enforcementLevel?: "advisory";
}

/**
 * Reports findings. @pulumi/policy's reportViolation also accepts an object (typed only as a
 * string): it lets a note go out as advisory while the policy is mandatory, and keeps the message
 * free of the description prefix the string form adds.
 */
function reportFindings(report: ReportViolation, findings: Finding[], urn?: string): void {
  const reportInfo = report as unknown as (info: ViolationInfo) => void;
  for (const f of findings) {
    reportInfo({
      message: f.message,
      ...(urn ? { urn } : {}),
      ...(f.type === "note" ? { enforcementLevel: "advisory" as const } : {}),
    });
  }
}

function policyMetadata(rule: AnyRule) {
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: rule.level,
    configSchema: configSchemaOf(rule) as PolicyConfigSchema,
  };
}

export function toResourcePolicy(rule: AnyRule): ResourceValidationPolicy {
  return {
    ...policyMetadata(rule),
    validateResource: (args, report) => {
      const obj = toKubeObject(args.type, args.props);
      if (!obj || !ruleApplies(rule, obj)) return;
      const config = args.getConfig<Record<string, unknown>>();
      reportFindings(report, evaluateRule(rule, obj, config, StackIndex.EMPTY, "pulumi"));
    },
  };
}

export function toStackPolicy(rule: AnyRule): StackValidationPolicy {
  return {
    ...policyMetadata(rule),
    validateStack: (args, report) => {
      const objects: KubeObject[] = [];
      const urns = new Map<KubeObject, string>();
      for (const r of args.resources) {
        const obj = toKubeObject(r.type, r.props);
        if (!obj) continue;
        objects.push(obj);
        urns.set(obj, r.urn);
      }
      const stack = new StackIndex(objects);
      const config = args.getConfig<Record<string, unknown>>();
      for (const obj of objects) {
        if (!ruleApplies(rule, obj)) continue;
        reportFindings(report, evaluateRule(rule, obj, config, stack, "pulumi"), urns.get(obj));
      }
    },
  };
}

export function toPolicy(rule: AnyRule): ResourceValidationPolicy | StackValidationPolicy {
  return rule.scope === "stack" ? toStackPolicy(rule) : toResourcePolicy(rule);
}

/** Every rule as a policy. */
export const POLICIES = RULES.map(toPolicy);
