// The Redis component's scripts against real servers: a password change in the mounted Secret
// is applied live on every pod, and a restart picks up the Secret's password over old data.
import { strict as assert } from "assert";
import { REDIS_AUTH_READINESS_SCRIPT } from "../../../components/redis";
import { RedisSet, skipWithoutRedis, waitFor } from "./pods";

const P1 = "firstPasswordAbc123";
const P2 = "secondPasswordDef456";
const P3 = "thirdPasswordGhi789";
const KEYS = 50;

describe("Redis pods: the password follows the Secret (real redis-server)", function () {
  this.timeout(40000);
  let set: RedisSet | undefined;

  before(skipWithoutRedis);
  after(async () => {
    await set?.destroy();
  });

  const linkUp = (password: string) => () =>
    set!.replicas.every((r) => r.info(password, "master_link_status") === "up");
  const rejects = (password: string) => () =>
    set!.pods.every((p) => /WRONGPASS/.test(p.cli(password, "PING")));

  it("a primary and two replicas start with the file's password and become ready", async () => {
    set = await RedisSet.create(3, P1);
    for (const pod of set.pods) pod.start();
    for (const pod of set.pods) pod.startAgent();
    await waitFor("every pod ready", () => set!.pods.every((p) => p.ready()));
    await waitFor("every auth container ready", () =>
      set!.pods.every((p) => p.run(REDIS_AUTH_READINESS_SCRIPT).code === 0),
    );
    const writes = Array.from({ length: KEYS }, (_, i) => `SET key:${i} value-${i}`);
    assert.match(set.primary.cli(P1, ...writes), /^(OK\n?)+$/);
    await waitFor("the keys on every replica", () =>
      set!.replicas.every((r) => r.cli(P1, "DBSIZE") === String(KEYS)),
    );
  });

  it("applies a changed password live, replicas first, with no server restart", async () => {
    const s = set!;
    const runIds = s.pods.map((p) => p.info(P1, "run_id"));
    const pids = s.pods.map((p) => p.server!.child.pid);

    // The replicas' nodes see the new Secret first: they accept both and replicate with the new.
    for (const r of s.replicas) r.setPassword(P2);
    await waitFor("the replicas to accept the new password", () =>
      s.replicas.every((r) => r.cli(P2, "PING") === "PONG" && r.cli(P1, "PING") === "PONG"),
    );
    // Their links re-authenticate now, while pod 0 knows only the old password: they stay down.
    assert.match(s.primary.cli(P1, "CLIENT KILL TYPE replica"), /^[12]$/);
    await waitFor("the replicas' links to fail on the old primary", () =>
      s.replicas.every((r) => r.info(P2, "master_link_status") === "down"),
    );
    assert.equal(
      s.replicas.some((r) => r.ready()),
      false,
      "a replica without its link is unready",
    );
    assert.equal(
      s.pods.every((p) => p.alive()),
      true,
      "but alive: no restart",
    );

    // Pod 0's node sees it: from here on every link comes back and the old password goes.
    const changed = Date.now();
    s.primary.setPassword(P2);
    await waitFor("every replica's link up", linkUp(P2));
    const linksUp = Date.now() - changed;
    await waitFor("every pod ready", () => s.pods.every((p) => p.ready()));
    const ready = Date.now() - changed;
    await waitFor("every pod to refuse the old password", rejects(P1));
    const oldGone = Date.now() - changed;
    console.log(
      `      pod 0's file changed -> every link up ${linksUp} ms, every pod ready ${ready} ms, old password refused everywhere ${oldGone} ms`,
    );

    assert.deepEqual(
      s.pods.map((p) => p.info(P2, "run_id")),
      runIds,
      "the same server processes",
    );
    assert.deepEqual(
      s.pods.map((p) => p.server!.child.pid),
      pids,
    );
    assert.equal(
      s.pods.some((p) => p.server!.exited),
      false,
    );
    assert.equal(s.primary.cli(P2, "SET after rotation"), "OK");
    await waitFor("a new write on every replica", () =>
      s.replicas.every((r) => r.cli(P2, "GET after") === "rotation"),
    );
    for (const r of s.replicas) assert.equal(r.cli(P2, "DBSIZE"), String(KEYS + 1));
  });

  it("never prints a password", () => {
    for (const pod of set!.pods) {
      for (const log of [pod.server!.log, pod.agent!.log]) {
        for (const pw of [P1, P2]) assert.equal(log.includes(pw), false, `${pod.env.POD_NAME}`);
      }
      assert.match(pod.agent!.log, /the new password is accepted next to the old one/);
      assert.match(pod.agent!.log, /the old one is dropped/);
    }
  });

  it("restarts every pod with the Secret's new password over the old data", async () => {
    const s = set!;
    await s.stop();
    for (const pod of s.pods) pod.setPassword(P3);
    for (const pod of s.pods) pod.start();
    for (const pod of s.pods) pod.startAgent();
    await waitFor("every pod ready", () => s.pods.every((p) => p.ready()));
    await waitFor("every replica's link up", linkUp(P3));
    for (const pod of s.pods) {
      assert.equal(pod.cli(P3, "DBSIZE"), String(KEYS + 1));
      assert.match(pod.cli(P2, "PING"), /WRONGPASS/);
    }
  });
});
