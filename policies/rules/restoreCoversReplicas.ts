// statefulset-restore-covers-replicas: a stack that restores a StatefulSet's claims from
// VolumeSnapshots makes the claims `<template>-<name>-<ordinal>` itself, and the controller adopts
// each by name. A restore that does not match spec.replicas leaves a pod on an empty volume beside
// restored peers, or a restored claim that no pod mounts.
import {
  claimName,
  claimTemplates,
  ordinalRange,
  restoredFrom,
  templateClaims,
} from "../kube/claims";
import { Field } from "../kube/fields";
import { statefulSetNamespace } from "../kube/objects";
import { UnknownValueError } from "../kube/unknown";
import { Finding, guarded, Rule, violation } from "../rule";

const listed = (names: string[]) => names.join(", ");

export const restoreCoversReplicas = {
  name: "statefulset-restore-covers-replicas" as const,
  description:
    "When the stack restores some of a StatefulSet's claims (<template>-<name>-<ordinal>) from VolumeSnapshots, it must restore one for every ordinal of spec.replicas and none beyond, so that no pod starts empty beside restored peers and no restored data goes unmounted.",
  level: "mandatory",
  scope: "stack",
  config: {},
  check(sts, ctx) {
    if (!ctx.stack.hasClaims()) return [];
    const name = Field.root(sts).at("metadata").at("name").str();
    if (!name) return [];
    const namespace = statefulSetNamespace(sts);
    const { start, end } = ordinalRange(sts);
    const replicas = end - start;
    const { matches, uncertain } = ctx.stack.claims(namespace);
    const out: Finding[] = [];
    for (const template of claimTemplates(sts)) {
      guarded(out, () => {
        const claims = templateClaims(matches, template.name, name);
        const restored = claims.filter((c) => restoredFrom(c.claim) !== undefined);
        if (restored.length === 0) return;
        const inRange = (o: number) => o >= start && o < end;
        const covered = new Set(restored.map((c) => c.ordinal));
        const missing: number[] = [];
        for (let o = start; o < end; o++) if (!covered.has(o)) missing.push(o);
        if (missing.length > 0) {
          // A claim whose name is unknown during preview may be the missing one.
          if (uncertain) throw new UnknownValueError(`claims in namespace "${namespace}"`);
          const names = missing.map((o) => claimName(template.name, name, o));
          const pods = missing.map((o) => `${name}-${o}`);
          out.push(
            violation(
              `${template.label}: ${listed(restored.filter((c) => inRange(c.ordinal)).map((c) => c.name)) || "no claim of an ordinal in range"} restored from VolumeSnapshots, but not ${listed(names)} (spec.replicas is ${replicas}): pod${pods.length === 1 ? "" : "s"} ${listed(pods)} would start without the snapshots' data beside restored peers; restore a claim for every ordinal ${start}..${end - 1}, or set spec.replicas to the number of snapshots`,
            ),
          );
        }
        const beyond = restored.filter((c) => !inRange(c.ordinal));
        if (beyond.length > 0) {
          out.push(
            violation(
              `${template.label}: ${listed(beyond.map((c) => c.name))} restored from VolumeSnapshots, but the ordinals are ${start}..${end - 1} (spec.replicas is ${replicas}): no pod mounts ${beyond.length === 1 ? "it" : "them"}; set spec.replicas to cover every restored claim, or remove the extra ones`,
            ),
          );
        }
      });
    }
    return out;
  },
} satisfies Rule;
