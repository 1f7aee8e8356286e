// A workload served over TLS for the certificate rules: the valid workload of fixtures.ts with its
// pods mounting the Secret `redis-tls` as the volume `tls`, and the cert-manager Certificate that
// writes it, for every name the pods and the Service answer to.
import type { KubeObject } from "../../policies/kube/objects";
import { NS, stackObjects, statefulSet, withField } from "./fixtures";

export const SECRET = "redis-tls";
/** Where the volumes of the fixture's pod template are. */
export const VOLUMES = ["spec", "template", "spec", "volumes"];

/** The valid workload with the volume `tls` holding SECRET, mounted by the redis container. */
export function tlsStatefulSet(): KubeObject {
  const sts = withField(statefulSet(), VOLUMES, [
    { name: "tls", secret: { secretName: SECRET, defaultMode: 0o440 } },
  ]);
  const containers = ["spec", "template", "spec", "containers", 0, "volumeMounts"];
  return withField(sts, containers, [
    { name: "data", mountPath: "/data" },
    { name: "tls", mountPath: "/tls", readOnly: true },
  ]);
}

/** The Certificate that writes SECRET: the Service's names and a wildcard for the pods. */
export function certificate(): KubeObject {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: "redis-tls", namespace: NS },
    spec: {
      secretName: SECRET,
      issuerRef: { name: "ca", kind: "Issuer", group: "cert-manager.io" },
      dnsNames: [
        "redis",
        "redis.cache",
        "redis.cache.svc",
        "redis.cache.svc.cluster.local",
        "*.redis.cache.svc.cluster.local",
      ],
      privateKey: { algorithm: "RSA", size: 2048, encoding: "PKCS8", rotationPolicy: "Always" },
      usages: ["server auth", "client auth"],
    },
  };
}

/** The workload over TLS: `sts` (the TLS StatefulSet by default) and `cert` beside the rest. */
export function tlsStack(
  sts: KubeObject = tlsStatefulSet(),
  cert: KubeObject = certificate(),
): KubeObject[] {
  return [...stackObjects(sts), cert];
}

/** The Certificate with its dnsNames replaced. */
export function certificateFor(dnsNames: unknown): KubeObject {
  return withField(certificate(), ["spec", "dnsNames"], dnsNames);
}
