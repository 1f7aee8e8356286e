// statefulset-update-partition: pods with an ordinal at or above the partition get the new
// template; a partition above the replica count means no pod ever does, and the rollout that
// `pulumi up` waits for never happens.
import { Field } from "../kube/fields";
import { replicasOf } from "../kube/objects";
import { Rule, violation } from "../rule";

export const updatePartition = {
  name: "statefulset-update-partition" as const,
  description:
    "A StatefulSet's spec.updateStrategy.rollingUpdate.partition must be between 0 and spec.replicas, or no pod ever gets a new template.",
  level: "mandatory",
  scope: "resource",
  config: {},
  check(sts) {
    const partition = Field.root(sts)
      .at("spec")
      .at("updateStrategy")
      .at("rollingUpdate")
      .at("partition");
    const value = partition.num();
    if (value === undefined) return [];
    const replicas = replicasOf(sts);
    if (value < 0 || value > replicas) {
      return [
        violation(
          `${partition.path} is ${value}, outside 0..spec.replicas (${replicas}): ${value > replicas ? "no pod would get a new template" : "the API rejects it"}; set it between 0 and ${replicas}`,
        ),
      ];
    }
    return [];
  },
} satisfies Rule;
