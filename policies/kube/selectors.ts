// Kubernetes label selectors: reading them from objects and evaluating them against pod labels.
import { Field } from "./fields";

export interface SelectorRequirement {
  key: string;
  operator: string;
  values: string[];
}

export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: SelectorRequirement[];
}

/**
 * Reads a LabelSelector (`matchLabels` + `matchExpressions`). Returns undefined when the field is
 * absent, because an absent and an empty selector mean different things per kind. Throws if any
 * part of it is unknown.
 */
export function readSelector(field: Field): LabelSelector | undefined {
  if (!field.isSet()) return undefined;
  const matchExpressions: SelectorRequirement[] = [];
  for (const e of field.at("matchExpressions").items()) {
    matchExpressions.push({
      key: e.at("key").str() ?? "",
      operator: e.at("operator").str() ?? "",
      values: e.at("values").strings(),
    });
  }
  return { matchLabels: field.at("matchLabels").stringMap(), matchExpressions };
}

/** A plain `key: value` selector (a Service's `spec.selector`) as a LabelSelector. */
export function mapSelector(labels: Record<string, string>): LabelSelector {
  return { matchLabels: labels, matchExpressions: [] };
}

export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels).length === 0 && selector.matchExpressions.length === 0;
}

function requirementHolds(r: SelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.operator) {
    case "In":
      return has && r.values.includes(labels[r.key]);
    case "NotIn":
      return !has || !r.values.includes(labels[r.key]);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    default:
      // The API server rejects any other operator; such a selector selects nothing.
      return false;
  }
}

/** The parts of the selector the labels do not satisfy, described for a message. */
export function unmetRequirements(
  selector: LabelSelector,
  labels: Record<string, string>,
): string[] {
  const unmet: string[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels)) {
    if (labels[k] !== v || !Object.prototype.hasOwnProperty.call(labels, k)) {
      unmet.push(`${k}=${v}`);
    }
  }
  for (const r of selector.matchExpressions) {
    if (!requirementHolds(r, labels)) {
      unmet.push(`${r.key} ${r.operator}${r.values.length ? ` (${r.values.join(", ")})` : ""}`);
    }
  }
  return unmet;
}

/** True if the selector selects pods with these labels (an empty selector selects every pod). */
export function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const k of Object.keys(selector.matchLabels)) {
    if (!Object.prototype.hasOwnProperty.call(labels, k) || labels[k] !== selector.matchLabels[k]) {
      return false;
    }
  }
  return selector.matchExpressions.every((r) => requirementHolds(r, labels));
}
