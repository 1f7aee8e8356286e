import * as assert from "assert";
import { UNKNOWN_SENTINELS } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations, withField } from "../fixtures";

const RULE = "statefulset-pod-spread";
const AFFINITY = ["spec", "template", "spec", "affinity"];
const MISSING =
  "spec.replicas is 3 but nothing spreads the pods: add spec.template.spec.affinity.podAntiAffinity or topologySpreadConstraints with a labelSelector matching spec.template.metadata.labels, so one node failure cannot take every replica";

describe(RULE, () => {
  it("passes with preferred anti-affinity on its own pods", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("requires spreading for more than one replica", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(AFFINITY, undefined)), [MISSING]);
    assert.deepStrictEqual(
      violations(RULE, withField(stsWith(AFFINITY, undefined), ["spec", "replicas"], 1)),
      [],
    );
  });

  it("accepts required anti-affinity or a topology spread constraint", () => {
    const term = {
      topologyKey: "kubernetes.io/hostname",
      labelSelector: { matchLabels: { "app.kubernetes.io/instance": "redis" } },
    };
    const required = stsWith(AFFINITY, {
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] },
    });
    assert.deepStrictEqual(violations(RULE, required), []);
    const spread = withField(
      stsWith(AFFINITY, undefined),
      ["spec", "template", "spec", "topologySpreadConstraints"],
      [{ maxSkew: 1, whenUnsatisfiable: "ScheduleAnyway", ...term }],
    );
    assert.deepStrictEqual(violations(RULE, spread), []);
  });

  it("refuses a term that selects other pods", () => {
    const sts = stsWith(
      [
        ...AFFINITY,
        "podAntiAffinity",
        "preferredDuringSchedulingIgnoredDuringExecution",
        0,
        "podAffinityTerm",
        "labelSelector",
        "matchLabels",
      ],
      { app: "other" },
    );
    assert.deepStrictEqual(violations(RULE, sts), [MISSING]);
  });

  it("reports unknown replicas as a note", () => {
    assert.deepStrictEqual(notes(RULE, stsWith(["spec", "replicas"], UNKNOWN_SENTINELS.number)), [
      "could not check spec.replicas: value unknown during preview",
    ]);
  });
});
