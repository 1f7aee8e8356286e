// statefulset-zone-quorum: a quorum-replicated store (etcd, Cassandra, ZooKeeper, Redis Sentinel)
// serves while a majority of its pods is up. When its zones are fixed and its spread over them is
// required, the most pods one zone can hold is known: if that is not a minority, losing that zone
// loses the quorum, however the pods were placed.
import { Field, quoteList } from "../kube/fields";
import { podLabels, replicasOf } from "../kube/objects";
import { allowedNodeValues, spreadConstraints, ZONE_KEY_CONFIG, zoneKeyOf } from "../kube/topology";
import type { ZoneKeyConfig } from "../kube/topology";
import { Rule, violation } from "../rule";

/**
 * The most of `replicas` pods one of `zones` zones can hold when the spread keeps any two zones
 * within `maxSkew` of each other: floor((replicas + (zones - 1) x maxSkew) / zones).
 */
export function largestZoneShare(replicas: number, zones: number, maxSkew: number): number {
  return Math.min(replicas, Math.floor((replicas + (zones - 1) * maxSkew) / zones));
}

export const zoneQuorum = {
  name: "statefulset-zone-quorum" as const,
  description:
    "A StatefulSet of 3 or more replicas whose zones are fixed (topology.kubernetes.io/zone, or the config's topologyKey, in its node selector or required node affinity) and whose spread over them is DoNotSchedule must leave at most a minority of its pods in any one zone, floor((replicas-1)/2), so that a quorum-based store keeps its majority when a zone goes: add zones or replicas, or lower maxSkew.",
  level: "advisory",
  scope: "resource",
  config: ZONE_KEY_CONFIG,
  check(sts, ctx) {
    const key = zoneKeyOf(ctx.config);
    const replicas = replicasOf(sts);
    if (replicas < 3) return [];
    const root = Field.root(sts);
    const spread = spreadConstraints(root, podLabels(sts)).find(
      (c) => c.topologyKey === key && c.whenUnsatisfiable === "DoNotSchedule" && c.selectsOwnPods,
    );
    if (!spread) return [];
    const allowed = allowedNodeValues(root, key);
    if (allowed.kind !== "values" || allowed.values.length === 0) return [];
    const zones = allowed.values.length;
    const share = largestZoneShare(replicas, zones, spread.maxSkew);
    const minority = Math.floor((replicas - 1) / 2);
    if (share <= minority) return [];
    return [
      violation(
        `${spread.field.path} spreads ${replicas} pods over ${zones} zone(s) (${quoteList(allowed.values)}) with maxSkew ${spread.maxSkew}: one zone may hold ${share} of them, and losing it leaves ${replicas - share}, no majority; allow more zones, run more replicas or lower maxSkew until a zone holds at most ${minority}, or exempt a workload that needs no quorum`,
      ),
    ];
  },
} satisfies Rule<ZoneKeyConfig>;
