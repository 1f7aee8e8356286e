// TLS for client traffic: the certificate comes from a kubernetes.io/tls Secret the user made in
// the workload's namespace, or from a cert-manager Certificate the workload makes (when the stack
// says cert-manager is there). Either way every pod mounts the Secret read-only at TLS_DIR, and
// each kind points its server at the files there and picks up a renewal without a restart.
import type * as k8s from "@pulumi/kubernetes";
import { objectNames, serviceDnsName } from "./names";

/** Where the containers that serve or speak TLS mount the certificate's Secret. */
export const TLS_DIR = "/tls";
/** The pod volume of the certificate's Secret. */
export const TLS_VOLUME = "tls";
/** The keys of a kubernetes.io/tls Secret (cert-manager writes ca.crt when its issuer knows it). */
export const TLS_FILES = { certificate: "tls.crt", key: "tls.key", ca: "ca.crt" } as const;
export const TLS_PATHS = {
  certificate: `${TLS_DIR}/${TLS_FILES.certificate}`,
  key: `${TLS_DIR}/${TLS_FILES.key}`,
  ca: `${TLS_DIR}/${TLS_FILES.ca}`,
} as const;
export const tlsMount = { name: TLS_VOLUME, mountPath: TLS_DIR, readOnly: true };

export const CERT_MANAGER_API_VERSION = "cert-manager.io/v1";
export const ISSUER_KINDS = ["Issuer", "ClusterIssuer"] as const;

/** A cert-manager issuer, by reference. */
export interface IssuerRef {
  name: string;
  /** @default "Issuer" (in the workload's namespace) */
  kind?: (typeof ISSUER_KINDS)[number];
  /** For external issuers; cert-manager's own by default. @default "cert-manager.io" */
  group?: string;
}

/**
 * TLS for a workload's clients: exactly one of `secretName` and `issuer`.
 * - `secretName`: a kubernetes.io/tls Secret in the workload's namespace (tls.crt, tls.key, and
 *   ca.crt where the kind needs it: Redis replicas verify their primary with it). The key must be
 *   PKCS#8 (`BEGIN PRIVATE KEY`) for Cassandra.
 * - `issuer`: a cert-manager Certificate `<name>-tls` for every name clients and peers use (the
 *   Services and each pod), written to the Secret `<name>-tls` and renewed by cert-manager.
 */
export interface TlsOptions {
  secretName?: string;
  issuer?: IssuerRef;
  /** The certificate's lifetime (cert-manager duration, e.g. 2160h). @default cert-manager's, 90 days */
  duration?: string;
  /** How long before expiry cert-manager renews it. @default cert-manager's, a third of the lifetime */
  renewBefore?: string;
}

/** The Secret a workload's pods mount: the user's, or the one its Certificate writes. */
export function tlsSecretName(workloadName: string, tls: TlsOptions): string {
  return tls.secretName ?? `${workloadName}-tls`;
}

/** The Certificate's name when the workload makes one. */
export function certificateName(workloadName: string): string {
  return `${workloadName}-tls`;
}

/**
 * Every name a client or a peer may reach a workload by, short and qualified: the headless Service,
 * each pod (as a wildcard under it), and the write and read Services where there are.
 */
export function certificateDnsNames(args: {
  name: string;
  namespace: string;
  clusterDomain: string;
  primaryAndReplicas: boolean;
}): string[] {
  const names = objectNames(args.name);
  const services = [
    names.service,
    ...(args.primaryAndReplicas ? [names.writeService, names.readService] : []),
  ];
  const forms = (service: string) => [
    service,
    `${service}.${args.namespace}`,
    `${service}.${args.namespace}.svc`,
    serviceDnsName(service, args.namespace, args.clusterDomain),
  ];
  return [
    ...services.flatMap(forms),
    `*.${serviceDnsName(names.service, args.namespace, args.clusterDomain)}`,
  ];
}

/** The pod volume of the certificate's Secret: readable by the pod's group (fsGroup), no one else. */
export function tlsVolume(secretName: string): k8s.types.input.core.v1.Volume {
  return { name: TLS_VOLUME, secret: { secretName, defaultMode: 0o440 } };
}

