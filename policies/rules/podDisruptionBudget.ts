// statefulset-pod-disruption-budget: node drains evict pods; a budget bounds how many of a
// replicated set go at once. It must allow at least one (or drains block forever) and, for a
// quorum-based store, never more than a minority.
import { Field, quoteList } from "../kube/fields";
import { nameOf, podLabels, replicasOf, statefulSetNamespace } from "../kube/objects";
import { UnknownValueError } from "../kube/unknown";
import { Rule, violation } from "../rule";

export interface PodDisruptionBudgetConfig {
  /** Also require that the budget keeps a majority of the pods (default true). */
  quorum?: boolean;
}

/** The pods a budget lets go at once, or a reason it is malformed. */
export function allowedDisruptions(
  pdb: Field,
  replicas: number,
): { allowed: number; setting: string } | { problem: string } {
  const spec = pdb.at("spec");
  const max = spec.at("maxUnavailable");
  const min = spec.at("minAvailable");
  const scaled = (f: Field): number | undefined => {
    const n = f.num();
    if (n !== undefined) return Math.max(0, Math.floor(n));
    const s = f.str();
    const pct = s === undefined ? null : /^(\d+)%$/.exec(s);
    // Kubernetes rounds a percentage of pods up, for both fields.
    return pct ? Math.ceil((Number(pct[1]) * replicas) / 100) : undefined;
  };
  if (max.isSet() && min.isSet()) {
    return { problem: "sets both minAvailable and maxUnavailable (the API allows one)" };
  }
  if (max.isSet()) {
    const n = scaled(max);
    if (n === undefined) return { problem: `has an invalid maxUnavailable` };
    return {
      allowed: Math.min(n, replicas),
      setting: `maxUnavailable ${JSON.stringify(max.value())}`,
    };
  }
  if (min.isSet()) {
    const n = scaled(min);
    if (n === undefined) return { problem: `has an invalid minAvailable` };
    return {
      allowed: Math.max(0, replicas - n),
      setting: `minAvailable ${JSON.stringify(min.value())}`,
    };
  }
  return { problem: "sets neither minAvailable nor maxUnavailable" };
}

export const podDisruptionBudget = {
  name: "statefulset-pod-disruption-budget" as const,
  description:
    "Every StatefulSet with more than one replica needs exactly one PodDisruptionBudget selecting its pods that allows at least one disruption and, with quorum (the default) and 3 or more replicas, never more than a minority: maxUnavailable <= floor((replicas-1)/2) or minAvailable >= floor(replicas/2)+1.",
  level: "mandatory",
  scope: "stack",
  config: {
    quorum: {
      type: "boolean",
      description:
        "Require the budget to keep a majority of the pods available (for quorum-based stores); with 2 replicas only 'at least one disruption' applies.",
      default: true,
    },
  },
  check(sts, ctx) {
    const namespace = statefulSetNamespace(sts);
    const replicas = replicasOf(sts);
    if (replicas < 1) return [];
    const labels = podLabels(sts);
    const { matches, uncertain } = ctx.stack.disruptionBudgets(namespace, labels);
    if (matches.length === 0) {
      if (replicas <= 1) return [];
      if (uncertain)
        throw new UnknownValueError(`PodDisruptionBudgets in namespace "${namespace}"`);
      return [
        violation(
          `spec.replicas is ${replicas} but no PodDisruptionBudget in namespace "${namespace}" selects the pods (spec.template.metadata.labels): add one with maxUnavailable: 1 and the StatefulSet's selector`,
        ),
      ];
    }
    if (matches.length > 1) {
      const names = matches.map((m) => nameOf(m) ?? "(unnamed)");
      return [
        violation(
          `${matches.length} PodDisruptionBudgets (${quoteList(names)}) select the pods: the eviction API refuses to evict a pod covered by more than one; keep one`,
        ),
      ];
    }
    const name = nameOf(matches[0]) ?? "(unnamed)";
    const budget = allowedDisruptions(
      Field.root(matches[0], `PodDisruptionBudget "${name}" `),
      replicas,
    );
    if ("problem" in budget) {
      return [
        violation(
          `PodDisruptionBudget "${name}" selecting the pods ${budget.problem}: set maxUnavailable: 1`,
        ),
      ];
    }
    if (budget.allowed < 1) {
      return [
        violation(
          `PodDisruptionBudget "${name}" (${budget.setting}) allows no disruption of ${replicas} replica(s): node drains and upgrades block; set maxUnavailable: 1`,
        ),
      ];
    }
    const quorumCheck = ctx.config.quorum !== false;
    const maxForQuorum = Math.floor((replicas - 1) / 2);
    if (quorumCheck && replicas >= 3 && budget.allowed > maxForQuorum) {
      const quorum = Math.floor(replicas / 2) + 1;
      return [
        violation(
          `PodDisruptionBudget "${name}" (${budget.setting}) lets ${budget.allowed} of ${replicas} pods go at once, which breaks quorum: set maxUnavailable to at most ${maxForQuorum} or minAvailable to at least ${quorum}`,
        ),
      ];
    }
    return [];
  },
} satisfies Rule<PodDisruptionBudgetConfig>;
