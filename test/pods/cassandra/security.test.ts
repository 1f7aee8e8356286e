// The Cassandra pod's own scripts against a real node: the start script's cassandra.yaml edits
// (PasswordAuthenticator, TLS for clients, a refusal to start without them), and the admin
// sidecar (the superuser from the Secret, the default role disabled, system_auth replicated,
// rotation, a renewed certificate loaded without a restart). One node serves the whole suite, in
// order: a first start with auth, a rotation, then a restart with TLS.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { statSync, writeFileSync } from "fs";
import { join } from "path";
import { CASSANDRA_SSL_CHECK_SECONDS } from "../../../components/cassandra";
import { TLS_FILES } from "../../../components/tls";
import { makeCertificate, serialText, servedSerial } from "../certificates";
import {
  Background,
  baseYaml,
  Node,
  opensslOrSkip,
  runStartScript,
  sleep,
  toolboxOrSkip,
  waitFor,
} from "./node";

const AUTH = { auth: true, tls: false };
const BOTH = { auth: true, tls: true };
const SUPERUSER = "admin";

/** Waits until a process has printed a line matching `pattern` (its output arrives in chunks). */
async function said(process: Background, pattern: RegExp, seconds = 30): Promise<void> {
  await waitFor(`the output to match ${pattern}`, seconds, () =>
    pattern.test(process.output()) ? true : undefined,
  );
}

let counter = 0;
/** A password as the component generates them: 32 letters and digits, new on every call. */
function newPassword(): string {
  counter += 1;
  const r = () => Math.random().toString(36).slice(2, 12);
  return `${counter}x${r()}${r()}${r()}`.slice(0, 32).padEnd(32, "q");
}

/** What the start script takes for the TLS Secret's files: it reads only the key's first line. */
const TLS_SECRET = {
  [TLS_FILES.key]: "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
  [TLS_FILES.certificate]: "-----BEGIN CERTIFICATE-----\nMIID\n-----END CERTIFICATE-----\n",
};
const PORTS = { storage: 7000, cql: 9042 };

