// What a replacement of a Pulumi-managed StatefulSet deletes. The Kubernetes provider replaces a
// StatefulSet when serviceName, selector, volumeClaimTemplates or podManagementPolicy change, and
// with a fixed metadata.name it deletes the old one first, with foreground propagation: every pod
// goes at once and, with whenDeleted: Delete, every claim too. The annotation
// `pulumi.com/deletionPropagationPolicy: orphan` makes that delete orphan pods and claims, and the
// new StatefulSet adopts them if its selector still selects them (a selector change leaves pods
// the new one neither adopts nor can replace while they hold their names: delete them by hand).
// The provider reads the annotation on every delete, `pulumi destroy` too, which then leaves the
// pods running and the claims in place (pulumi-kubernetes#3757). A policy sees only the new state,
// not the change: these rules say what a replacement would do, on every StatefulSet Pulumi manages
// (never on plain manifests).
import { Field } from "../kube/fields";
import { Rule, violation } from "../rule";

export const PROPAGATION_ANNOTATION = "pulumi.com/deletionPropagationPolicy";

/** True if a replacement orphans the pods and claims; throws if the annotation is unknown. */
function orphans(sts: Record<string, unknown>): boolean {
  return (
    Field.root(sts).at("metadata").at("annotations").at(PROPAGATION_ANNOTATION).str() === "orphan"
  );
}

export const replaceOrphansPods = {
  name: "statefulset-replace-orphans-pods" as const,
  description: `A StatefulSet managed by Pulumi should carry the annotation ${PROPAGATION_ANNOTATION}: orphan, so a replacement (a change to serviceName, volumeClaimTemplates or podManagementPolicy) leaves its pods running for the new StatefulSet to adopt instead of deleting them all at once. The annotation applies to pulumi destroy too, which then leaves the pods running.`,
  level: "advisory",
  scope: "resource",
  config: {},
  check(sts, ctx) {
    if (ctx.source !== "pulumi" || orphans(sts)) return [];
    return [
      violation(
        `metadata.annotations["${PROPAGATION_ANNOTATION}"] is not "orphan": if Pulumi replaces this StatefulSet (a change to serviceName, selector, volumeClaimTemplates or podManagementPolicy), it deletes every pod at once; set the annotation to orphan so the new StatefulSet adopts them`,
      ),
    ];
  },
} satisfies Rule;

export const replaceKeepsClaims = {
  name: "statefulset-replace-keeps-claims" as const,
  description: `A StatefulSet managed by Pulumi with persistentVolumeClaimRetentionPolicy.whenDeleted: Delete must carry the annotation ${PROPAGATION_ANNOTATION}: orphan, or a replacement deletes every claim and its data. With the annotation, pulumi destroy keeps the claims too.`,
  level: "advisory",
  scope: "resource",
  config: {},
  check(sts, ctx) {
    if (ctx.source !== "pulumi") return [];
    const spec = Field.root(sts).at("spec");
    if (spec.at("volumeClaimTemplates").items().length === 0) return [];
    const whenDeleted = spec.at("persistentVolumeClaimRetentionPolicy").at("whenDeleted").str();
    if (whenDeleted !== "Delete" || orphans(sts)) return [];
    return [
      violation(
        `spec.persistentVolumeClaimRetentionPolicy.whenDeleted is Delete and metadata.annotations["${PROPAGATION_ANNOTATION}"] is not "orphan": if Pulumi replaces this StatefulSet (a change to serviceName, selector, volumeClaimTemplates or podManagementPolicy), every claim and its data is deleted; set the annotation to orphan, or whenDeleted to Retain`,
      ),
    ];
  },
} satisfies Rule;
