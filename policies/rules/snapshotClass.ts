// statefulset-snapshot-class: a VolumeSnapshot without volumeSnapshotClassName is taken with the
// cluster's default VolumeSnapshotClass, which differs between clusters (its driver, its
// deletionPolicy) or does not exist, in which case the snapshot is never taken.
import { claimTemplates, ordinalOf } from "../kube/claims";
import { Field } from "../kube/fields";
import { KubeObject, nameIsUnknown, nameOf, statefulSetNamespace } from "../kube/objects";
import { Finding, guarded, Rule, violation } from "../rule";

/** How messages name a VolumeSnapshot: its name quoted, or why there is none. */
function snapshotName(snapshot: KubeObject): string {
  const name = nameOf(snapshot);
  if (name !== undefined) return JSON.stringify(name);
  return nameIsUnknown(snapshot) ? "(name unknown during preview)" : '"(unnamed)"';
}

export const snapshotClass = {
  name: "statefulset-snapshot-class" as const,
  description:
    "Every VolumeSnapshot of a StatefulSet's claim (<template>-<name>-<ordinal>) must name its spec.volumeSnapshotClassName: the cluster's default class differs between clusters (driver, deletionPolicy) or does not exist, and then the snapshot is never taken.",
  level: "mandatory",
  scope: "stack",
  config: {},
  check(sts, ctx) {
    if (!ctx.stack.hasVolumeSnapshots()) return [];
    const name = Field.root(sts).at("metadata").at("name").str();
    if (!name) return [];
    const namespace = statefulSetNamespace(sts);
    const templates = claimTemplates(sts);
    if (templates.length === 0) return [];
    const { matches } = ctx.stack.volumeSnapshots(namespace);
    const out: Finding[] = [];
    for (const snapshot of matches) {
      guarded(out, () => {
        const source = Field.root(snapshot).at("spec").at("source");
        const claim = source.at("persistentVolumeClaimName").str();
        if (claim === undefined) return;
        if (!templates.some((t) => ordinalOf(claim, t.name, name) !== undefined)) return;
        const cls = Field.root(snapshot).at("spec").at("volumeSnapshotClassName");
        if (cls.str()) return;
        out.push(
          violation(
            `VolumeSnapshot ${snapshotName(snapshot)} of claim ${claim} names no spec.volumeSnapshotClassName: the cluster's default VolumeSnapshotClass would take it, which differs between clusters (or does not exist, and the snapshot is never taken); name the class`,
          ),
        );
      });
    }
    return out;
  },
} satisfies Rule;
