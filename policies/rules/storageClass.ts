// statefulset-storage-class: a claim without a storageClassName gets whatever the cluster's default
// class is (or none), which differs between clusters and can change under a running database; an
// empty class turns dynamic provisioning off; the deprecated annotation hides the class.
import { annotatedClass, BETA_ANNOTATION, claimClass, templateLabel } from "../kube/claims";
import { Field, quoteList } from "../kube/fields";
import { Finding, guarded, Rule, violation } from "../rule";

export interface StorageClassConfig {
  /** If set and non-empty, the only classes claims may use. */
  allowed?: string[];
}

export const storageClass = {
  name: "statefulset-storage-class" as const,
  description:
    "Every volumeClaimTemplate of a StatefulSet must name its StorageClass in spec.storageClassName (never the cluster's implicit default), and one of the allowed classes when the policy config lists them.",
  level: "mandatory",
  scope: "resource",
  config: {
    allowed: {
      type: "array",
      description: "StorageClass names claims may use; empty or unset allows any named class.",
      items: { type: "string", minLength: 1 },
    },
  },
  check(sts, ctx) {
    const allowed = Array.isArray(ctx.config.allowed)
      ? ctx.config.allowed.filter((c): c is string => typeof c === "string")
      : [];
    const out: Finding[] = [];
    for (const template of Field.root(sts).at("spec").at("volumeClaimTemplates").items()) {
      guarded(out, () => {
        const label = templateLabel(template, template.at("metadata").at("name").str());
        const spec = template.at("spec").at("storageClassName").str();
        const annotated = annotatedClass(template);
        // Kubernetes reads the deprecated annotation first (GetPersistentVolumeClaimClass).
        const cls = claimClass(template);
        if (annotated !== undefined && annotated !== spec) {
          out.push(
            violation(
              `${label} names its class ${JSON.stringify(annotated)} in the deprecated annotation ${BETA_ANNOTATION}, which Kubernetes reads before spec.storageClassName: set spec.storageClassName: ${JSON.stringify(annotated)} and remove the annotation`,
            ),
          );
        }
        if (cls === undefined) {
          out.push(
            violation(
              `${label} has no spec.storageClassName: name a StorageClass explicitly; an unset class falls back to the cluster's default, which differs between clusters`,
            ),
          );
        } else if (cls === "") {
          out.push(
            violation(
              `${label} spec.storageClassName is "", which turns dynamic provisioning off: each claim waits for a pre-created PersistentVolume without a class; name a StorageClass that provisions volumes`,
            ),
          );
        } else if (allowed.length > 0 && !allowed.includes(cls)) {
          out.push(
            violation(
              `${label} spec.storageClassName is "${cls}", which is not allowed here: use one of ${quoteList(allowed)}`,
            ),
          );
        }
      });
    }
    return out;
  },
} satisfies Rule<StorageClassConfig>;
