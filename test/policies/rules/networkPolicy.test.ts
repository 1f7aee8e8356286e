import * as assert from "assert";
import { UNKNOWN_SENTINELS } from "../../../policies/kube/unknown";
import { networkPolicy, notes, statefulSet, violations, withField } from "../fixtures";

const RULE = "statefulset-network-policy";
const MISSING =
  'no NetworkPolicy in namespace "cache" selects the pods for Ingress: add one whose podSelector matches spec.template.metadata.labels and allows only the clients and peers that need the ports';

describe(RULE, () => {
  it("passes with a policy selecting the pods", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("requires a policy in the namespace", () => {
    const sts = statefulSet();
    assert.deepStrictEqual(violations(RULE, sts, { objects: [sts] }), [MISSING]);
    const elsewhere = withField(networkPolicy(), ["metadata", "namespace"], "other");
    assert.deepStrictEqual(violations(RULE, sts, { objects: [sts, elsewhere] }), [MISSING]);
  });

  it("accepts an empty podSelector (every pod of the namespace)", () => {
    const sts = statefulSet();
    const all = withField(networkPolicy(), ["spec", "podSelector"], {});
    assert.deepStrictEqual(violations(RULE, sts, { objects: [sts, all] }), []);
  });

  it("requires Ingress among policyTypes when they are set", () => {
    const sts = statefulSet();
    const egress = withField(networkPolicy(), ["spec", "policyTypes"], ["Egress"]);
    assert.deepStrictEqual(violations(RULE, sts, { objects: [sts, egress] }), [MISSING]);
    const implied = withField(networkPolicy(), ["spec", "policyTypes"], undefined);
    assert.deepStrictEqual(violations(RULE, sts, { objects: [sts, implied] }), []);
  });

  it("refuses a policy selecting other pods", () => {
    const sts = statefulSet();
    const other = withField(
      networkPolicy(),
      ["spec", "podSelector", "matchLabels", "app.kubernetes.io/name"],
      "web",
    );
    assert.deepStrictEqual(violations(RULE, sts, { objects: [sts, other] }), [MISSING]);
  });

  it("reports an unknown selector as a note", () => {
    const sts = statefulSet();
    const unknown = withField(networkPolicy(), ["spec", "podSelector"], UNKNOWN_SENTINELS.object);
    assert.deepStrictEqual(violations(RULE, sts, { objects: [sts, unknown] }), []);
    assert.deepStrictEqual(notes(RULE, sts, { objects: [sts, unknown] }), [
      'could not check NetworkPolicies in namespace "cache": value unknown during preview',
    ]);
  });
});
