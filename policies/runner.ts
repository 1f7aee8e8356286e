// Runs rules over objects: the unknown-value guard, exemptions and enforcement levels. Shared by
// the Pulumi adapter (one rule per policy) and the manifest checker (every rule over every file).
// Pure: no Pulumi import.
import type { ResolvedPolicyConfig } from "./config";
import { Field, isRecord } from "./kube/fields";
import {
  isMistypedStatefulSet,
  isStatefulSet,
  isStatefulSetOrMistyped,
  KubeObject,
  refOf,
} from "./kube/objects";
import { StackIndex } from "./kube/stackIndex";
import { AnyRule, Finding, guarded, note, ObjectSource } from "./rule";

/** `policies.stateful.dev/exempt: "<rule>[,<rule>...]"` on a StatefulSet exempts it from those rules. */
export const EXEMPT_ANNOTATION = "policies.stateful.dev/exempt";
/** Why the object is exempt; an exemption without it is not applied. */
export const EXEMPT_REASON_ANNOTATION = "policies.stateful.dev/exempt-reason";

/** One reported finding, as the CLI prints it. */
export interface Result {
  rule: string;
  level: "mandatory" | "advisory";
  kind: string;
  namespace: string;
  name: string;
  message: string;
  /** The manifest file and line of the object (CLI only). */
  file?: string;
  line?: number;
}

interface Exemption {
  source: string;
  reason?: string;
  /** How to give the missing reason. */
  fix: string;
}

function annotationExemption(
  rule: string,
  sts: KubeObject,
  out: Finding[],
): Exemption | "unknown" | undefined {
  let exemption: Exemption | "unknown" | undefined;
  guarded(out, () => {
    const annotations = Field.root(sts).at("metadata").at("annotations");
    const list = annotations.at(EXEMPT_ANNOTATION).str();
    if (list === undefined) return;
    const rules = list.split(",").map((r) => r.trim());
    if (!rules.includes(rule)) return;
    const reason = annotations.at(EXEMPT_REASON_ANNOTATION).str()?.trim();
    exemption = {
      source: `annotation ${EXEMPT_ANNOTATION}`,
      reason: reason || undefined,
      fix: `set the annotation ${EXEMPT_REASON_ANNOTATION}`,
    };
  });
  // An exempt list, or the reason of an exemption, that is unknown: the exemption may apply.
  if (exemption === undefined && out.length > 0) return "unknown";
  return exemption;
}

function configExemption(
  config: Record<string, unknown>,
  ref: { namespace: string; name: string },
): Exemption | undefined {
  const list = Array.isArray(config.exempt) ? config.exempt : [];
  for (const entry of list) {
    if (!isRecord(entry) || entry.name !== ref.name) continue;
    const ns =
      typeof entry.namespace === "string" && entry.namespace !== "" ? entry.namespace : "default";
    if (ns !== ref.namespace) continue;
    const reason = typeof entry.reason === "string" ? entry.reason.trim() : "";
    return {
      source: "the policy config's exempt list",
      reason: reason || undefined,
      fix: "give the exempt entry a reason",
    };
  }
  return undefined;
}

/** How every note about a rule that crashed begins; no other finding does. */
export const RULE_ERROR_PREFIX = "rule error:";

/** True for the note a crashed rule leaves (see ruleErrorMessage). */
export function isRuleError(message: string): boolean {
  return message.startsWith(RULE_ERROR_PREFIX);
}

/** Long enough for any error message of ours, short enough that no object is pasted whole. */
const MAX_ERROR_MESSAGE = 300;

/**
 * The note for a rule that threw something other than UnknownValueError: a bug in the rule, not a
 * property of the object, so it says so and is never worded like a note about an unknown value.
 * Never throws itself, whatever was thrown.
 */
