// statefulset-adopted-claims-match: a claim the stack makes under a StatefulSet's claim name
// (`<template>-<name>-<ordinal>`, e.g. restored from a VolumeSnapshot) is adopted by name: the
// controller compares nothing else. If it differs from the template, that pod runs on another class
// or smaller volume than its peers, unnoticed.
import {
  annotatedClass,
  BETA_ANNOTATION,
  claimClass,
  claimTemplates,
  storageBytes,
  templateClaims,
} from "../kube/claims";
import { Field } from "../kube/fields";
import { statefulSetNamespace } from "../kube/objects";
import { Finding, guarded, Rule, violation } from "../rule";

const modes = (f: Field) => [...new Set(f.strings())].sort();

export const adoptedClaimsMatch = {
  name: "statefulset-adopted-claims-match" as const,
  description:
    "A claim the stack makes for a StatefulSet to adopt (named <template>-<name>-<ordinal>, e.g. restored from a VolumeSnapshot) must have its claim template's storageClassName and accessModes and at least its size: the controller adopts it by name and checks nothing else.",
  level: "mandatory",
  scope: "stack",
  config: {},
  check(sts, ctx) {
    if (!ctx.stack.hasClaims()) return [];
    const name = Field.root(sts).at("metadata").at("name").str();
    if (!name) return [];
    const { matches } = ctx.stack.claims(statefulSetNamespace(sts));
    const out: Finding[] = [];
    for (const template of claimTemplates(sts)) {
      const want = template.field.at("spec");
      for (const { claim, name: claimName } of templateClaims(matches, template.name, name)) {
        const spec = Field.root(claim).at("spec");
        const what = `claim ${claimName} (adopted by name, nothing else compared)`;
        guarded(out, () => {
          const cls = claimClass(template.field);
          const got = claimClass(Field.root(claim));
          if (cls !== undefined && got !== cls) {
            const annotated = annotatedClass(Field.root(claim)) !== undefined;
            const has = annotated
              ? `class "${got}" in the annotation ${BETA_ANNOTATION} (which Kubernetes reads before spec.storageClassName)`
              : got === undefined
                ? "no spec.storageClassName"
                : `spec.storageClassName "${got}"`;
            const fix = annotated ? " in spec.storageClassName and remove the annotation" : "";
            out.push(
              violation(
                `${what} has ${has} but ${template.label} has "${cls}": its pod would run on another class than its peers; make the claim's class "${cls}"${fix}`,
              ),
            );
          }
        });
        guarded(out, () => {
          const templateModes = modes(want.at("accessModes"));
          const claimModes = modes(spec.at("accessModes"));
          if (templateModes.length > 0 && claimModes.join() !== templateModes.join()) {
            out.push(
              violation(
                `${what} has spec.accessModes [${claimModes.join(", ")}] but ${template.label} has [${templateModes.join(", ")}]: make them the same`,
              ),
            );
          }
        });
        guarded(out, () => {
          const size = want.at("resources").at("requests").at("storage").value();
          const got = spec.at("resources").at("requests").at("storage").value();
          const [wantBytes, gotBytes] = [storageBytes(size), storageBytes(got)];
          if (wantBytes !== undefined && (gotBytes === undefined || gotBytes < wantBytes)) {
            out.push(
              violation(
                `${what} requests ${got === undefined ? "no storage" : String(got)} but ${template.label} requests ${String(size)}: its pod would get a smaller volume than its peers; request at least ${String(size)}`,
              ),
            );
          }
        });
      }
    }
    return out;
  },
} satisfies Rule;
