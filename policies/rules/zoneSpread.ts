// statefulset-zone-spread: the scheduler spreads a StatefulSet's pods over zones by default (its
// system default constraints: zone maxSkew 5 and hostname maxSkew 3, both ScheduleAnyway), but only
// for pods that declare no topologySpreadConstraints of their own. A StatefulSet that declares some
// (say, on hostname only) turns that zone spread off, and the scheduler may put every replica in
// one zone.
import { Field } from "../kube/fields";
import { podLabels, replicasOf } from "../kube/objects";
import { antiAffinityKeys, spreadConstraints, ZONE_KEY_CONFIG, zoneKeyOf } from "../kube/topology";
import type { ZoneKeyConfig } from "../kube/topology";
import { Rule, violation } from "../rule";

export type ZoneSpreadConfig = ZoneKeyConfig;

export const zoneSpread = {
  name: "statefulset-zone-spread" as const,
  description:
    "A StatefulSet with more than one replica that declares topologySpreadConstraints turns off the scheduler's default spread over zones, so one of its constraints (or a podAntiAffinity term) must spread its own pods over topology.kubernetes.io/zone; ScheduleAnyway is safe where nodes carry no zone label.",
  level: "advisory",
  scope: "resource",
  config: ZONE_KEY_CONFIG,
  check(sts, ctx) {
    const key = zoneKeyOf(ctx.config);
    const replicas = replicasOf(sts);
    if (replicas <= 1) return [];
    const root = Field.root(sts);
    const labels = podLabels(sts);
    const constraints = spreadConstraints(root, labels);
    // No constraints of its own: the scheduler's defaults spread the pods over zones.
    if (constraints.length === 0) return [];
    if (constraints.some((c) => c.topologyKey === key && c.selectsOwnPods)) return [];
    if (antiAffinityKeys(root, labels).includes(key)) return [];
    return [
      violation(
        `spec.template.spec.topologySpreadConstraints do not spread the ${replicas} replicas over zones (${key}), and declaring constraints turns off the scheduler's default spread over zones: add one with topologyKey ${key}, maxSkew 1 and a labelSelector matching spec.template.metadata.labels (whenUnsatisfiable ScheduleAnyway also places pods where nodes carry no zone label), so one zone's outage cannot take every replica`,
      ),
    ];
  },
} satisfies Rule<ZoneSpreadConfig>;
