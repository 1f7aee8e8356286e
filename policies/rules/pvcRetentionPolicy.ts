// statefulset-pvc-retention-policy: what happens to the claims (the data) when the StatefulSet is
// deleted or scaled down must be a decision written down, not a default.
import { Field } from "../kube/fields";
import { Finding, Rule, violation } from "../rule";

export interface PvcRetentionConfig {
  /** Forbid `Delete` for both fields (production stacks). */
  forbidDelete?: boolean;
}

const VALUES = ["Retain", "Delete"];
const WHEN = {
  whenDeleted: "deleting the StatefulSet",
  whenScaled: "scaling down",
} as const;

export const pvcRetentionPolicy = {
  name: "statefulset-pvc-retention-policy" as const,
  description:
    "A StatefulSet with volumeClaimTemplates must set spec.persistentVolumeClaimRetentionPolicy with both whenDeleted and whenScaled (Retain or Delete); with forbidDelete, Delete is refused.",
  level: "mandatory",
  scope: "resource",
  config: {
    forbidDelete: {
      type: "boolean",
      description: "Refuse Delete in whenDeleted and whenScaled (for production stacks).",
      default: false,
    },
  },
  check(sts, ctx) {
    const spec = Field.root(sts).at("spec");
    if (spec.at("volumeClaimTemplates").items().length === 0) return [];
    const policy = spec.at("persistentVolumeClaimRetentionPolicy");
    if (!policy.isSet()) {
      return [
        violation(
          `${policy.path} is not set: set whenDeleted and whenScaled explicitly (Retain keeps the claims and their data)`,
        ),
      ];
    }
    const out: Finding[] = [];
    for (const key of ["whenDeleted", "whenScaled"] as const) {
      const field = policy.at(key);
      const value = field.str();
      if (value === undefined) {
        out.push(violation(`${field.path} is not set: set it to Retain or Delete`));
      } else if (!VALUES.includes(value)) {
        out.push(violation(`${field.path} is "${value}": use Retain or Delete`));
      } else if (value === "Delete" && ctx.config.forbidDelete === true) {
        out.push(
          violation(
            `${field.path} is Delete, which this stack forbids: set it to Retain so ${WHEN[key]} keeps the claims`,
          ),
        );
      }
    }
    return out;
  },
} satisfies Rule<PvcRetentionConfig>;
