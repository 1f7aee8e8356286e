// The valid workload of fixtures.ts spread over zones: a DoNotSchedule zone spread of its own pods,
// and zones fixed by the required node affinity. The objects of the zone rules.
import type { KubeObject } from "../../policies/kube/objects";
import { podLabels, stsWith, withField } from "./fixtures";

export const POD = ["spec", "template", "spec"];
export const ZONE = "topology.kubernetes.io/zone";

/** `replicas` pods spread over `zones` (values of the node label `key`) by a constraint with these settings. */
export function zoned(
  replicas: number,
  zones: string[],
  when = "DoNotSchedule",
  maxSkew = 1,
  key = ZONE,
): KubeObject {
  const sts = withField(
    stsWith(
      [...POD, "topologySpreadConstraints"],
      [
        {
          maxSkew,
          topologyKey: key,
          whenUnsatisfiable: when,
          labelSelector: { matchLabels: podLabels() },
        },
      ],
    ),
    ["spec", "replicas"],
    replicas,
  );
  return withField(
    sts,
    [...POD, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"],
    { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: "In", values: zones }] }] },
  );
}
