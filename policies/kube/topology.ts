// Where a StatefulSet's pods may run and how they spread, read from its pod template: the topology
// spread constraints and pod anti-affinity terms, and the values of a node label the pods may run
// on (from the node selector and the required node affinity). Unknown values throw, as every reader.
import { Field } from "./fields";
import { readSelector, selects } from "./selectors";

/** The well-known node label of a node's zone. */
export const ZONE_KEY = "topology.kubernetes.io/zone";

/** The config of a rule that reads zones: which node label names them. */
export interface ZoneKeyConfig {
  /** The node label that names a node's zone (default topology.kubernetes.io/zone). */
  topologyKey?: string;
}

/** The config schema of ZoneKeyConfig. */
export const ZONE_KEY_CONFIG = {
  topologyKey: {
    type: "string",
    description: "The node label that names a node's zone.",
    minLength: 1,
    default: ZONE_KEY,
  },
} as const;

/** The zone label a rule's config names, else the well-known one. */
export function zoneKeyOf(config: { topologyKey?: unknown }): string {
  return typeof config.topologyKey === "string" && config.topologyKey
    ? config.topologyKey
    : ZONE_KEY;
}

/** One topology spread constraint of the pod template. */
export interface SpreadConstraint {
  field: Field;
  topologyKey: string | undefined;
  whenUnsatisfiable: string | undefined;
  /** 1 when unset or malformed (the API requires at least 1). */
  maxSkew: number;
  minDomains: number | undefined;
  /** `Honor` (the default) counts only the nodes the pod's node affinity and selector allow. */
  nodeAffinityPolicy: string;
  /** Its labelSelector selects the StatefulSet's own pods. */
  selectsOwnPods: boolean;
}

/** The `labelSelector` of a spread constraint or affinity term selects pods with these labels. */
export function selectsPods(term: Field, labels: Record<string, string>): boolean {
  const selector = readSelector(term.at("labelSelector"));
  return selector !== undefined && selects(selector, labels);
}

/** The pod template's topologySpreadConstraints. */
export function spreadConstraints(sts: Field, labels: Record<string, string>): SpreadConstraint[] {
  return sts
    .at("spec")
    .at("template")
    .at("spec")
    .at("topologySpreadConstraints")
    .items()
    .map((c) => {
      const skew = c.at("maxSkew").num();
      return {
        field: c,
        topologyKey: c.at("topologyKey").str(),
        whenUnsatisfiable: c.at("whenUnsatisfiable").str(),
        maxSkew: skew !== undefined && skew >= 1 ? Math.floor(skew) : 1,
        minDomains: c.at("minDomains").num(),
        nodeAffinityPolicy: c.at("nodeAffinityPolicy").str() ?? "Honor",
        selectsOwnPods: selectsPods(c, labels),
      };
    });
}

/** The pod anti-affinity terms of the pod template: the required ones, then the preferred ones'. */
export function antiAffinityTerms(sts: Field): Field[] {
  const anti = sts.at("spec").at("template").at("spec").at("affinity").at("podAntiAffinity");
  return [
    ...anti.at("requiredDuringSchedulingIgnoredDuringExecution").items(),
    ...anti
      .at("preferredDuringSchedulingIgnoredDuringExecution")
      .items()
      .map((p) => p.at("podAffinityTerm")),
  ];
}

/** The topology keys of the pod anti-affinity terms (required or preferred) that select its own pods. */
export function antiAffinityKeys(sts: Field, labels: Record<string, string>): string[] {
  return antiAffinityTerms(sts)
    .filter((t) => selectsPods(t, labels))
    .map((t) => t.at("topologyKey").str())
    .filter((k): k is string => k !== undefined);
}

/**
 * The values of a node label the pods may run on: `any` (nothing bounds it), `none` (only nodes
 * without the label), or the values allowed. Every requirement of a node selector term must hold,
 * and any one term will do; the node selector must hold as well.
 */
export type AllowedValues =
  { kind: "any" } | { kind: "none" } | { kind: "values"; values: string[] };

const ANY: AllowedValues = { kind: "any" };

function intersect(a: AllowedValues, b: AllowedValues): AllowedValues {
  if (a.kind === "any") return b;
  if (b.kind === "any") return a;
  if (a.kind === "none" || b.kind === "none") return { kind: "none" };
  return { kind: "values", values: a.values.filter((v) => b.values.includes(v)) };
}

function union(terms: AllowedValues[]): AllowedValues {
  if (terms.some((t) => t.kind === "any")) return ANY;
  const values = terms.flatMap((t) => (t.kind === "values" ? t.values : []));
  if (terms.every((t) => t.kind === "none")) return { kind: "none" };
  return { kind: "values", values: [...new Set(values)] };
}

/**
 * What one node selector term allows of `key`. The requirements of a term all hold, in any order:
 * the NotIn values are taken out of what the In requirements allow once all are read.
 */
function termAllows(term: Field, key: string): AllowedValues {
  let allowed: AllowedValues = ANY;
  const excluded: string[] = [];
  for (const req of term.at("matchExpressions").items()) {
    if (req.at("key").str() !== key) continue;
    const values = req.at("values").strings();
    switch (req.at("operator").str()) {
      case "In":
        allowed = intersect(allowed, { kind: "values", values });
        break;
      case "NotIn":
        // Alone it bounds nothing: nodes with any other value, or without the label, satisfy it.
        excluded.push(...values);
        break;
      case "DoesNotExist":
        allowed = intersect(allowed, { kind: "none" });
        break;
      default:
        // Exists, Gt and Lt leave the set of values unbounded.
        break;
    }
  }
  if (allowed.kind !== "values") return allowed;
  return { kind: "values", values: allowed.values.filter((v) => !excluded.includes(v)) };
}

/** The values of node label `key` the StatefulSet's pods may run on (see AllowedValues). */
export function allowedNodeValues(sts: Field, key: string): AllowedValues {
  const spec = sts.at("spec").at("template").at("spec");
  const selected = spec.at("nodeSelector").at(key).str();
  const bySelector: AllowedValues =
    selected === undefined ? ANY : { kind: "values", values: [selected] };
  const terms = spec
    .at("affinity")
    .at("nodeAffinity")
    .at("requiredDuringSchedulingIgnoredDuringExecution")
    .at("nodeSelectorTerms")
    .items();
  const byAffinity = terms.length === 0 ? ANY : union(terms.map((t) => termAllows(t, key)));
  return intersect(bySelector, byAffinity);
}
