// Certificates for the pod tests, made with openssl the way a cert-manager CA issuer makes them:
// a CA, and a certificate it signs with a PKCS#8 key (the encoding the workloads ask cert-manager
// for), written as a kubernetes.io/tls Secret's files (tls.crt, tls.key, ca.crt).
import { execFileSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { TLS_FILES } from "../../components/tls";

/** The three files of a new CA and a certificate for `names` (DNS names or IP addresses). */
export function makeCertificate(
  serial: number,
  names: string[] = ["localhost", "127.0.0.1"],
): Record<(typeof TLS_FILES)[keyof typeof TLS_FILES], Buffer> {
  const dir = mkdtempSync(join(tmpdir(), "certificate-"));
  try {
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    ssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=test-ca",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
    );
    ssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "tls.key");
    ssl("req", "-new", "-key", "tls.key", "-subj", `/CN=${names[0]}`, "-out", "tls.csr");
    const san = names.map((n) => (/^[0-9.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
    writeFileSync(join(dir, "san.ext"), `subjectAltName=${san}\n`);
    ssl(
      "x509",
      "-req",
      "-in",
      "tls.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-set_serial",
      String(serial),
      "-days",
      "2",
      "-extfile",
      "san.ext",
      "-out",
      "tls.crt",
    );
    return {
      [TLS_FILES.certificate]: readFileSync(join(dir, "tls.crt")),
      [TLS_FILES.key]: readFileSync(join(dir, "tls.key")),
      [TLS_FILES.ca]: readFileSync(join(dir, "ca.crt")),
    } as Record<(typeof TLS_FILES)[keyof typeof TLS_FILES], Buffer>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The serial (as openssl prints it: `serial=03E9`) of the certificate a TLS server presents. */
export function servedSerial(connect: string, starttls?: string): string {
  const out = execFileSync(
    "openssl",
    ["s_client", ...(starttls ? ["-starttls", starttls] : []), "-connect", connect],
    { input: "", stdio: "pipe", timeout: 10_000 },
  ).toString();
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out);
  if (!pem) throw new Error(`no certificate from ${connect}: ${out}`);
  return execFileSync("openssl", ["x509", "-noout", "-serial"], { input: pem[0] })
    .toString()
    .trim();
}

/** openssl's form of a serial number. */
export const serialText = (serial: number) =>
  `serial=${serial
    .toString(16)
    .toUpperCase()
    .padStart(serial > 255 ? 4 : 2, "0")}`;
