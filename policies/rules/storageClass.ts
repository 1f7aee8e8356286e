// statefulset-storage-class: a claim without a storageClassName gets whatever the cluster's default
// class is (or none), which differs between clusters and can change under a running database.
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
        const name = template.at("metadata").at("name").str();
        const label = name ? `${template.path} (${JSON.stringify(name)})` : template.path;
        const cls = template.at("spec").at("storageClassName").str();
        if (!cls) {
          out.push(
            violation(
              `${label} has no spec.storageClassName: name a StorageClass explicitly; an unset class falls back to the cluster's default, which differs between clusters`,
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
