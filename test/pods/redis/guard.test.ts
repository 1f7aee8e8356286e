// Pod 0 of the Redis component losing its claim, against real servers: it must not start as an
// empty primary while pod 1 holds data, and the README's recovery brings the data back.
import { strict as assert } from "assert";
import { existsSync, mkdirSync, readFileSync, rmSync } from "fs";
import { join } from "path";
import { REDIS_RESTORE_SCRIPT } from "../../../components/redis";
import { RedisSet, skipWithoutRedis, sleep, waitFor } from "./pods";

const PW = "guardPassword123";
const KEYS = 20;

describe("Redis pods: pod 0 with an empty claim (real redis-server)", function () {
  this.timeout(40000);
  let set: RedisSet | undefined;

  before(skipWithoutRedis);
  after(async () => {
    await set?.destroy();
  });

  const listening = (port: number) => () => set!.pods[port].cli(PW, "PING") === "PONG";

  it("starts empty next to an empty pod 1: a new deployment", async () => {
    set = await RedisSet.create(2, PW);
    const [pod0, pod1] = set.pods;
    pod1.start();
    await waitFor("pod 1 to answer", listening(1));
    pod0.start();
    await waitFor("pod 0 to answer", listening(0), 5000);
    assert.doesNotMatch(pod0.server!.log, /NOT STARTING/);
    const writes = Array.from({ length: KEYS }, (_, i) => `SET key:${i} ${i}`);
    pod0.cli(PW, ...writes);
    await waitFor(
      "pod 1 ready with every key",
      () => pod1.ready() && pod1.cli(PW, "DBSIZE") === String(KEYS),
    );
  });

  it("holds back, alive and unready, when its claim is lost while pod 1 holds data", async () => {
    const [pod0, pod1] = set!.pods;
    await pod0.stop();
    rmSync(pod0.data, { recursive: true, force: true });
    mkdirSync(pod0.data); // a new, empty claim
    pod0.start();
    await waitFor("the hold line", () => /NOT STARTING/.test(pod0.server!.log), 5000);
    await sleep(2500); // a few more looks at pod 1
    assert.equal(pod0.server!.log.match(/NOT STARTING/g)!.length, 1, "one line, not one per look");
    assert.equal(pod0.server!.exited, false, "waits instead of exiting into a crash loop");
    assert.match(pod0.cli(PW, "PING"), /Could not connect/);
    assert.equal(pod0.ready(), false);
    assert.equal(pod0.alive(), true, "liveness does not restart a pod that holds back");
    assert.equal(pod1.cli(PW, "DBSIZE"), String(KEYS), "pod 1 kept its data");
  });

  it("starts from pod 1's data after the README's restore, and pod 1 keeps it", async () => {
    const [pod0, pod1] = set!.pods;
    const readme = readFileSync(join(__dirname, "../../../README.md"), "utf8");
    const command = "kubectl exec -n <namespace> <name>-0 -c redis -- sh /etc/redis/restore.sh";
    assert.ok(readme.includes(command), `the README shows: ${command}`);
    const restore = pod0.run(REDIS_RESTORE_SCRIPT);
    assert.equal(restore.code, 0, restore.out);
    assert.doesNotMatch(restore.out, new RegExp(PW));
    await waitFor("pod 0 to answer", listening(0), 8000);
    assert.match(pod0.server!.log, /holds data now/);
    assert.equal(pod0.cli(PW, "DBSIZE"), String(KEYS));
    await waitFor("pod 1's link up again", () => pod1.info(PW, "master_link_status") === "up");
    assert.equal(pod1.cli(PW, "DBSIZE"), String(KEYS));
    assert.equal(pod1.info(PW, "role"), "slave", "pod 1 replicates pod 0 again");
    assert.equal(pod0.cli(PW, "GET key:7"), "7");
    // And the data is in pod 0's append-only file too: a restart keeps it.
    await pod0.stop();
    pod0.start();
    await waitFor("pod 0 to answer after a restart", listening(0), 8000);
    assert.equal(pod0.cli(PW, "DBSIZE"), String(KEYS));
  });

  it("holds back when pod 1 exists but does not answer yet, as after a restart of every pod", async () => {
    const [pod0, pod1] = set!.pods;
    // Both pods down, pod 0's claim lost; pod 1 (with its data) starts later than pod 0, as it
    // does when both are rescheduled at once: its name resolves, its port refuses connections.
    await pod0.stop();
    await pod1.stop();
    rmSync(pod0.data, { recursive: true, force: true });
    mkdirSync(pod0.data);
    pod0.start();
    await waitFor("the hold line", () => /NOT STARTING/.test(pod0.server!.log), 5000);
    await sleep(2500);
    assert.equal(pod0.server!.exited, false);
    assert.match(pod0.cli(PW, "PING"), /Could not connect/, "pod 0 did not start empty");
    pod1.start();
    await waitFor("pod 1 to answer", listening(1));
    await sleep(2500); // pod 0 looks again: pod 1 now says it holds data
    assert.match(pod0.cli(PW, "PING"), /Could not connect/, "pod 0 still holds back");
    assert.equal(pod1.cli(PW, "DBSIZE"), String(KEYS), "pod 1 kept its data");
    // Put the pair back as the next test expects: restore pod 0 from pod 1.
    assert.equal(pod0.run(REDIS_RESTORE_SCRIPT).code, 0);
    await waitFor("pod 0 to answer", listening(0), 8000);
  });

  /**
   * Pod 0, stopped and emptied, with a pod 1 name that does not resolve, the grace in seconds, and
   * what the agent says of pod 1's claim.
   */
  async function emptyWithoutPod1(grace: number, claim: "absent" | "present") {
    const [pod0] = set!.pods;
    await pod0.stop();
    rmSync(pod0.data, { recursive: true, force: true });
    mkdirSync(pod0.data);
    const lone = pod0.withEnv({
      FIRST_REPLICA_HOST: "cache-1.cache.nowhere.invalid",
      REDIS_ABSENT_GRACE: String(grace),
    });
    lone.writePeerClaim(claim);
    return lone;
  }

  it("starts, after a grace period, when no pod 1 exists under that name but its claim does", async () => {
    const [pod0] = set!.pods;
    const lone = await emptyWithoutPod1(2, "present");
    const started = Date.now();
    lone.start();
    await sleep(1000);
    assert.match(lone.cli(PW, "PING"), /Could not connect/, "still waiting for pod 1's name");
    // A wait of 120 s in the pod outlasts the liveness probe's patience (6 x 10 s after 15 s).
    assert.equal(lone.alive(), true, "liveness does not restart a pod that waits out the grace");
    await waitFor("pod 0 to answer", () => lone.cli(PW, "PING") === "PONG", 10000);
    assert.ok(Date.now() - started >= 2000, "waited the grace period");
    assert.equal(existsSync(join(pod0.env.REDIS_STATE_DIR, "waiting")), false);
    assert.match(lone.server!.log, /does not exist after 2s: starting as a new primary/);
    assert.doesNotMatch(lone.server!.log, /NOT STARTING/);
    await lone.stop();
    lone.writePeerClaim(undefined);
    pod0.start(); // back to the pair's own env for the next test
    await waitFor("pod 0 to answer", listening(0), 8000);
  });

  it("starts at once when pod 1 neither resolves nor has a claim (a first start, one pod)", async () => {
    const [pod0] = set!.pods;
    const lone = await emptyWithoutPod1(30, "absent");
    const started = Date.now();
    lone.start();
    await waitFor("pod 0 to answer", () => lone.cli(PW, "PING") === "PONG", 10000);
    assert.ok(Date.now() - started < 10000, "did not wait out the 30 s grace");
    assert.match(
      lone.server!.log,
      /cache-1\.cache\.nowhere\.invalid does not exist and has no claim, so it never held data: starting as a new primary/,
    );
    await lone.stop();
    lone.writePeerClaim(undefined);
    pod0.start(); // back to the pair's own env, over the data the lone start left
    await waitFor("pod 0 to answer", listening(0), 8000);
  });

  it("refuses the restore when pod 0 is not holding back", () => {
    const r = set!.pods[0].run(REDIS_RESTORE_SCRIPT);
    assert.equal(r.code, 1);
    assert.match(r.out, /not holding back/);
  });
});
