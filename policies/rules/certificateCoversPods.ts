// statefulset-certificate-covers-pods: a StatefulSet's pods are reached by their stable names
// (`<name>-<ordinal>.<service>.<namespace>.svc.<clusterDomain>`: peers replicating, clients pinned
// to one pod) and through the governing Service. When the pods serve the certificate a cert-manager
// Certificate writes into a Secret they mount, a name the Certificate leaves out fails every TLS
// client's hostname check, and only once a client uses it (a failover, a scale-up).
import {
  DEFAULT_CLUSTER_DOMAIN,
  dnsNameCovers,
  mountedCertificate,
  podDnsNames,
  secretVolumes,
  serviceDnsName,
} from "../kube/certificates";
import { Field, quoteList } from "../kube/fields";
import { KubeObject, statefulSetNamespace } from "../kube/objects";
import { UnknownValueError } from "../kube/unknown";
import { Finding, guarded, Rule, violation } from "../rule";

export interface CertificateCoversPodsConfig {
  /** The cluster's DNS domain (default cluster.local). */
  clusterDomain?: string;
}

/** `"a", "b"` for up to `max` names, then how many more. */
function someNames(names: string[], max = 5): string {
  if (names.length <= max) return quoteList(names);
  return `${quoteList(names.slice(0, max))} and ${names.length - max} more`;
}

/**
 * When the Certificate names the StatefulSet's Service under another domain, that domain: the
 * cluster's may not be the one the rule was told.
 */
function otherDomain(
  dnsNames: string[],
  service: string,
  namespace: string,
  domain: string,
): string | undefined {
  const marker = `${service}.${namespace}.svc.`.toLowerCase();
  for (const n of dnsNames) {
    const name = n.toLowerCase().replace(/\.$/, "");
    let at = name.startsWith(marker) ? 0 : -1;
    if (at < 0) {
      const i = name.indexOf(`.${marker}`);
      if (i >= 0) at = i + 1;
    }
    if (at < 0) continue;
    const rest = name.slice(at + marker.length);
    if (rest && rest !== domain.toLowerCase()) return rest;
  }
  return undefined;
}

export const certificateCoversPods = {
  name: "statefulset-certificate-covers-pods" as const,
  description:
    "When a StatefulSet's pods mount the Secret a cert-manager Certificate of their namespace writes (spec.secretName), the Certificate's spec.dnsNames must cover every pod's stable name <name>-<ordinal>.<service>.<namespace>.svc.<clusterDomain> (by name, or the wildcard *.<service>.<namespace>.svc.<clusterDomain>) and the governing Service's <service>.<namespace>.svc.<clusterDomain>: a client reaching a pod or the Service by a name the certificate lacks refuses it.",
  level: "mandatory",
  scope: "stack",
  config: {
    clusterDomain: {
      type: "string",
      description: "The cluster's DNS domain, the last part of every Service and pod name.",
      minLength: 1,
      default: DEFAULT_CLUSTER_DOMAIN,
    },
  },
  check(sts, ctx) {
    const domain =
      typeof ctx.config.clusterDomain === "string" && ctx.config.clusterDomain
        ? ctx.config.clusterDomain.replace(/\.$/, "")
        : DEFAULT_CLUSTER_DOMAIN;
    const out: Finding[] = [];
    // Nothing of the StatefulSet is read (nor noted as unknown) in a stack without Certificates.
    if (!ctx.stack.hasCertificates()) return out;
    guarded(out, () => {
      const namespace = statefulSetNamespace(sts);
      const volumes = secretVolumes(sts);
      if (volumes.length === 0) return;
      const { matches, uncertain } = ctx.stack.certificates(namespace);
      for (const certificate of matches) {
        guarded(out, () => {
          const mounted = mountedCertificate(certificate, volumes);
          if (!mounted) return;
          const finding = uncovered(sts, namespace, domain, mounted);
          if (finding) out.push(finding);
        });
      }
      // A Certificate whose namespace is unknown may write a Secret of this namespace.
      if (uncertain) throw new UnknownValueError("the namespace of a Certificate");
    });
    return out;
  },
} satisfies Rule<CertificateCoversPodsConfig>;

/** The violation for the names the mounted Certificate leaves out, if it leaves any out. */
function uncovered(
  sts: KubeObject,
  namespace: string,
  domain: string,
  mounted: NonNullable<ReturnType<typeof mountedCertificate>>,
): Finding | undefined {
  const root = Field.root(sts);
  const name = root.at("metadata").at("name").str();
  const service = root.at("spec").at("serviceName").str();
  // Without them the pods have no stable names (statefulset-headless-service says so).
  if (!name || !service) return undefined;
  const pods = podDnsNames(sts, name, service, namespace, domain);
  const svc = serviceDnsName(service, namespace, domain);
  const dnsNames = mounted.root.at("spec").at("dnsNames").strings();
  const covered = (n: string) => dnsNames.some((p) => dnsNameCovers(p, n));
  const missingPods = pods.filter((n) => !covered(n));
  const missingService = !covered(svc);
  if (missingPods.length === 0 && !missingService) return undefined;
  const missing = [...(missingService ? [svc] : []), ...missingPods];
  const fixes: string[] = [];
  if (missingService) fixes.push(JSON.stringify(svc));
  if (missingPods.length > 0) fixes.push(`"*.${svc}" (every pod, one label deep)`);
  const elsewhere = otherDomain(dnsNames, service, namespace, domain);
  const hint = elsewhere
    ? `; its names use the domain "${elsewhere}": if that is the cluster's DNS domain, set clusterDomain to it in this policy's config`
    : "";
  const podsPart =
    pods.length === 1
      ? "the stable name of its pod"
      : missingPods.length === pods.length
        ? `the stable names of the ${pods.length} pods`
        : `the stable names of ${missingPods.length} of the ${pods.length} pods`;
  const what =
    missingPods.length > 0
      ? `${podsPart}${missingService ? " and the Service's name" : ""}`
      : "the Service's name";
  return violation(
    `${mounted.label} writes Secret "${mounted.secretName}", which the pods mount as ${mounted.volume.label}, but its spec.dnsNames do not cover ${what}: ${someNames(missing)}; a TLS client that reaches them by these names refuses the certificate: add ${fixes.join(" and ")} to spec.dnsNames${hint}`,
  );
}
