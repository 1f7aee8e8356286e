import * as assert from "assert";
import { policyField, restrictsIngress } from "../../../policies/kube/networkPolicies";
import { UNKNOWN_SENTINELS, UnknownValueError } from "../../../policies/kube/unknown";
import { networkPolicy, withField } from "../fixtures";

const TYPES = ["spec", "policyTypes"];

describe("kube/networkPolicies", () => {
  it("restrictsIngress: unless policyTypes is set and leaves Ingress out", () => {
    assert.strictEqual(restrictsIngress(networkPolicy()), true);
    assert.strictEqual(restrictsIngress(withField(networkPolicy(), TYPES, undefined)), true);
    assert.strictEqual(restrictsIngress(withField(networkPolicy(), TYPES, ["Egress"])), false);
    assert.strictEqual(
      restrictsIngress(withField(networkPolicy(), TYPES, ["Egress", "Ingress"])),
      true,
    );
  });

  it("throws on unknown policyTypes, naming the policy", () => {
    const np = withField(networkPolicy(), TYPES, UNKNOWN_SENTINELS.array);
    assert.throws(
      () => restrictsIngress(np),
      (e: unknown) =>
        e instanceof UnknownValueError && e.path === 'NetworkPolicy "redis" spec.policyTypes',
    );
    assert.strictEqual(policyField(networkPolicy()).at("spec").path, 'NetworkPolicy "redis" spec');
  });
});