/**
 * The Certificate's spec: every name of `certificateDnsNames`, a PKCS#8 key (the one encoding
 * PostgreSQL, Redis and Cassandra's PEM reader all take) made anew at every renewal, for servers
 * and for the clients the pods are to each other (replication, gossip-free client links).
 */
export function certificateSpec(
  workload: Parameters<typeof certificateDnsNames>[0],
  tls: TlsOptions,
  labels: Record<string, string>,
) {
  const issuer = tls.issuer!;
  return {
    secretName: tlsSecretName(workload.name, tls),
    secretTemplate: { labels },
    dnsNames: certificateDnsNames(workload),
    issuerRef: {
      name: issuer.name,
      kind: issuer.kind ?? "Issuer",
      group: issuer.group ?? "cert-manager.io",
    },
    privateKey: { algorithm: "RSA", size: 2048, encoding: "PKCS8", rotationPolicy: "Always" },
    usages: ["server auth", "client auth", "digital signature", "key encipherment"],
    ...(tls.duration ? { duration: tls.duration } : {}),
    ...(tls.renewBefore ? { renewBefore: tls.renewBefore } : {}),
  };
}

/** pulumi-kubernetes' annotation that makes `pulumi up` wait for a condition of a custom resource. */
export const WAIT_FOR = "pulumi.com/waitFor";

/** A cert-manager duration: Go's, in hours, minutes and seconds (2160h, 90m, 1h30m). */
export const CERT_DURATION = /^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$/;

/** A problem with a workload's `tls`, relative to the workload. */
export interface TlsProblem {
  path: (string | number)[];
  message: string;
  input: unknown;
}

export const TLS_ONE_SOURCE =
  "must set exactly one of secretName (a kubernetes.io/tls Secret you made in the namespace) or issuer (a cert-manager Issuer or ClusterIssuer that signs a Certificate for the workload)";
export const DURATION_WITH_SECRET =
  "goes with issuer: the lifetime of a Secret you made is yours to manage";
export const CERT_DURATION_HINT =
  "must be a duration in hours, minutes or seconds, such as 2160h or 720h30m";
export const ISSUER_KIND_HINT = "must be Issuer (in the workload's namespace) or ClusterIssuer";
export const NGINX_TLS =
  "is for postgres, redis and cassandra: serve nginx over TLS from an Ingress or a Gateway in front of it";

/** What a workload's `tls` may be, whoever gives it (the stack's schema reports the same texts). */
export function tlsProblems(kind: string, tls: TlsOptions | undefined): TlsProblem[] {
  if (tls === undefined) return [];
  if (kind === "nginx") return [{ path: ["tls"], message: NGINX_TLS, input: tls }];
  const problems: TlsProblem[] = [];
  if ((tls.secretName === undefined) === (tls.issuer === undefined)) {
    problems.push({ path: ["tls"], message: TLS_ONE_SOURCE, input: tls });
  }
  for (const key of ["duration", "renewBefore"] as const) {
    if (tls[key] !== undefined && tls.secretName !== undefined) {
      problems.push({ path: ["tls", key], message: DURATION_WITH_SECRET, input: tls[key] });
    }
  }
  return problems;
}

/** What the stack's schema checks of single values, for a program that constructs a component. */
export function tlsShapeProblems(tls: TlsOptions | undefined): TlsProblem[] {
  if (tls === undefined) return [];
  const problems: TlsProblem[] = [];
  for (const key of ["duration", "renewBefore"] as const) {
    const value = tls[key];
    if (value !== undefined && (typeof value !== "string" || !CERT_DURATION.test(value))) {
      problems.push({ path: ["tls", key], message: CERT_DURATION_HINT, input: value });
    }
  }
  const kind = tls.issuer?.kind;
  if (kind !== undefined && !(ISSUER_KINDS as readonly string[]).includes(kind)) {
    problems.push({ path: ["tls", "issuer", "kind"], message: ISSUER_KIND_HINT, input: kind });
  }
  return problems;
}
