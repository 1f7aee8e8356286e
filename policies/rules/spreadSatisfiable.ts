// statefulset-spread-satisfiable: a DoNotSchedule topology spread constraint filters nodes; one
// the pods' own node affinity makes impossible leaves replicas Pending for ever, and a StatefulSet
// under OrderedReady then never gets past the first of them.
import { Field, quoteList } from "../kube/fields";
import { podLabels, replicasOf } from "../kube/objects";
import { allowedNodeValues, spreadConstraints } from "../kube/topology";
import { Finding, guarded, Rule, violation } from "../rule";

export const spreadSatisfiable = {
  name: "statefulset-spread-satisfiable" as const,
  description:
    "Every DoNotSchedule topologySpreadConstraint of a StatefulSet must be one its pods can meet: the required node affinity must not allow only nodes without the topologyKey label, and minDomains must not exceed the values of that label the pods may use while the replicas need more than maxSkew per value.",
  level: "mandatory",
  scope: "resource",
  config: {},
  check(sts) {
    const out: Finding[] = [];
    const root = Field.root(sts);
    const labels = podLabels(sts);
    for (const c of spreadConstraints(root, labels)) {
      guarded(out, () => {
        if (c.whenUnsatisfiable !== "DoNotSchedule" || !c.topologyKey) return;
        // With nodeAffinityPolicy Ignore, domains count nodes the pods cannot use: not ours to say.
        if (c.nodeAffinityPolicy !== "Honor") return;
        const key = c.topologyKey;
        const allowed = allowedNodeValues(root, key);
        const what = `${c.field.path} (topologyKey ${key}, DoNotSchedule)`;
        if (allowed.kind === "none") {
          out.push(
            violation(
              `${what} cannot be met: the required node affinity allows only nodes without the label ${key}, and DoNotSchedule never places a pod on a node without it; every pod stays Pending. Remove the DoesNotExist requirement on ${key} or make the constraint ScheduleAnyway`,
            ),
          );
          return;
        }
        if (allowed.kind !== "values" || allowed.values.length === 0) return;
        const domains = allowed.values.length;
        const replicas = replicasOf(sts);
        const room = domains * c.maxSkew;
        // The skew counts the pods the selector selects: only when they are its own does it bound
        // where the StatefulSet's replicas go.
        if (
          c.selectsOwnPods &&
          c.minDomains !== undefined &&
          c.minDomains > domains &&
          replicas > room
        ) {
          out.push(
            violation(
              `${what} has minDomains ${c.minDomains}, but the pods may run on only ${domains} value(s) of ${key} (${quoteList(allowed.values)}, from the node selector and required node affinity): with fewer domains than minDomains each takes at most maxSkew (${c.maxSkew}) pod(s), so ${room} of the ${replicas} replicas run and the rest stay Pending; set minDomains to at most ${domains} or allow more values of ${key}`,
            ),
          );
        }
      });
    }
    return out;
  },
} satisfies Rule;
