// Pod 0 coming back with an empty claim while pod 1 holds the database: its init container holds
// it back with one log line instead of initialising a new, empty primary that the replicas cannot
// follow; restore.sh rebuilds it from pod 1 and promotes it, and pod 1 follows the new primary.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { POSTGRES_RESTORE_SCRIPT } from "../../../components/postgres";
import { freePort } from "../ports";
import {
  Background,
  containers,
  firstPrimary,
  firstReplica,
  Lab,
  newPasswords,
  Passwords,
  Pod,
  sleep,
  toolboxOrSkip,
  untilAnswers,
  untilStreaming,
  waitFor,
} from "./server";

/** A pod 1 name that no resolver knows, as for a pod 1 that does not exist. */
const ABSENT = "db-1.db.data.svc.cluster.local";

describe("PostgreSQL pod scripts: pod 0 back with an empty claim (real server)", function () {
  this.timeout(60_000);
  let lab: Lab;
  let passwords: Passwords;
  const background: Background[] = [];

  before(function () {
    lab = new Lab(toolboxOrSkip(this));
    passwords = newPasswords();
  });

  after(async () => {
    await lab?.cleanup();
  });

  afterEach(async () => {
    for (const b of background.splice(0)) await b.stop();
  });

  /** Pod 0's init container, asking `pod1` (host and port) before it initialises anything. */
  const pod0Init = (pod0: Pod, host: string, port: number, extra: Record<string, string> = {}) => {
    const init = containers.initInBackground(pod0, pod0, {
      FIRST_REPLICA_HOST: host,
      FIRST_REPLICA_PORT: String(port),
      HOLD_INTERVAL: "0.3",
      ...extra,
    });
    background.push(init);
    return init;
  };
  const restore = (pod: Pod, host: string, port: number) =>
    lab.attempt("bash", ["-c", POSTGRES_RESTORE_SCRIPT], {
      ...pod.env(pod),
      FIRST_REPLICA_HOST: host,
      FIRST_REPLICA_PORT: String(port),
    });
  const lines = (b: Background) => b.output().split("\n").filter(Boolean);

  it("holds with one line while pod 1 holds the database; restore.sh rebuilds it from pod 1, promoted, and pod 1 follows", async () => {
    const pod0 = await lab.pod("db-0");
    const pod1 = await lab.pod("db-1");
    const sidecar0 = await firstPrimary(pod0, passwords);
    await firstReplica(pod1, pod0, passwords);
    pod0.sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')");
    await untilAnswers(pod1, "SELECT count(*) FROM t", "1");
    const sidecar1 = containers.sidecar(pod1, pod0, { STREAM_STALL_SECONDS: "1" });
    background.push(sidecar1);
    const pod1Id = pod1.control()["Database system identifier"];

    // Pod 0 loses its claim.
    await sidecar0.stop();
    pod0.wipeClaim();
    const init = pod0Init(pod0, "127.0.0.1", pod1.port);
    await waitFor("the hold line", 10, () => (lines(init).length > 0 ? true : undefined));
    await sleep(1500);
    assert.equal(init.exited(), false, "held: the pod stays in Init");
    assert.deepEqual(lines(init), [
      `NOT STARTING: ${pod0.pgdata} is empty, and 127.0.0.1 holds a database (system identifier ${pod1Id}); as the primary this pod would start a new, empty database that no replica can follow. Rebuild this pod from it: kubectl exec db-0 -c clone-primary -- bash /scripts/restore.sh (README, PostgreSQL: pod 0 lost its data)`,
    ]);
    assert.deepEqual(pod0.claimEntries(), [], "nothing initialised");
    // Pod 1 keeps its data: the primary does not answer, so nothing says it must clone again.
    await waitFor("pod 1's sidecar to look", 10, () =>
      /not streaming for 1s: the primary 127\.0\.0\.1 does not answer/.test(sidecar1.output())
        ? true
        : undefined,
    );
    assert.equal(pod1.read(pod1.restartFile), undefined);

    // What a human runs in pod 0's init container.
    const restored = restore(pod0, "127.0.0.1", pod1.port);
    assert.equal(restored.status, 0, restored.output);
    assert.match(
      restored.output,
      /^restore: copying 127\.0\.0\.1, which replayed up to [0-9A-F]+\/[0-9A-F]+, into /m,
    );
    assert.match(
      restored.output,
      /^restore: \S+\/pgdata holds the data of 127\.0\.0\.1, promoted to timeline 2: this pod starts from it as the primary$/m,
    );
    assert.deepEqual(pod0.claimEntries(), ["pgdata"], "no scratch directories left");
    await waitFor("the init container to end", 10, () => (init.exited() ? true : undefined));
    assert.equal(init.child.exitCode, 0);
    assert.deepEqual(lines(init).slice(1), [
      `${pod0.pgdata} holds a data directory now: starting as the primary`,
      "pod 0 is the primary: nothing to clone",
    ]);

    pod0.start();
    background.push(containers.sidecar(pod0, pod0));
    assert.equal(pod0.sql("SELECT pg_is_in_recovery()"), "f");
    assert.equal(pod0.sql("SELECT timeline_id FROM pg_control_checkpoint()"), "2");
    assert.equal(pod0.control()["Database system identifier"], pod1Id, "pod 1's database");
    assert.equal(pod0.sql("SELECT string_agg(v, ',') FROM t"), "kept");
    // Pod 1 makes its slot on the new primary and follows it onto timeline 2, with its data.
    await untilStreaming(pod1, 30);
    pod0.sql("INSERT INTO t VALUES ('after')");
    await untilAnswers(pod1, "SELECT string_agg(v, ',' ORDER BY v) FROM t", "after,kept");
    assert.equal(pod1.read(pod1.restartFile), undefined, "pod 1 never asked to start over");
  });

  it("pod 1 exists but does not answer: holds, saying so", async () => {
    const pod0 = await lab.pod("hold-0");
    pod0.writeSecret(passwords);
    const init = pod0Init(pod0, "127.0.0.1", await freePort());
    await waitFor("the hold line", 10, () => (lines(init).length > 0 ? true : undefined));
    await sleep(1000);
    assert.equal(init.exited(), false);
    assert.equal(lines(init).length, 1);
    assert.match(
      lines(init)[0],
      /^NOT STARTING: \S+ is empty, and 127\.0\.0\.1 exists but does not answer \(it may hold a database\); as the primary /,
    );
  });

  const skipUnlessUnresolved = (ctx: Mocha.Context) => {
    if (spawnSync("getent", ["hosts", ABSENT]).status !== 2) {
      console.log(`      skipped: the resolver here does not say that ${ABSENT} does not exist`);
      ctx.skip();
    }
  };

  it("pod 1's name does not resolve but its claim exists: waits the grace period, then initialises a new primary", async function () {
    skipUnlessUnresolved(this);
    const pod0 = await lab.pod("new-0");
    pod0.writeSecret(passwords);
    const started = Date.now();
    pod0.writePeerClaim("present");
    const init = pod0Init(pod0, ABSENT, 5432, { ABSENT_GRACE: "2" });
    await waitFor("the init container to end", 15, () => (init.exited() ? true : undefined));
    assert.equal(init.child.exitCode, 0);
    assert.ok(Date.now() - started >= 2000, "waited the grace period");
    assert.deepEqual(lines(init), [
      `${pod0.pgdata} is empty: waiting up to 2s for ${ABSENT}, which does not exist (yet), before initialising a new primary`,
      `${ABSENT} does not exist after 2s: initialising a new, empty primary`,
      "pod 0 is the primary: nothing to clone",
    ]);
  });

  it("pod 1 neither resolves nor has a claim (a first start): initialises a new primary at once", async function () {
    skipUnlessUnresolved(this);
    const pod0 = await lab.pod("first-0");
    pod0.writeSecret(passwords);
    const started = Date.now();
    pod0.writePeerClaim("absent");
    const init = pod0Init(pod0, ABSENT, 5432, { ABSENT_GRACE: "30" });
    await waitFor("the init container to end", 15, () => (init.exited() ? true : undefined));
    assert.equal(init.child.exitCode, 0);
    assert.ok(Date.now() - started < 15_000, "did not wait out the 30 s grace");
    assert.deepEqual(lines(init), [
      `${ABSENT} does not exist and has no claim, so it never held data: initialising a new, empty primary`,
      "pod 0 is the primary: nothing to clone",
    ]);
  });

  it("the claim's absence counts only for a name that does not resolve: a silent pod 1 still holds pod 0", async () => {
    const pod0 = await lab.pod("stale-0");
    pod0.writeSecret(passwords);
    pod0.writePeerClaim("absent");
    const init = pod0Init(pod0, "127.0.0.1", await freePort());
    await waitFor("the hold line", 10, () => (lines(init).length > 0 ? true : undefined));
    await sleep(1000);
    assert.equal(init.exited(), false, "held");
    assert.match(lines(init)[0], /^NOT STARTING: .* exists but does not answer/);
  });

  it("restore.sh refuses where it has nothing to do", async () => {
    const pod0 = await lab.pod("ref-0");
    const pod1 = await lab.pod("ref-1");
    background.push(await firstPrimary(pod0, passwords));
    const notPod0 = restore(pod1, "127.0.0.1", pod0.port);
    assert.notEqual(notPod0.status, 0);
    assert.match(
      notPod0.output,
      /restore: run this in pod 0's clone-primary container, not in ref-1/,
    );
    const full = restore(pod0, "127.0.0.1", pod1.port);
    assert.notEqual(full.status, 0);
    assert.match(
      full.output,
      /restore: \S+\/pgdata already holds a data directory: nothing to restore/,
    );
    pod0.wipeClaim();
    pod0.writeSecret(passwords);
    const nobody = restore(pod0, "127.0.0.1", await freePort());
    assert.notEqual(nobody.status, 0);
    assert.match(
      nobody.output,
      /restore: 127\.0\.0\.1 is not a replica that says how far it replayed: .*Connection refused/,
    );
    // A primary as "pod 1": it has replayed nothing, and is no copy of pod 0's database.
    const other = await lab.pod("other-0");
    background.push(await firstPrimary(other, passwords));
    const primary = restore(pod0, "127.0.0.1", other.port);
    assert.notEqual(primary.status, 0);
    assert.match(
      primary.output,
      /restore: 127\.0\.0\.1 is not a replica that says how far it replayed: \n/,
    );
    assert.deepEqual(pod0.claimEntries(), [], "nothing copied");
  });
});
