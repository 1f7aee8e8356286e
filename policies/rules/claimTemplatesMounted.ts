// statefulset-claim-templates-mounted: every claim template provisions a volume per pod; one that
// no container mounts costs storage and usually means the data is written to the container's
// ephemeral filesystem instead.
import { Field } from "../kube/fields";
import { containersOf } from "../kube/objects";
import { Rule, violation } from "../rule";

export const claimTemplatesMounted = {
  name: "statefulset-claim-templates-mounted" as const,
  description:
    "Every volumeClaimTemplate of a StatefulSet must be mounted by at least one container or init container (a volumeMount with the template's name), or the data lands on the container's ephemeral filesystem.",
  level: "mandatory",
  scope: "resource",
  config: {},
  check(sts) {
    const templates = Field.root(sts).at("spec").at("volumeClaimTemplates").items();
    if (templates.length === 0) return [];
    const mounted = new Set<string>();
    for (const c of containersOf(sts, { init: true })) {
      for (const m of c.field.at("volumeMounts").items()) {
        const name = m.at("name").str();
        if (name) mounted.add(name);
      }
    }
    const out = [];
    for (const template of templates) {
      const name = template.at("metadata").at("name").str();
      if (!name || mounted.has(name)) continue;
      out.push(
        violation(
          `${template.path} ("${name}") is not mounted by any container: add a volumeMount named "${name}" where the process keeps its data, or remove the template`,
        ),
      );
    }
    return out;
  },
} satisfies Rule;