describe("Cassandra pod scripts: the start script's cassandra.yaml edits (no server)", () => {
  it("replaces each block whatever its form, keeps the rest, and runs the entrypoint after", () => {
    const yaml = baseYaml(PORTS);
    const plain = runStartScript(AUTH, yaml);
    assert.equal(plain.status, 0, plain.output);
    assert.match(plain.output, /PasswordAuthenticator, CassandraAuthorizer, CassandraRoleManager/);
    assert.match(plain.output, /^entrypoint ran: cassandra -f$/m);
    const edited = plain.yaml;
    for (const [key, cls] of [
      ["authenticator", "PasswordAuthenticator"],
      ["authorizer", "CassandraAuthorizer"],
      ["role_manager", "CassandraRoleManager"],
    ]) {
      assert.equal(edited.match(new RegExp(`^${key}\\s*:`, "gm"))?.length, 1, key);
      assert.match(
        edited,
        new RegExp(`^${key}:\\n  class_name: org\\.apache\\.cassandra\\.auth\\.${cls}$`, "m"),
      );
    }
    assert.doesNotMatch(edited, /AllowAll(Authenticator|Authorizer)/);
    // What was around the blocks is kept: comments, other keys, the commented alternatives.
    assert.match(
      edited,
      /^# {2}class_name : org\.apache\.cassandra\.auth\.MutualTlsAuthenticator$/m,
    );
    assert.match(edited, /^network_authorizer: AllowAllNetworkAuthorizer$/m);
    assert.match(edited, /^client_encryption_options:\n {2}# Enable client-to-server/m);
    // The same edits over a file that already has them (a container restarted in place).
    const again = runStartScript(AUTH, edited);
    assert.equal(again.status, 0, again.output);
    assert.equal(again.yaml, edited);

    const tls = runStartScript(BOTH, yaml, TLS_SECRET);
    assert.equal(tls.status, 0, tls.output);
    assert.equal(tls.yaml.match(/^client_encryption_options\s*:/gm)?.length, 1);
    assert.match(
      tls.yaml,
      /^client_encryption_options:\n {2}enabled: true\n {2}optional: false\n {2}keystore: \/.*\/keystore\.pem\n/m,
    );
    assert.doesNotMatch(
      tls.yaml,
      /keystore_password: cassandra\n {2}# Verify client/,
      "the old block is gone",
    );
    assert.match(tls.yaml, /^# internode_compression controls/m, "what follows the block is kept");
  });

  it("refuses to start a node without auth or TLS when a line to replace is missing or twice there", () => {
    const yaml = baseYaml(PORTS);
    const cases: [string, string, string, typeof AUTH][] = [
      ["no authenticator", yaml.replace(/^authenticator:\n.*\n/m, ""), "authenticator", AUTH],
      ["a second authorizer", `${yaml}authorizer: AllowAllAuthorizer\n`, "authorizer", AUTH],
      [
        "no client_encryption_options",
        yaml.replace(/^client_encryption_options:\n( .*\n|\n)*/m, ""),
        "client_encryption_options",
        BOTH,
      ],
    ];
    for (const [what, text, key, security] of cases) {
      const { status, output } = runStartScript(security, text, TLS_SECRET);
      assert.notEqual(status, 0, what);
      assert.match(
        output,
        new RegExp(`expected one line '${key}:' at the top level, found [02]: not starting`),
        what,
      );
      assert.doesNotMatch(output, /entrypoint ran/, what);
    }
  });

  it("refuses to start with TLS and no certificate, or a key Cassandra cannot read (not PKCS#8)", () => {
    const none = runStartScript(BOTH, baseYaml(PORTS));
    assert.notEqual(none.status, 0);
    assert.match(none.output, /no certificate in .*tls \(tls\.key and tls\.crt\)/);
    assert.doesNotMatch(none.output, /entrypoint ran/);
    const pkcs1 = runStartScript(BOTH, baseYaml(PORTS), {
      ...TLS_SECRET,
      [TLS_FILES.key]: "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
    });
    assert.notEqual(pkcs1.status, 0);
    assert.match(pkcs1.output, /is not an unencrypted PKCS#8 key/);
    assert.doesNotMatch(pkcs1.output, /entrypoint ran/);
  });
});

describe("Cassandra pod scripts: the superuser and TLS (real node)", function () {
  this.timeout(180_000);
  let node: Node;
  const passwords: string[] = [];
  let password = "";
  const timings: string[] = [];
  const ready = () => (node.read(node.readyMarker) !== undefined ? true : undefined);
  const remember = (p: string) => {
    passwords.push(p);
    return p;
  };

  before(async function () {
    // The first run fetches the jars and cqlsh (a minute or two), later runs find them cached.
    this.timeout(20 * 60_000);
    const tools = toolboxOrSkip(this);
    opensslOrSkip(this);
    node = await Node.create(tools);
  });

  after(async () => {
    if (timings.length > 0) console.log(timings.map((t) => `      ${t}`).join("\n"));
    await node?.destroy();
  });

  describe("a node with auth", () => {
    let sidecar: Background;

    it("first start: the sidecar creates the superuser, disables the default role, replicates system_auth, then is ready", async () => {
      password = remember(newPassword());
      node.writeSecret(password);
      const started = Date.now();
      node.startServer(AUTH);
      sidecar = node.startSidecar(AUTH);
      const serving = await node.untilServing();
      assert.equal(ready(), undefined, "not ready before the superuser exists");
      await waitFor("the sidecar to be ready", 90, ready);
      timings.push(
        `first start: CQL after ${serving.toFixed(1)} s, the sidecar ready after ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      assert.ok(node.logsIn(SUPERUSER, password), "the superuser logs in");
      assert.ok(!node.logsIn("cassandra", "cassandra"), "the default role no longer logs in");
      assert.ok(!node.logsIn(SUPERUSER, "not-the-password"), "a wrong password is refused");
      const anonymous = node.cql("SELECT release_version FROM system.local");
      assert.equal(anonymous.ok, false);
      assert.match(anonymous.output, /Remote end requires authentication/);
      const roles = node.cql("SELECT role, is_superuser, can_login FROM system_auth.roles", {
        role: SUPERUSER,
        password,
      }).output;
      assert.match(roles, /^\s*admin \|\s+True \|\s+True$/m);
      assert.match(roles, /^\s*cassandra \|\s+False \|\s+False$/m);
      assert.match(
        node.cql(
          "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = 'system_auth'",
          { role: SUPERUSER, password },
        ).output,
        /\{'class': 'org\.apache\.cassandra\.locator\.NetworkTopologyStrategy', 'dc1': '1'\}/,
      );
      await said(
        sidecar,
        /created the superuser admin \(logged in as the default role cassandra\)/,
      );
      await said(
        sidecar,
        /disabled the default role cassandra: no login, no superuser, a random password/,
      );
      await said(
        sidecar,
        /system_auth: replicated on 1 of the 1 nodes of dc1 .*run nodetool repair/,
      );
      const state = statSync(node.stateFile);
      assert.equal((state.mode & 0o777).toString(8), "600", "the applied password is private");
      assert.equal(node.read(node.stateFile), password);
    });

    it("a new password in the Secret is applied without a restart; the old one stops working", async () => {
      const old = password;
      password = remember(newPassword());
      const changed = Date.now();
      node.writeSecret(password);
      await waitFor("the new password to log in", 30, () =>
        node.logsIn(SUPERUSER, password) ? true : undefined,
      );
      timings.push(
        `rotation: the new password logs in ${((Date.now() - changed) / 1000).toFixed(1)} s after the file changed (the sidecar polls every 1 s here, every 10 s in a pod)`,
      );
      // The credentials cache (credentials_validity 2 s) may answer for the old one a moment longer.
      await waitFor("the old password to be refused", 10, () =>
        node.logsIn(SUPERUSER, old) ? undefined : true,
      );
      // The sidecar records it once the node answers with it (its credentials cache settled).
      await waitFor("the sidecar to record the new password", 30, () =>
        node.read(node.stateFile) === password ? true : undefined,
      );
      await said(sidecar, /changed the password of the superuser admin to the Secret's/);
      assert.equal(node.server!.exited(), false, "no restart");
    });

    it("two pods' sidecars at once, one seeing the new Secret later: the password never goes back", async () => {
      const old = password;
      password = remember(newPassword());
      // Pod 1's sidecar: its own Secret files (still the old password), state file and directory.
      const other = join(node.dir, "pod-1");
      node.writeSecret(old, join(other, "auth"));
      const second = node.otherSidecar(AUTH, {
        SECRETS_DIR: join(other, "auth"),
        STATE_FILE: join(other, "superuser-password"),
        ADMIN_DIR: join(other, "admin"),
        // It looks again at every pass, not only when its Secret's file changes.
        ADMIN_RECHECK: "1",
      });
      await waitFor("pod 1's sidecar to be ready", 30, () =>
        node.read(join(other, "admin", "ready")) !== undefined ? true : undefined,
      );
      node.writeSecret(password); // pod 0's files change first
      await waitFor("the new password to log in", 30, () =>
        node.logsIn(SUPERUSER, password) ? true : undefined,
      );
      await sleep(4000); // pod 1's sidecar keeps trying with the old password meanwhile
      assert.ok(node.logsIn(SUPERUSER, password), "still the new password");
      assert.match(second.output(), /waiting: the superuser admin does not log in/);
      assert.doesNotMatch(second.output(), /changed the password|created the superuser/);
      node.writeSecret(password, join(other, "auth")); // then pod 1's
      await waitFor("pod 1's sidecar to record the new password", 30, () =>
        node.read(join(other, "superuser-password")) === password ? true : undefined,
      );
      assert.ok(node.logsIn(SUPERUSER, password));
      await second.stop(5);
    });
  });

  describe("the same node restarted with TLS", () => {
    let sidecar: Background;
    let ca: string;

    it("a restart keeps the superuser, applies a password changed while the node was down, and serves TLS only", async () => {
      await node.stop();
      const old = password;
      password = remember(newPassword());
      node.writeSecret(password);
      node.writeCertificate(makeCertificate(1001, ["localhost", "127.0.0.1"]));
      ca = join(node.tls, TLS_FILES.ca);
      const started = Date.now();
      node.startServer(BOTH);
      sidecar = node.startSidecar(BOTH);
      // The claim says this node applied a password before: ready without waiting for the node.
      await waitFor("the sidecar to be ready", 10, ready);
      const serving = await node.untilServing();
      await waitFor("the new password to log in (over TLS)", 60, () =>
        node.logsIn(SUPERUSER, password, { ca }) ? true : undefined,
      );
      timings.push(
        `restart with TLS: CQL after ${serving.toFixed(1)} s, the Secret's new password applied after ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      await waitFor("the sidecar to record the new password", 30, () =>
        node.read(node.stateFile) === password ? true : undefined,
      );
      await said(sidecar, /this node applied the superuser's password before: ready/);
      await said(sidecar, /changed the password of the superuser admin to the Secret's/);
      assert.ok(!node.logsIn(SUPERUSER, old, { ca }), "the password from before is refused");
      assert.ok(!node.logsIn("cassandra", "cassandra", { ca }), "the default role stays disabled");
      assert.match(node.server!.output(), /clients connect over TLS only/);
      const keystore = statSync(node.keystore);
      assert.equal((keystore.mode & 0o777).toString(8), "600");
    });

    it("refuses a plain CQL connection; a TLS one checked against the CA logs in", () => {
      const plain = node.cql("SELECT release_version FROM system.local", {
        role: SUPERUSER,
        password,
      });
      assert.equal(plain.ok, false);
      assert.doesNotMatch(plain.output, /5\.0\.\d/);
      const tls = node.cql(
        "SELECT release_version FROM system.local",
        { role: SUPERUSER, password },
        { ca },
      );
      assert.ok(tls.ok, tls.output);
      assert.match(tls.output, /^\s*5\.0\.\d+$/m);
      // cqlsh 6.2 with the Python driver 3.30 does not check the server's certificate, even
      // with a CA given (the driver sets the context's options, not its verify_mode): openssl
      // shows that the chain served checks against the Secret's CA, and not against another.
      const otherCa = join(node.dir, "other-ca.crt");
      writeFileSync(otherCa, makeCertificate(7)[TLS_FILES.ca]);
      assert.ok(node.servesChainOf(ca), "the served certificate checks against the CA");
      assert.ok(!node.servesChainOf(otherCa), "and not against another CA");
      assert.equal(servedSerial(`127.0.0.1:${node.ports.cql}`), serialText(1001));
    });

    it("a renewed certificate is served to new connections without a restart", async () => {
      const renewed = makeCertificate(1002, ["localhost", "127.0.0.1"]);
      const pid = node.server!.child.pid;
      const changed = Date.now();
      node.writeCertificate(renewed);
      await waitFor("the renewed certificate to be served", 60, () =>
        servedSerial(`127.0.0.1:${node.ports.cql}`) === serialText(1002) ? true : undefined,
      );
      const seconds = (Date.now() - changed) / 1000;
      timings.push(
        `renewal: the new certificate served ${seconds.toFixed(1)} s after the files changed (sidecar poll 1 s + nodetool reloadssl; Cassandra alone would take up to ${CASSANDRA_SSL_CHECK_SECONDS} s)`,
      );
      assert.equal(node.server!.exited(), false);
      assert.equal(node.server!.child.pid, pid, "the same server process");
      await said(sidecar, /rebuilt .*keystore\.pem from the certificate/);
      await said(sidecar, /Cassandra reloaded its certificate \(nodetool reloadssl\)/);
      await said(node.server!, /SSL certificates have been updated for client_encryption_options/);
      assert.ok(node.logsIn(SUPERUSER, password, { ca: join(node.tls, TLS_FILES.ca) }));
    });

    it("without the sidecar's reload, the node keeps serving the old certificate (its own check waits 600 s)", async () => {
      await sidecar.stop(5);
      node.writeCertificate(makeCertificate(1003, ["localhost", "127.0.0.1"]));
      // The keystore rebuilt as the sidecar would, without `nodetool reloadssl`.
      execFileSync("bash", [
        "-c",
        `umask 077; awk 1 "${node.tls}/tls.key" "${node.tls}/tls.crt" >"${node.keystore}.new" && mv -f "${node.keystore}.new" "${node.keystore}"`,
      ]);
      await sleep(5000);
      assert.equal(
        servedSerial(`127.0.0.1:${node.ports.cql}`),
        serialText(1002),
        "still the old one",
      );
      node.nodetool("reloadssl");
      assert.equal(servedSerial(`127.0.0.1:${node.ports.cql}`), serialText(1003));
    });
  });

  describe("what the node and the sidecars printed", () => {
    it("holds no password", () => {
      const everything = node.everything();
      assert.match(everything, /created the superuser admin/, "the output was kept");
      assert.match(everything, /Starting listening for CQL clients/, "the node's log was kept");
      assert.ok(passwords.length >= 4);
      for (const p of passwords) assert.ok(!everything.includes(p), "no password in any output");
    });
  });
});
