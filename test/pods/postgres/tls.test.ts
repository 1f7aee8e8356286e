// TLS on a real PostgreSQL, configured as the pods configure it: the settings and pg_hba.conf of
// the component (POSTGRES_TLS_SETTINGS, postgresTlsHba), with the mounted certificate's files where
// a test puts them, and the sidecar that reloads the server when the certificate is renewed.
import { strict as assert } from "assert";
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { POSTGRES_TLS_SETTINGS, postgresTlsHba } from "../../../components/postgres";
import { TLS_DIR, TLS_FILES } from "../../../components/tls";
import { makeCertificate, servedSerial, serialText } from "../certificates";
import {
  Background,
  containers,
  firstReplica,
  Lab,
  newPasswords,
  Passwords,
  Pod,
  toolboxOrSkip,
  untilStreaming,
  waitFor,
} from "./server";

describe("PostgreSQL pod scripts: TLS (real server)", function () {
  this.timeout(60_000);
  let lab: Lab;
  let passwords: Passwords;
  let primary: Pod;
  let sidecar: Background;
  /** The pod's TLS_DIR: the certificate's Secret as the kubelet mounts it. */
  let tlsDir: string;
  let settings: Record<string, string>;

  /** Puts a new certificate in place the way the kubelet does: the files change, the path stays. */
  const install = (serial: number) => {
    for (const [file, content] of Object.entries(makeCertificate(serial))) {
      const path = join(tlsDir, file);
      writeFileSync(path, content);
      // The Secret's volume: root's files, readable by the pod's group (fsGroup), mode 0440.
      const runAs = lab.tools.runAs;
      if (runAs) chownSync(path, 0, runAs.gid);
      chmodSync(path, runAs ? 0o440 : 0o600);
    }
  };
  const served = () => servedSerial(`127.0.0.1:${primary.port}`, "postgres");
  /** psql over TCP as the application role, with `conn` added (sslmode and the like). */
  const connect = (
    conn: string,
    query = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
  ) =>
    lab.attempt(
      "psql",
      [
        "-X",
        "-w",
        "-A",
        "-t",
        `host=localhost port=${primary.port} user=app dbname=app ${conn}`,
        "-c",
        query,
      ],
      { PGPASSWORD: passwords.user, PGCONNECT_TIMEOUT: "5" },
    );

  before(async function () {
    lab = new Lab(toolboxOrSkip(this));
    passwords = newPasswords();
    tlsDir = join(lab.root, "tls");
    mkdirSync(tlsDir);
    lab.own(tlsDir);
    install(1001);
    const scripts = join(lab.root, "scripts");
    mkdirSync(scripts);
    writeFileSync(join(scripts, "pg_hba.conf"), postgresTlsHba("replicator"));
    // The component's settings, with the pod's paths where this test has the files.
    settings = Object.fromEntries(
      Object.entries(POSTGRES_TLS_SETTINGS).map(([k, v]) => [
        k,
        v.replace(`${TLS_DIR}/`, `${tlsDir}/`).replace(/^\/scripts\//, `${scripts}/`),
      ]),
    );
    assert.notDeepEqual(settings, POSTGRES_TLS_SETTINGS, "the paths were moved");
    primary = await lab.pod("db-0");
    primary.writeSecret(passwords);
    containers.init(primary, primary);
    primary.initdb();
    primary.start(settings);
    sidecar = containers.sidecar(primary, primary, { TLS_DIR: tlsDir });
    await waitFor("the sidecar to reconcile", 20, () =>
      existsSync(primary.marker) ? true : undefined,
    );
  });

  after(async () => {
    await lab?.cleanup();
  });

  it("refuses a client without TLS, and serves one that verifies the certificate", () => {
    const plain = connect("sslmode=disable");
    assert.notEqual(plain.status, 0, plain.output);
    assert.match(plain.output, /no pg_hba\.conf entry .*no encryption/);
    const verified = connect(`sslmode=verify-full sslrootcert=${join(tlsDir, TLS_FILES.ca)}`);
    assert.equal(verified.status, 0, verified.output);
    assert.equal(verified.output.trim(), "t", "the session is encrypted");
    const wrongPassword = lab.attempt(
      "psql",
      [
        "-X",
        "-w",
        `host=localhost port=${primary.port} user=app dbname=app sslmode=require`,
        "-c",
        "SELECT 1",
      ],
      { PGPASSWORD: "not-the-password", PGCONNECT_TIMEOUT: "5" },
    );
    assert.match(wrongPassword.output, /password authentication failed/, "TLS and a password");
  });

  it("a replica clones and streams over TLS, with the libpq defaults the scripts use", async () => {
    const replica = await lab.pod("db-1");
    await firstReplica(replica, primary, passwords);
    await untilStreaming(replica);
    assert.equal(
      primary.sql(
        "SELECT string_agg(s.ssl::text, ',') FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)",
      ),
      "true",
      "the WAL sender's connection is encrypted",
    );
    replica.stop();
  });

  it("the sidecar reloads the server when the certificate is renewed: new connections get it, no restart", async () => {
    assert.equal(served(), serialText(1001));
    const started = primary.sql("SELECT pg_postmaster_start_time()");
    install(1002);
    await waitFor("the reload line", 15, () =>
      sidecar.output().includes("reloaded the server: it serves the renewed TLS certificate")
        ? true
        : undefined,
    );
    await waitFor("the renewed certificate", 10, () =>
      served() === serialText(1002) ? true : undefined,
    );
    assert.equal(primary.sql("SELECT pg_postmaster_start_time()"), started, "no restart");
    const verified = connect(`sslmode=verify-full sslrootcert=${join(tlsDir, TLS_FILES.ca)}`);
    assert.equal(verified.status, 0, `the new CA verifies the new certificate: ${verified.output}`);
    assert.equal(
      sidecar.output().match(/^reloaded the server/gm)?.length,
      1,
      "once per renewal, not per pass",
    );
  });
});
