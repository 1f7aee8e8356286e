import * as assert from "assert";
import { UNKNOWN_SENTINELS, UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { notes, podLabels, statefulSet, stsWith, violations, withField } from "../fixtures";

const RULE = "statefulset-zone-spread";
const SPREAD = ["spec", "template", "spec", "topologySpreadConstraints"];
const AFFINITY = ["spec", "template", "spec", "affinity"];

const constraint = (topologyKey: string, labels = podLabels()) => ({
  maxSkew: 1,
  topologyKey,
  whenUnsatisfiable: "ScheduleAnyway",
  labelSelector: { matchLabels: labels },
});
const hostnameOnly = () => stsWith(SPREAD, [constraint("kubernetes.io/hostname")]);

const missing = (replicas: number, zoneKey = "topology.kubernetes.io/zone") =>
  `spec.template.spec.topologySpreadConstraints do not spread the ${replicas} replicas over zones (${zoneKey}), and declaring constraints turns off the scheduler's default spread over zones: add one with topologyKey ${zoneKey}, maxSkew 1 and a labelSelector matching spec.template.metadata.labels (whenUnsatisfiable ScheduleAnyway also places pods where nodes carry no zone label), so one zone's outage cannot take every replica`;

describe(RULE, () => {
  it("passes a StatefulSet without constraints of its own: the scheduler's defaults spread it over zones", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("refuses constraints that leave zones out", () => {
    assert.deepStrictEqual(violations(RULE, hostnameOnly()), [missing(3)]);
  });

  it("passes a zone constraint over its own pods, required or not, or zone anti-affinity", () => {
    for (const when of ["ScheduleAnyway", "DoNotSchedule"]) {
      const sts = stsWith(SPREAD, [
        constraint("kubernetes.io/hostname"),
        { ...constraint("topology.kubernetes.io/zone"), whenUnsatisfiable: when },
      ]);
      assert.deepStrictEqual(violations(RULE, sts), [], when);
    }
    const anti = withField(
      hostnameOnly(),
      [...AFFINITY, "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution", 0],
      {
        weight: 50,
        podAffinityTerm: {
          topologyKey: "topology.kubernetes.io/zone",
          labelSelector: { matchLabels: podLabels() },
        },
      },
    );
    assert.deepStrictEqual(violations(RULE, anti), []);
  });

  it("refuses a zone constraint that selects other pods", () => {
    const sts = stsWith(SPREAD, [
      constraint("kubernetes.io/hostname"),
      constraint("topology.kubernetes.io/zone", { app: "other" }),
    ]);
    assert.deepStrictEqual(violations(RULE, sts), [missing(3)]);
  });

  it("leaves a single replica alone", () => {
    assert.deepStrictEqual(
      violations(RULE, withField(hostnameOnly(), ["spec", "replicas"], 1)),
      [],
    );
  });

  it("reads the zone label from config topologyKey", () => {
    const config = { topologyKey: "example.com/rack-zone" };
    const zoned = stsWith(SPREAD, [
      constraint("kubernetes.io/hostname"),
      constraint("topology.kubernetes.io/zone"),
    ]);
    assert.deepStrictEqual(violations(RULE, zoned, { config }), [
      missing(3, "example.com/rack-zone"),
    ]);
    const custom = stsWith(SPREAD, [constraint("example.com/rack-zone")]);
    assert.deepStrictEqual(violations(RULE, custom, { config }), []);
  });

  it("reports unknown values as notes, not violations", () => {
    const replicas = withField(hostnameOnly(), ["spec", "replicas"], UNKNOWN_SENTINELS.number);
    assert.deepStrictEqual(violations(RULE, replicas), []);
    assert.deepStrictEqual(notes(RULE, replicas), [
      "could not check spec.replicas: value unknown during preview",
    ]);
    const key = withField(hostnameOnly(), [...SPREAD, 0, "topologyKey"], UNKNOWN_STRING);
    assert.deepStrictEqual(violations(RULE, key), []);
    assert.deepStrictEqual(notes(RULE, key), [
      "could not check spec.template.spec.topologySpreadConstraints[0].topologyKey: value unknown during preview",
    ]);
  });
});
