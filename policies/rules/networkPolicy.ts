// statefulset-network-policy: a database reachable from every pod in the cluster is one compromised
// pod away from its data. Some NetworkPolicy must select the pods for Ingress.
import { restrictsIngress } from "../kube/networkPolicies";
import { KubeObject, podLabels, statefulSetNamespace } from "../kube/objects";
import { UnknownValueError } from "../kube/unknown";
import { Rule, violation } from "../rule";

/** Whether the policy restricts Ingress, or "unknown" while its policyTypes are. */
function ingressVerdict(np: KubeObject): boolean | "unknown" {
  try {
    return restrictsIngress(np);
  } catch (e) {
    if (e instanceof UnknownValueError) return "unknown";
    throw e;
  }
}

export const networkPolicy = {
  name: "statefulset-network-policy" as const,
  description:
    "Some NetworkPolicy in the StatefulSet's namespace must select its pods for Ingress (podSelector matching the pod template labels, or empty), so only the clients and peers it allows can reach them.",
  level: "advisory",
  scope: "stack",
  config: {},
  check(sts, ctx) {
    const namespace = statefulSetNamespace(sts);
    const { matches, uncertain } = ctx.stack.networkPolicies(namespace, podLabels(sts));
    const verdicts = matches.map(ingressVerdict);
    if (verdicts.includes(true)) return [];
    if (uncertain || verdicts.includes("unknown")) {
      throw new UnknownValueError(`NetworkPolicies in namespace "${namespace}"`);
    }
    return [
      violation(
        `no NetworkPolicy in namespace "${namespace}" selects the pods for Ingress: add one whose podSelector matches spec.template.metadata.labels and allows only the clients and peers that need the ports`,
      ),
    ];
  },
} satisfies Rule;
