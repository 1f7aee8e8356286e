// cert-manager's Certificate API on a test cluster: its own CRD, as its Go module publishes it,
// installed by crds.ts. Only the API: no cert-manager controller comes with it, so a Certificate
// is stored and validated against the real schema, and nothing issues it; a test that needs the
// Secret a Certificate names makes it itself (selfSignedTlsSecret).
//
// The file: deploy/crds/cert-manager.io_certificates.yaml in the module zip, controller-gen's
// plain YAML. Its README calls that directory the source the Helm chart's CRDs are built from
// ("might be incomplete" for installing cert-manager: the chart adds labels and a keep
// annotation). The release's cert-manager.crds.yaml asset is rendered from the chart's template,
// deploy/charts/cert-manager/templates/crd-cert-manager.io_certificates.yaml, in the same zip:
// certificateCrd refuses the plain file unless its `spec` (the schema the API server validates
// with) equals that template's, read with only its Helm wrapper lines dropped (crdsOfHelmTemplate).
import { spawnSync } from "child_process";
import { isDeepStrictEqual } from "util";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { crdsOfFile, crdsOfHelmTemplate, ensureCrds, goModuleDir } from "./crds";
import { Kube, KubeObject } from "./kube";

/** The module that ships the CRD, and the version the suite installs (CERT_MANAGER_VERSION). */
export const CERT_MANAGER_MODULE = "github.com/cert-manager/cert-manager";
export const CERT_MANAGER_VERSION = process.env.CERT_MANAGER_VERSION ?? "v1.21.2";
const CRD_FILE = "deploy/crds/cert-manager.io_certificates.yaml";
const CHART_CRD_FILE = "deploy/charts/cert-manager/templates/crd-cert-manager.io_certificates.yaml";
const CRD_NAME = "certificates.cert-manager.io";

/** True when an object of a stack is in cert-manager's API group. */
export function isCertManagerObject(o: { apiVersion: string }): boolean {
  return o.apiVersion.startsWith("cert-manager.io/");
}

/** The module's directory in the Go module cache, downloading it through the module proxy. */
export function certManagerModuleDir(version = CERT_MANAGER_VERSION): string {
  return goModuleDir(CERT_MANAGER_MODULE, version, "the Certificate CRD");
}

/** The one CRD of a file, named `certificates.cert-manager.io`. */
function theCrd(file: string, docs: KubeObject[]): KubeObject {
  if (docs.length !== 1 || docs[0].metadata.name !== CRD_NAME) {
    throw new Error(`${file}: expected the ${CRD_NAME} CRD, found ${docs.length} CRDs`);
  }
  return docs[0];
}

/** The Certificate CRD, as the module ships it, once its schema is the chart's. */
export function certificateCrd(dir: string): KubeObject {
  const plain = theCrd(join(dir, CRD_FILE), crdsOfFile(join(dir, CRD_FILE)));
  const chart = theCrd(join(dir, CHART_CRD_FILE), crdsOfHelmTemplate(join(dir, CHART_CRD_FILE)));
  if (!isDeepStrictEqual(plain.spec, chart.spec)) {
    throw new Error(
      `${CERT_MANAGER_MODULE}@${CERT_MANAGER_VERSION}: the spec of ${CRD_FILE} differs from the Helm chart's ${CHART_CRD_FILE}: install from the chart's`,
    );
  }
  return plain;
}

/**
 * Makes sure the cluster serves Certificate in cert-manager.io/v1: installs the upstream CRD when
 * it does not. Returns what it did.
 */
export async function ensureCertificateCrd(kube: Kube): Promise<string> {
  return ensureCrds(kube, {
    groupVersion: "cert-manager.io/v1",
    kinds: ["Certificate"],
    source: `${CERT_MANAGER_MODULE}@${CERT_MANAGER_VERSION} (${CRD_FILE})`,
    load: () => [certificateCrd(certManagerModuleDir())],
  });
}

/** The parts of a Certificate's spec a stand-in for its issuer reads. */
export interface CertificateSpec {
  secretName: string;
  dnsNames?: string[];
  commonName?: string;
  privateKey?: { algorithm?: string; size?: number };
}

/**
 * What cert-manager's controller would write for a Certificate, made here with openssl instead: a
 * kubernetes.io/tls Secret `spec.secretName` holding a self-signed certificate for its dnsNames
 * (server and client auth, valid a day), its RSA key in PKCS#8 and the certificate again as ca.crt.
 */
export function selfSignedTlsSecret(
  namespace: string,
  spec: CertificateSpec,
  labels: Record<string, string> = {},
): KubeObject {
  if ((spec.privateKey?.algorithm ?? "RSA") !== "RSA") {
    throw new Error(`selfSignedTlsSecret makes RSA keys, not ${spec.privateKey?.algorithm}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "tls-secret-"));
  try {
    const names = spec.dnsNames ?? [];
    const cn = spec.commonName ?? names.find((n) => !n.startsWith("*.")) ?? spec.secretName;
    const ext = join(dir, "ext.cnf");
    writeFileSync(
      ext,
      [
        "[req]",
        "distinguished_name = dn",
        "[dn]",
        "[v3]",
        "basicConstraints = critical, CA:TRUE",
        "keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign",
        "extendedKeyUsage = serverAuth, clientAuth",
        ...(names.length ? [`subjectAltName = ${names.map((n) => `DNS:${n}`).join(", ")}`] : []),
        "",
      ].join("\n"),
    );
    const r = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        `rsa:${spec.privateKey?.size ?? 2048}`,
        "-nodes",
        "-days",
        "1",
        "-subj",
        `/CN=${cn}`,
        "-config",
        ext,
        "-extensions",
        "v3",
        "-keyout",
        join(dir, "tls.key"),
        "-out",
        join(dir, "tls.crt"),
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr || r.error}`);
    const key = readFileSync(join(dir, "tls.key"));
    if (!key.toString().startsWith("-----BEGIN PRIVATE KEY-----")) {
      throw new Error("openssl did not write a PKCS#8 key (BEGIN PRIVATE KEY)");
    }
    const crt = readFileSync(join(dir, "tls.crt"));
    return {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: spec.secretName, namespace, labels },
      type: "kubernetes.io/tls",
      data: {
        "tls.crt": crt.toString("base64"),
        "tls.key": key.toString("base64"),
        "ca.crt": crt.toString("base64"),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The DNS names (subjectAltName) of a PEM certificate, as openssl reads them. */
export function certificateDnsNamesOf(pem: string): string[] {
  const r = spawnSync("openssl", ["x509", "-noout", "-ext", "subjectAltName"], {
    input: pem,
    encoding: "utf8",
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`openssl x509 failed: ${r.stderr || r.error}`);
  return [...r.stdout.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]);
}

/** True when a PEM certificate matches `host` as a TLS client checks it (openssl's -checkhost). */
export function certificateMatchesHost(pem: string, host: string): boolean {
  const r = spawnSync("openssl", ["x509", "-noout", "-checkhost", host], {
    input: pem,
    encoding: "utf8",
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`openssl x509 -checkhost failed: ${r.stderr || r.error}`);
  if (/ does match certificate/.test(r.stdout)) return true;
  if (/ does NOT match certificate/.test(r.stdout)) return false;
  throw new Error(`openssl x509 -checkhost ${host}: unexpected output: ${r.stdout}`);
}
