// statefulset-pod-spread: replicas exist to survive the loss of a node; without anti-affinity or
// a topology spread constraint the scheduler may put them all on one.
import { Field } from "../kube/fields";
import { podLabels, podSpec, replicasOf } from "../kube/objects";
import { antiAffinityTerms, selectsPods } from "../kube/topology";
import { Rule, violation } from "../rule";

export const podSpread = {
  name: "statefulset-pod-spread" as const,
  description:
    "A StatefulSet with more than one replica should spread its pods: a podAntiAffinity term (required or preferred) or a topologySpreadConstraint whose labelSelector matches its own pod labels.",
  level: "advisory",
  scope: "resource",
  config: {},
  check(sts) {
    const replicas = replicasOf(sts);
    if (replicas <= 1) return [];
    const labels = podLabels(sts);
    const terms = [
      ...antiAffinityTerms(Field.root(sts)),
      ...podSpec(sts).at("topologySpreadConstraints").items(),
    ];
    if (terms.some((t) => selectsPods(t, labels))) return [];
    return [
      violation(
        `spec.replicas is ${replicas} but nothing spreads the pods: add spec.template.spec.affinity.podAntiAffinity or topologySpreadConstraints with a labelSelector matching spec.template.metadata.labels, so one node failure cannot take every replica`,
      ),
    ];
  },
} satisfies Rule;
