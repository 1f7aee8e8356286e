// The Secret is the source of truth for the database roles, at every start and after every change:
// the pod scripts (the `reconcile` sidecar and the `clone-primary` init container) against a real
// primary and a real streaming replica.
import { strict as assert } from "assert";
import { readFileSync, statSync, writeFileSync } from "fs";
import { join } from "path";
import { POSTGRES_CLONE_SCRIPT, POSTGRES_RECONCILE_SCRIPT } from "../../../components/postgres";
import { Background, Lab, newPasswords, Passwords, Pod, toolboxOrSkip, waitFor } from "./server";

describe("PostgreSQL pod scripts: roles follow the Secret (real server)", function () {
  this.timeout(60_000);
  let lab: Lab;
  let primary: Pod;
  let replica: Pod;
  let primarySidecar: Background;
  let replicaSidecar: Background | undefined;
  let passwords: Passwords;
  const allPasswords: string[] = [];

  const remember = (p: Passwords) => {
    allPasswords.push(...Object.values(p));
    return p;
  };
  const sidecar = (pod: Pod, extra: Record<string, string> = {}) =>
    lab.spawnScript(POSTGRES_RECONCILE_SCRIPT, pod.env(primary, extra));
  const initContainer = (pod: Pod) =>
    lab.run("bash", ["-c", POSTGRES_CLONE_SCRIPT], pod.env(primary));
  const receiverStatus = () => replica.sql("SELECT status FROM pg_stat_wal_receiver") || "none";
  const streaming = () => (receiverStatus() === "streaming" ? true : undefined);

  before(async function () {
    const tools = toolboxOrSkip(this);
    lab = new Lab(tools);
    primary = await lab.pod("db-0");
    replica = await lab.pod("db-1");
  });

  after(async () => {
    await lab?.cleanup();
  });

  it("first start: the sidecar creates the roles and the database from the Secret, then is ready", async () => {
    passwords = remember(newPasswords());
    primary.writeSecret(passwords);
    initContainer(primary);
    primary.initdb();
    primary.start();
    primarySidecar = sidecar(primary);
    await waitFor("the primary's sidecar to be ready", 20, () =>
      lab.attempt("test", ["-e", primary.marker]).status === 0 ? true : undefined,
    );
    assert.ok(primary.login("app", passwords.user, "app").ok, "app logs in to app");
    assert.ok(primary.login("postgres", passwords.superuser, "postgres").ok, "postgres logs in");
    assert.ok(
      primary.login("replicator", passwords.replication, "replication", true).ok,
      "replicator opens a replication connection (pg_hba line added)",
    );
    assert.equal(
      primary.sql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'"),
      "app",
    );
    assert.equal(primary.sql("SELECT rolsuper FROM pg_roles WHERE rolname = 'app'"), "f");
    assert.ok(!primary.login("app", "wrong", "app").ok, "a wrong password is refused");
    assert.match(primarySidecar.output(), /reconciled the roles with the Secret/);
  });

  it("the replica clones through the passfile, which is private and holds no other password", async () => {
    replica.writeSecret(passwords);
    const out = initContainer(replica);
    assert.match(out, /cloned the primary/);
    const mode = statSync(replica.passfile).mode & 0o777;
    assert.equal(mode.toString(8), "600");
    if (lab.tools.runAs) assert.equal(statSync(replica.passfile).uid, lab.tools.runAs.uid);
    assert.equal(
      readFileSync(replica.passfile, "utf8"),
      `*:*:*:replicator:${passwords.replication}\n`,
    );
    const auto = readFileSync(join(replica.pgdata, "postgresql.auto.conf"), "utf8");
    assert.match(auto, new RegExp(`primary_conninfo = '.*passfile=${replica.passfile}`));
    assert.doesNotMatch(auto, /password=/);
    replica.start();
    await waitFor("the replica to stream", 20, streaming);
    replicaSidecar = sidecar(replica);
    await waitFor("the replica's sidecar to be ready", 20, () =>
      lab.attempt("test", ["-e", replica.marker]).status === 0 ? true : undefined,
    );
    assert.match(replicaSidecar.output(), /a replica: .*nothing to reconcile/);
    primary.sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('one')", "app");
    await waitFor("the row on the replica", 10, () =>
      replica.trySql("SELECT string_agg(v, ',') FROM t", "app") === "one" ? true : undefined,
    );
  });

  it("a new application password in the Secret logs in without a restart; the old one no longer does", async () => {
    const old = passwords;
    passwords = remember({ ...old, user: newPasswords().user });
    primary.writeSecret(passwords);
    replica.writeSecret(passwords);
    await waitFor("the new app password to work", 10, () =>
      primary.login("app", passwords.user, "app").ok ? true : undefined,
    );
    assert.ok(!primary.login("app", old.user, "app").ok, "the old app password is refused");
    // The replica replays the change: a read-only client of the replica uses the new one too.
    await waitFor("the new app password on the replica", 10, () =>
      replica.login("app", passwords.user, "app").ok ? true : undefined,
    );
  });

  it("a new replication password: the replica keeps streaming, and reconnects with the new one", async () => {
    const old = passwords;
    passwords = remember({ ...old, replication: newPasswords().replication });
    // The kubelet refreshes the primary's files first; the replica's sidecar is not running yet.
    await replicaSidecar!.stop();
    primary.writeSecret(passwords);
    await waitFor("the new replication password on the primary", 10, () =>
      primary.login("replicator", passwords.replication, "replication", true).ok ? true : undefined,
    );
    assert.equal(receiverStatus(), "streaming", "an open stream is not cut by the change");
    // Cut the stream: the replica reconnects with its passfile, still the old password, and fails.
    const cut = Date.now();
    primary.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_replication");
    await waitFor("the replica's reconnection to be refused", 15, () =>
      /password authentication failed for user "replicator"/.test(primary.serverLog().slice(-20000))
        ? true
        : undefined,
    );
    assert.notEqual(receiverStatus(), "streaming");
    // The replica's files change; its sidecar rewrites the passfile; the next attempt gets in.
    replica.writeSecret(passwords);
    const refreshed = Date.now();
    replicaSidecar = sidecar(replica);
    await waitFor("the replica to stream again", 20, streaming);
    const back = Date.now();
    console.log(
      `      replica streaming again ${((back - refreshed) / 1000).toFixed(1)}s after its Secret files changed (${((back - cut) / 1000).toFixed(1)}s after the cut)`,
    );
    assert.equal(
      readFileSync(replica.passfile, "utf8"),
      `*:*:*:replicator:${passwords.replication}\n`,
    );
    primary.sql("INSERT INTO t VALUES ('two')", "app");
    await waitFor("the new row on the replica", 10, () =>
      replica.trySql("SELECT string_agg(v, ',' ORDER BY v) FROM t", "app") === "one,two"
        ? true
        : undefined,
    );
  });

  it("an old primary_conninfo with the password in it is rewritten at the replica's start", async () => {
    replica.stop();
    const auto = join(replica.pgdata, "postgresql.auto.conf");
    // What an earlier version's `pg_basebackup -R` wrote.
    writeFileSync(
      auto,
      `# Do not edit this file manually!\nprimary_conninfo = 'user=replicator password=${passwords.replication} host=127.0.0.1 port=${primary.port}'\n`,
    );
    const out = initContainer(replica);
    assert.match(out, /removing the replication password from primary_conninfo/);
    const text = readFileSync(auto, "utf8");
    assert.doesNotMatch(text, /password=/);
    assert.equal(text.match(/^primary_conninfo/gm)?.length, 1);
    assert.match(text, /^# Do not edit this file manually!$/m, "the rest of the file is kept");
    replica.start();
    await waitFor("the replica to stream", 20, streaming);
  });

  it("a changed user and database (a new pod template): created at the sidecar's start, owned by the new user", async () => {
    await primarySidecar.stop();
    primarySidecar = sidecar(primary, { APP_USER: "shop", APP_DATABASE: "orders" });
    await waitFor("the shop role to log in", 10, () =>
      primary.login("shop", passwords.user, "orders").ok ? true : undefined,
    );
    assert.equal(
      primary.sql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'orders'"),
      "shop",
    );
  });

  it("destroy and recreate: three new passwords over the old data directory log in", async () => {
    await primarySidecar.stop();
    await replicaSidecar?.stop();
    replica.stop();
    primary.stop();
    passwords = remember(newPasswords());
    for (const pod of [primary, replica]) pod.writeSecret(passwords);
    // The pods start in order: pod 0's init container and server, its sidecar; then pod 1.
    initContainer(primary);
    primary.start();
    primarySidecar = sidecar(primary);
    await waitFor("the new app password to work", 10, () =>
      primary.login("app", passwords.user, "app").ok ? true : undefined,
    );
    assert.ok(primary.login("postgres", passwords.superuser, "postgres").ok);
    assert.equal(primary.sql("SELECT count(*) FROM t", "app"), "2", "the old data is there");
    initContainer(replica);
    replica.start();
    replicaSidecar = sidecar(replica);
    await waitFor("the replica to stream with the new replication password", 20, streaming);
  });

  it("never writes a password to the server log or its own output", () => {
    const log = primary.serverLog() + replica.serverLog();
    assert.match(log, /statement: SELECT pg_is_in_recovery\(\)/, "statements were being logged");
    assert.ok(allPasswords.length >= 9);
    assert.match(lab.backgroundOutput(), /reconciled the roles/, "the sidecars' output was kept");
    for (const pw of allPasswords) {
      assert.ok(!log.includes(pw), "no password in the server logs");
      assert.ok(!lab.backgroundOutput().includes(pw), "no password in the sidecars' output");
    }
  });
});
