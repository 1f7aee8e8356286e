// A replica that can never stream from its primary again clones it again by itself, saying why:
// the WAL it needs is gone, the primary is another database (initialised anew), or its timeline
// went on past the point where the primary's forked off. At start in the init container, and at
// run time in the sidecar, which marks the claim and asks the agent to restart the pod.
import { strict as assert } from "assert";
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
  receiverStatus,
  toolboxOrSkip,
  untilAnswers,
  untilStreaming,
  waitFor,
} from "./server";

/** A primary that keeps little WAL for slots: a replica away for a few segments loses its own. */
const SMALL_WAL = { max_slot_wal_keep_size: "32MB", wal_keep_size: "0" };

describe("PostgreSQL pod scripts: a replica that can no longer stream clones its primary again (real server)", function () {
  this.timeout(60_000);
  let lab: Lab;
  let passwords: Passwords;
  const sidecars: Background[] = [];

  before(function () {
    lab = new Lab(toolboxOrSkip(this));
    passwords = newPasswords();
  });

  after(async () => {
    await lab?.cleanup();
  });

  afterEach(async () => {
    for (const s of sidecars.splice(0)) await s.stop();
  });

  const primaryOf = async (name: string, settings: Record<string, string> = {}) => {
    const pod = await lab.pod(name);
    sidecars.push(await firstPrimary(pod, passwords, settings));
    return pod;
  };
  const slotOf = (primary: Pod, slot: string) =>
    primary.sql(
      `SELECT wal_status || ' ' || active FROM pg_replication_slots WHERE slot_name = '${slot}'`,
    );
  const rows = (pod: Pod) => pod.trySql("SELECT string_agg(v, ',' ORDER BY v) FROM t");

  it("the WAL it needs is gone while it was stopped: cloned again at start, saying why, and it streams", async () => {
    const primary = await primaryOf("wal-0", SMALL_WAL);
    const replica = await lab.pod("wal-1");
    await firstReplica(replica, primary, passwords);
    primary.sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('before')");
    await untilAnswers(replica, "SELECT count(*) FROM t", "1");
    // Stop the primary's sidecar too: it would drop the lost slot, and the reason would differ.
    for (const s of sidecars.splice(0)) await s.stop();
    replica.stop();
    primary.churnWal(4);
    assert.equal(slotOf(primary, "wal_1"), "lost false", "the setup: the replica's slot is lost");
    primary.sql("INSERT INTO t VALUES ('while away')");

    const out = containers.init(replica, primary);
    assert.match(
      out,
      /^CLONING AGAIN: this replica can never stream from 127\.0\.0\.1: the WAL it needs is gone: its replication slot wal_1 was invalidated \(lost\), and the primary no longer has the WAL segment of its position [0-9A-F]+\/[0-9A-F]+ \(timeline 1\)$/m,
    );
    assert.match(
      out,
      /deleting .*pgdata first: a copy of the primary's own data that can no longer catch up/,
    );
    assert.match(out, /cloned the primary 127\.0\.0\.1/);
    assert.deepEqual(replica.claimEntries(), ["pgdata"], "nothing kept: it was a stale copy");
    replica.start();
    await untilStreaming(replica);
    await untilAnswers(replica, "SELECT string_agg(v, ',' ORDER BY v) FROM t", "before,while away");
    assert.equal(slotOf(primary, "wal_1"), "reserved true", "a fresh slot, in use");
    // The next start finds nothing wrong.
    replica.stop();
    assert.match(containers.init(replica, primary), /^already a replica: streaming resumes$/m);
  });

  it("the primary was initialised anew (another system identifier): cloned again, the old data kept beside it", async () => {
    const primary = await primaryOf("new-0");
    const replica = await lab.pod("new-1");
    await firstReplica(replica, primary, passwords);
    primary.sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('old database')");
    await untilAnswers(replica, "SELECT count(*) FROM t", "1");
    const oldId = replica.control()["Database system identifier"];
    replica.stop();
    for (const s of sidecars.splice(0)) await s.stop();
    primary.wipeClaim();
    sidecars.push(await firstPrimary(primary, passwords));
    const newId = primary.control()["Database system identifier"];
    assert.notEqual(newId, oldId);

    const out = containers.init(replica, primary);
    assert.match(
      out,
      new RegExp(
        `^CLONING AGAIN: this replica can never stream from 127\\.0\\.0\\.1: its system identifier ${oldId} is not the primary's \\(${newId}\\): the primary was initialised anew$`,
        "m",
      ),
    );
    const kept = /kept the old data directory at (\S+): look at it, then delete it/.exec(out)?.[1];
    assert.ok(kept, out);
    assert.match(kept, /\/pgdata\.foreign-\d{8}T\d{6}Z$/);
    assert.deepEqual(replica.claimEntries(), ["pgdata", kept.split("/").pop()]);
    assert.match(
      lab.run("pg_controldata", [kept], { LC_ALL: "C" }),
      new RegExp(`^Database system identifier:\\s+${oldId}$`, "m"),
      "the old database, whole",
    );
    replica.start();
    await untilStreaming(replica);
    assert.equal(replica.control()["Database system identifier"], newId);
    assert.equal(replica.trySql("SELECT count(*) FROM t"), undefined, "the new, empty database");
  });

  it("a diverged timeline (a replica promoted, the old primary wrote on): the replica that followed the old one clones the new primary", async () => {
    const oldPrimary = await primaryOf("tl-0");
    const promoted = await lab.pod("tl-1");
    const follower = await lab.pod("tl-2");
    await firstReplica(promoted, oldPrimary, passwords);
    await firstReplica(follower, oldPrimary, passwords);
    oldPrimary.sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('common')");
    await untilAnswers(promoted, "SELECT count(*) FROM t", "1");
    await untilAnswers(follower, "SELECT count(*) FROM t", "1");
    lab.run("pg_ctl", ["-D", promoted.pgdata, "-w", "-t", "30", "promote"]);
    // The old primary writes on, on timeline 1; the follower receives it.
    oldPrimary.sql("INSERT INTO t VALUES ('only on timeline 1')");
    await untilAnswers(follower, "SELECT count(*) FROM t", "2");
    for (const s of sidecars.splice(0)) await s.stop();
    oldPrimary.stop();
    follower.stop();

    const out = containers.init(follower, promoted);
    assert.match(
      out,
      /^CLONING AGAIN: this replica can never stream from 127\.0\.0\.1: its timeline 1 goes on to [0-9A-F]+\/[0-9A-F]+, past [0-9A-F]+\/[0-9A-F]+, where the primary's timeline 2 forked off it$/m,
    );
    assert.match(out, /kept the old data directory at \S+\/pgdata\.diverged-\d{8}T\d{6}Z/);
    follower.start();
    await untilStreaming(follower);
    assert.equal(rows(follower), "common", "the promoted primary's history, not the old one's");
    promoted.sql("INSERT INTO t VALUES ('timeline 2')");
    await untilAnswers(
      follower,
      "SELECT string_agg(v, ',' ORDER BY v) FROM t",
      "common,timeline 2",
    );
  });

  it("at run time: the sidecar of a replica whose primary became another database marks the claim and asks for a restart", async () => {
    const primary = await primaryOf("run-0");
    const replica = await lab.pod("run-1");
    await firstReplica(replica, primary, passwords);
    const watcher = containers.sidecar(replica, primary, { STREAM_STALL_SECONDS: "1" });
    sidecars.push(watcher);
    await waitFor("the replica's sidecar", 10, () =>
      /a replica: /.test(watcher.output()) ? true : undefined,
    );
    await sidecars[0].stop();
    primary.wipeClaim();
    sidecars.push(await firstPrimary(primary, passwords));
    const restart = await waitFor("RESTART_FILE", 20, () => replica.read(replica.restartFile));
    assert.match(
      restart,
      /^a replica that must clone its primary again: its system identifier \d+ is not the primary's \(\d+\): the primary was initialised anew\n$/,
    );
    assert.match(
      replica.read(replica.recloneMarker)!,
      /^foreign its system identifier \d+ is not the primary's/,
    );
    assert.match(watcher.output(), /not streaming for 1s, and never will: its system identifier/);
    assert.notEqual(receiverStatus(replica), "streaming");

    // The agent deletes the pod; it starts over, and its init container acts on the marker.
    await watcher.stop();
    replica.stop();
    const out = containers.init(replica, primary);
    assert.match(
      out,
      /^CLONING AGAIN: this replica can never stream from 127\.0\.0\.1: its system identifier \d+ is not the primary's \(\d+\): the primary was initialised anew \(found by the reconcile sidecar while the server ran\)$/m,
    );
    assert.equal(
      replica.read(replica.recloneMarker),
      undefined,
      "the marker is gone after the clone",
    );
    replica.start();
    await untilStreaming(replica);
  });

  it("at run time: a replica cut off while the primary recycled the WAL it needs is marked too", async () => {
    const primary = await primaryOf("cut-0", SMALL_WAL);
    const replica = await lab.pod("cut-1");
    await firstReplica(replica, primary, passwords);
    await sidecars[0].stop(); // keeps the lost slot as it is
    const watcher = containers.sidecar(replica, primary, { STREAM_STALL_SECONDS: "1" });
    sidecars.push(watcher);
    // The replica's stream goes elsewhere, where nothing answers.
    replica.sql(`ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=${await freePort()}'`);
    replica.sql("SELECT pg_reload_conf()");
    await waitFor("the stream to stop", 15, () =>
      receiverStatus(replica) !== "streaming" ? true : undefined,
    );
    primary.churnWal(4);
    const restart = await waitFor("RESTART_FILE", 20, () => replica.read(replica.restartFile));
    assert.match(
      restart,
      /^a replica that must clone its primary again: the WAL it needs is gone: its replication slot cut_1 was invalidated \(lost\), and the primary no longer has the WAL segment of its position [0-9A-F]+\/[0-9A-F]+ \(timeline 1\)\n$/,
    );
    assert.match(replica.read(replica.recloneMarker)!, /^gone the WAL it needs is gone/);
  });
});
