// What a NetworkPolicy isolates. Reads plain objects; unknown values throw UnknownValueError, with
// the policy's name in the path so a note says which policy.
import { Field } from "./fields";
import { KubeObject, nameOf } from "./objects";

/** The policy as a field root: its paths read `NetworkPolicy "redis" spec.ingress[0]`. */
export function policyField(np: KubeObject): Field {
  return Field.root(np, `NetworkPolicy ${JSON.stringify(nameOf(np) ?? "(unnamed)")} `);
}

/** Ingress is restricted unless policyTypes is set and leaves it out; throws if it is unknown. */
export function restrictsIngress(np: KubeObject): boolean {
  const types = policyField(np).at("spec").at("policyTypes");
  return !types.isSet() || types.strings().includes("Ingress");
}