export function ruleErrorMessage(rule: string, error: unknown): string {
  let what: string;
  try {
    if (error instanceof Error) {
      const text = String(error.message);
      what = `${String(error.name)}: ${text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}...` : text}`;
    } else {
      what = `a non-Error value of type ${error === null ? "null" : typeof error}`;
    }
  } catch {
    what = "an error that cannot be printed";
  }
  return `${RULE_ERROR_PREFIX} ${rule} threw ${what}; this is a bug in the policy, please report it`;
}

/**
 * Runs one rule on one StatefulSet. Never throws: an unknown value becomes a "could not check"
 * note, and an unexpected error a "rule error:" note (so one malformed object or one buggy rule
 * cannot stop a preview, yet the bug is reported as one). An exemption with a reason turns
 * violations into notes naming the reason; one without a reason is reported and not applied.
 */
export function evaluateRule(
  rule: AnyRule,
  sts: KubeObject,
  config: Record<string, unknown>,
  stack: StackIndex = StackIndex.EMPTY,
  source: ObjectSource = "pulumi",
): Finding[] {
  const findings: Finding[] = [];
  try {
    guarded(findings, () => {
      findings.push(...rule.check(sts, { config: config as never, stack, source }));
    });
  } catch (e) {
    findings.push(note(ruleErrorMessage(rule.name, e)));
  }
  const extra: Finding[] = [];
  const exemption =
    annotationExemption(rule.name, sts, extra) ?? configExemption(config, refOf(sts));
  if (exemption === "unknown") {
    // The exemption may apply once the annotation is known: nothing it may cover is mandatory.
    return [
      ...findings.map((f) =>
        f.type === "violation"
          ? note(
              `may be exempt by annotation ${EXEMPT_ANNOTATION}, which is unknown during preview: ${f.message}`,
            )
          : f,
      ),
      ...extra,
    ];
  }
  if (!exemption) return [...findings, ...extra];
  if (!exemption.reason) {
    return [
      ...findings,
      ...extra,
      note(
        `exemption ignored: ${exemption.source} names ${rule.name} but gives no reason; ${exemption.fix} to apply it`,
      ),
    ];
  }
  const reason = JSON.stringify(exemption.reason);
  return [
    ...findings.map((f) =>
      f.type === "violation"
        ? note(`exempt by ${exemption.source} (reason: ${reason}): ${f.message}`)
        : f,
    ),
    ...extra,
  ];
}

/** The level a finding is reported at, given its rule's configured level. */
export function levelOf(
  finding: Finding,
  level: "advisory" | "mandatory" | "remediate",
): "advisory" | "mandatory" {
  if (finding.type === "note") return "advisory";
  return level === "advisory" ? "advisory" : "mandatory";
}

/** True if `rule` runs on `obj`: apps StatefulSets, and core-group ones for `wrongGroup` rules. */
export function ruleApplies(rule: AnyRule, obj: KubeObject): boolean {
  return isStatefulSet(obj) || (rule.wrongGroup === true && isMistypedStatefulSet(obj));
}

/** Where an object was read from, for results that point at it. */
export type Locations = ReadonlyMap<KubeObject, { file: string; line: number }>;

/** Every rule over every StatefulSet of `objects`, with `objects` as the stack. */
export function analyzeObjects(
  objects: readonly KubeObject[],
  rules: readonly AnyRule[],
  config: Record<string, ResolvedPolicyConfig>,
  opts: { source?: ObjectSource; locations?: Locations } = {},
): Result[] {
  const stack = new StackIndex(objects);
  const results: Result[] = [];
  for (const obj of objects) {
    if (!isStatefulSetOrMistyped(obj)) continue;
    const ref = refOf(obj);
    const at = opts.locations?.get(obj);
    for (const rule of rules) {
      if (!ruleApplies(rule, obj)) continue;
      const c = config[rule.name] ?? { enforcementLevel: rule.level, properties: {} };
      if (c.enforcementLevel === "disabled") continue;
      const configured = c.enforcementLevel;
      for (const finding of evaluateRule(rule, obj, c.properties, stack, opts.source)) {
        results.push({
          rule: rule.name,
          level: levelOf(finding, configured),
          ...ref,
          message: finding.message,
          ...(at ? { file: at.file, line: at.line } : {}),
        });
      }
    }
  }
  return results;
}
