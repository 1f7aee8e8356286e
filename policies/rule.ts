// What a rule is, and the findings it reports. Rules are pure functions over plain Kubernetes
// objects: nothing here (nor under rules/ or kube/) imports Pulumi, so the same rules run in the
// policy pack, in the manifest checker and in unit tests.
//
// Also the small constructors for findings, and `guarded`, which turns an unknown value met inside
// one part of a check into a note without losing what the other parts found.
import type { KubeObject } from "./kube/objects";
import type { StackIndex } from "./kube/stackIndex";
import { UnknownValueError } from "./kube/unknown";

/**
 * What a rule reports. A `violation` is reported at the rule's enforcement level; a `note` is always
 * advisory (a check that could not run, an exemption applied or ignored).
 */
export interface Finding {
  type: "violation" | "note";
  message: string;
}

/** The enforcement levels a rule can declare as its default. */
export type RuleLevel = "mandatory" | "advisory";

/** A JSON Schema fragment, as Pulumi's policy config schema accepts it (kept free of Pulumi types). */
export interface JsonSchema {
  type?: "string" | "number" | "integer" | "boolean" | "object" | "array";
  description?: string;
  enum?: (string | number | boolean)[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  minimum?: number;
  minLength?: number;
  default?: unknown;
}

/** A per-rule exemption given in policy config. */
export interface ConfigExemption {
  /** @default "default" */
  namespace?: string;
  name: string;
  /** Why the object may break the rule; an exemption without a reason is not applied. */
  reason?: string;
}

/** Config every rule accepts. */
export interface CommonRuleConfig {
  exempt?: ConfigExemption[];
}

/** Where the StatefulSet comes from: a Pulumi stack (the pack) or manifest files (the CLI). */
export type ObjectSource = "pulumi" | "manifests";

export interface RuleContext<C> {
  /** The rule's config properties (never the enforcement level). Malformed values are ignored. */
  config: C & CommonRuleConfig;
  /** Every object of the stack or the manifest files, indexed once per analysis. */
  stack: StackIndex;
  /** `pulumi`: the object is a Pulumi resource (its replacement is Pulumi's to make). */
  source: ObjectSource;
}

export interface Rule<C = Record<string, unknown>> {
  /** Kebab-case, unique in the pack. */
  name: string;
  /** One sentence that says what is required and how to fix it. */
  description: string;
  /** The default enforcement level. */
  level: RuleLevel;
  /** `stack` rules need other objects (Services, budgets, NetworkPolicies) from the stack index. */
  scope: "resource" | "stack";
  /** The rule's own config properties (the shared `exempt` list is added by the pack). */
  config: Record<string, JsonSchema>;
  /**
   * Also runs on `kind: StatefulSet` objects of the core group (`apiVersion: v1`, a typo the API
   * server refuses), which no other rule sees.
   */
  wrongGroup?: boolean;
  /** Inspects one StatefulSet. May throw UnknownValueError; must not throw anything else. */
  check(statefulSet: KubeObject, ctx: RuleContext<C>): Finding[];
}

/** Any rule, whatever its config: what the runner, the adapter and the rule list take. */
export type AnyRule = Rule<never>;

export function violation(message: string): Finding {
  return { type: "violation", message };
}

export function note(message: string): Finding {
  return { type: "note", message };
}

/** Runs `check`; an unknown value it meets becomes a note in `out`. Other errors propagate. */
export function guarded(out: Finding[], check: () => void): void {
  try {
    check();
  } catch (e) {
    if (e instanceof UnknownValueError) out.push(note(e.message));
    else throw e;
  }
}
