// statefulset-name-length: the StatefulSet's name is the prefix of every pod name, pod hostname,
// the controller-revision-hash label and every claim name; a name that fits the StatefulSet can
// still break them.
import { claimName, claimTemplates, ordinalRange } from "../kube/claims";
import { Field } from "../kube/fields";
import { Finding, Rule, violation } from "../rule";

/** Label values are at most 63 characters: `<name>-<10-char hash>` leaves 52 for the name. */
export const MAX_STATEFULSET_NAME = 52;
/** A claim name is a DNS subdomain: at most 253 characters. */
export const MAX_CLAIM_NAME = 253;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const nameLength = {
  name: "statefulset-name-length" as const,
  description:
    "A StatefulSet's name must be a DNS label of at most 52 characters, so that pod hostnames and the controller-revision-hash label (<name>-<hash>) stay valid, and every claim name <template>-<name>-<ordinal> must stay within 253 characters.",
  level: "mandatory",
  scope: "resource",
  config: {},
  check(sts) {
    const name = Field.root(sts).at("metadata").at("name").str();
    if (!name) return [];
    const out: Finding[] = [];
    if (name.length > MAX_STATEFULSET_NAME) {
      out.push(
        violation(
          `metadata.name "${name}" is ${name.length} characters: shorten it to at most ${MAX_STATEFULSET_NAME} so the controller-revision-hash label (<name>-<10-char hash>) stays within 63`,
        ),
      );
    } else if (!DNS_LABEL.test(name)) {
      out.push(
        violation(
          `metadata.name "${name}" is not a DNS label (lower-case letters, digits and '-'): pod hostnames <name>-<ordinal> must be DNS labels; rename it`,
        ),
      );
    }
    const lastOrdinal = Math.max(0, ordinalRange(sts).end - 1);
    for (const template of claimTemplates(sts)) {
      const claim = claimName(template.name, name, lastOrdinal);
      if (claim.length > MAX_CLAIM_NAME) {
        out.push(
          violation(
            `${template.label} makes claim names of ${claim.length} characters (${claim}): shorten the template or StatefulSet name to keep them within ${MAX_CLAIM_NAME}`,
          ),
        );
      }
    }
    return out;
  },
} satisfies Rule;
