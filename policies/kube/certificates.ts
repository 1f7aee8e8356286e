// cert-manager Certificates whose Secret a StatefulSet's pods mount, and the DNS names those pods
// and their governing Service answer to. Reads plain objects, throws UnknownValueError.
import { ordinalRange } from "./claims";
import { Field } from "./fields";
import { KubeObject, nameIsUnknown, nameOf, podSpec } from "./objects";

/** The cluster DNS domain when the policy config names none. */
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

/** A pod volume that holds a Secret. */
export interface SecretVolume {
  /** `spec.template.spec.volumes[1] ("tls")`: how messages name the volume. */
  label: string;
  secretName: string;
}

/**
 * The Secrets the pod template's volumes hold: `secret.secretName`, and each `secret` source of a
 * `projected` volume. Throws when one of those names is unknown.
 */
export function secretVolumes(sts: KubeObject): SecretVolume[] {
  const out: SecretVolume[] = [];
  for (const volume of podSpec(sts).at("volumes").items()) {
    const name = volume.at("name").str();
    const label = name ? `${volume.path} (${JSON.stringify(name)})` : volume.path;
    const direct = volume.at("secret").at("secretName").str();
    if (direct) out.push({ label, secretName: direct });
    for (const source of volume.at("projected").at("sources").items()) {
      const projected = source.at("secret").at("name").str();
      if (projected) out.push({ label, secretName: projected });
    }
  }
  return out;
}

/** How messages name a Certificate: `Certificate "db-tls"`, or why it has no name. */
export function certificateLabel(certificate: KubeObject): string {
  const name = nameOf(certificate);
  if (name !== undefined) return `Certificate ${JSON.stringify(name)}`;
  return nameIsUnknown(certificate) ? "Certificate (name unknown during preview)" : "Certificate";
}

/** A Certificate that writes a Secret the pods mount, and the volume that holds it. */
export interface MountedCertificate {
  /** The Certificate, for reading its fields with paths that name it in messages. */
  root: Field;
  label: string;
  secretName: string;
  volume: SecretVolume;
}

/**
 * The volume of `volumes` that holds the Secret the Certificate writes (`spec.secretName`), or
 * undefined when none does. Throws when the secretName is unknown.
 */
export function mountedCertificate(
  certificate: KubeObject,
  volumes: SecretVolume[],
): MountedCertificate | undefined {
  const label = certificateLabel(certificate);
  const root = Field.root(certificate, `${label} `);
  const secretName = root.at("spec").at("secretName").str();
  const volume = volumes.find((v) => v.secretName === secretName);
  return volume && secretName ? { root, label, secretName, volume } : undefined;
}

/** `<service>.<namespace>.svc.<clusterDomain>`: the Service's name in cluster DNS. */
export function serviceDnsName(service: string, namespace: string, clusterDomain: string): string {
  return `${service}.${namespace}.svc.${clusterDomain}`;
}

/**
 * The stable DNS name of every pod of the StatefulSet, `<name>-<ordinal>.<service>.<namespace>.svc.
 * <clusterDomain>`, for the ordinals it has (spec.ordinals.start, spec.replicas).
 */
export function podDnsNames(
  sts: KubeObject,
  name: string,
  service: string,
  namespace: string,
  clusterDomain: string,
): string[] {
  const { start, end } = ordinalRange(sts);
  const svc = serviceDnsName(service, namespace, clusterDomain);
  const out: string[] = [];
  for (let i = start; i < end; i++) out.push(`${name}-${i}.${svc}`);
  return out;
}

/** A DNS name as TLS clients compare it: case-insensitive, without a trailing dot. */
function canonical(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

/**
 * True if a certificate's DNS name `pattern` matches `name` as a TLS client checks it (RFC 6125):
 * equal, or `*.<rest>` for a name of exactly one more label in front of `<rest>`.
 */
export function dnsNameCovers(pattern: string, name: string): boolean {
  const p = canonical(pattern);
  const n = canonical(name);
  if (p === n) return true;
  if (!p.startsWith("*.")) return false;
  const dot = n.indexOf(".");
  return dot > 0 && n.slice(dot + 1) === p.slice(2) && p.length > 2;
}
