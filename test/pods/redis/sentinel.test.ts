// The Redis component with Sentinel, against real servers and Sentinels (`redis-server --sentinel`):
// the Sentinels elect a new primary when the primary fails, the role files follow, a restarted pod
// joins the primary they elected, a stopping primary hands its role over, and a password change
// completes after a failover.
import { strict as assert } from "assert";
import { mkdirSync, rmSync } from "fs";
import { SENTINEL_LIVENESS_SCRIPT, SENTINEL_READINESS_SCRIPT } from "../../../components/redis";
import { Pod, RedisSet, SENTINEL_MASTER, skipWithoutRedis, sleep, waitFor } from "./pods";

const P1 = "sentinelPasswordAbc123";
const P2 = "rotatedPasswordDef456";
const KEYS = 30;

describe("Redis pods with Sentinel: failover (real redis-server and Sentinels)", function () {
  this.timeout(30000);
  let set: RedisSet | undefined;
  let password = P1;
  const prestopOutput: string[] = [];

  before(skipWithoutRedis);
  after(async () => {
    await set?.destroy();
  });
  afterEach(function () {
    if (this.currentTest?.state !== "failed" || !set) return;
    // What the Sentinels saw (+sdown, +switch-master, ...), to tell a slow machine from a bug.
    for (const p of set.pods) {
      const events = (p.sentinel?.log ?? "").split("\n").filter((l) => / # /.test(l));
      console.log(
        `      ${p.env.POD_NAME}'s Sentinel:\n        ${events.slice(-12).join("\n        ")}`,
      );
    }
  });

  /** The primary as the Sentinels name it ("host port"), asked of `pod`'s Sentinel. */
  const named = (pod: Pod) =>
    pod
      .sentinelCli(password, `SENTINEL get-master-addr-by-name ${SENTINEL_MASTER}`)
      .split("\n")
      .join(" ");
  /** The pod whose address every running Sentinel names, once they agree. */
  const agreed = (pods: Pod[]) => {
    const answers = new Set(pods.map(named));
    if (answers.size !== 1) return undefined;
    const [answer] = answers;
    return set!.pods.find((p) => answer === `${p.host} ${p.port}`);
  };
  /** Every pod's role file says `primary` for `primary` only, `replica` for the others. */
  const rolesFollow = (primary: Pod) => () =>
    set!.pods.every((p) => p.role() === (p === primary ? "primary" : "replica"));
  const field = (pod: Pod, name: string) => {
    const m = pod
      .sentinelCli(password, `SENTINEL MASTER ${SENTINEL_MASTER}`)
      .match(new RegExp(`^${name}\\n(.*)$`, "m"));
    return m?.[1];
  };

  it("starts three servers and three Sentinels with pod 0 as the primary; the role files say so", async () => {
    set = await RedisSet.create(3, P1, { sentinel: true });
    for (const pod of set.pods) pod.start();
    for (const pod of set.pods) pod.startAgent();
    for (const pod of set.pods) pod.startSentinel();
    await waitFor("every pod ready", () => set!.pods.every((p) => p.ready()));
    await waitFor(
      "each Sentinel to know the two replicas and the two other Sentinels",
      () =>
        set!.pods.every(
          (p) => field(p, "num-slaves") === "2" && field(p, "num-other-sentinels") === "2",
        ),
      20000,
    );
    assert.equal(agreed(set.pods), set.pods[0], "the Sentinels name pod 0");
    for (const p of set.pods) {
      assert.equal(p.run(SENTINEL_READINESS_SCRIPT).code, 0, `${p.env.POD_NAME} ready`);
      assert.equal(p.run(SENTINEL_LIVENESS_SCRIPT).code, 0, `${p.env.POD_NAME} alive`);
    }
    await waitFor("the role files", rolesFollow(set.pods[0]), 5000);
    assert.deepEqual(
      set.primaries(P1).map((p) => p.ordinal),
      [0],
    );
    // Everyone speaks of the pods by the names they announce, not by the address they came from.
    const replicas = set.pods[0].cli(P1, "INFO replication");
    for (const r of set.pods.slice(1)) assert.match(replicas, new RegExp(`ip=${r.host},`));
    const writes = Array.from({ length: KEYS }, (_, i) => `SET key:${i} value-${i}`);
    assert.match(set.pods[0].cli(P1, ...writes), /^(OK\n?)+$/);
    await waitFor("the keys on every replica", () =>
      set!.pods.slice(1).every((r) => r.cli(P1, "DBSIZE") === String(KEYS)),
    );
  });

  it("elects a replica when pod 0's server dies; the role files follow and it takes writes", async () => {
    const s = set!;
    const [pod0, ...others] = s.pods;
    pod0.server!.child.kill("SIGKILL");
    const elected = await waitFor("the Sentinels to elect a replica", () => {
      const p = agreed(others);
      return p !== undefined && p !== pod0 && p.info(P1, "role") === "master";
    });
    const primary = agreed(others)!;
    console.log(`      pod 0 killed -> ${primary.env.POD_NAME} elected in ${elected} ms`);
    await waitFor("the role files", rolesFollow(primary), 5000);
    assert.equal(pod0.role(), "replica", "a pod whose server is gone is no primary");
    assert.equal(primary.cli(P1, "SET after failover"), "OK");
    const replica = others.find((p) => p !== primary)!;
    await waitFor(
      "the write on the other replica",
      () => replica.cli(P1, "GET after") === "failover",
    );
    assert.equal(replica.info(P1, "master_host"), primary.host);
    assert.equal(primary.cli(P1, "DBSIZE"), String(KEYS + 1));
  });

  it("restarts pod 0 as a replica of the elected primary, not as a second primary", async () => {
    const s = set!;
    const pod0 = s.pods[0];
    const primary = agreed(s.pods.slice(1))!;
    pod0.start();
    await waitFor("pod 0 to answer", () => pod0.cli(P1, "PING") === "PONG");
    await waitFor("pod 0's link to the elected primary", () => pod0.ready());
    assert.match(
      pod0.server!.log,
      /the Sentinels name \S+ \d+ the primary: starting as its replica/,
    );
    assert.equal(pod0.info(P1, "role"), "slave");
    assert.equal(pod0.info(P1, "master_host"), primary.host);
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(
        s.primaries(P1).map((p) => p.ordinal),
        [primary.ordinal],
        "one primary",
      );
      await sleep(200);
    }
    await waitFor("the role files", rolesFollow(primary), 5000);
    assert.equal(pod0.cli(P1, "GET after"), "failover");
    assert.equal(agreed(s.pods), primary, "every Sentinel, pod 0's too, names the elected one");
  });

  it("restarts a Sentinel watching the primary the others elected; it rejoins them once", async () => {
    const s = set!;
    const primary = agreed(s.pods)!;
    const restarted = s.pods.find((p) => p !== primary)!;
    await restarted.sentinel!.stop();
    assert.equal(restarted.run(SENTINEL_READINESS_SCRIPT).code, 1);
    assert.equal(restarted.run(SENTINEL_LIVENESS_SCRIPT).code, 1, "a Sentinel that is gone");
    restarted.startSentinel();
    await waitFor(
      "the Sentinel to answer",
      () => named(restarted) === `${primary.host} ${primary.port}`,
    );
    assert.match(restarted.sentinel!.log, /sentinel: watching \S+ \(epoch [1-9]\d*\)/);
    await waitFor(
      "it to know the two others again",
      () => field(restarted, "num-other-sentinels") === "2",
    );
    await sleep(2500); // two more hello rounds
    // Each lists the restarted one once (by its name): a stale entry would count as a voter.
    for (const p of s.pods) {
      assert.equal(field(p, "num-other-sentinels"), "2", p.env.POD_NAME);
      assert.match(p.sentinelCli(P1, `SENTINEL CKQUORUM ${SENTINEL_MASTER}`), /^OK 3 usable/);
    }
  });

  it("hands the primary's role over in its preStop hook, before the server stops", async () => {
    const s = set!;
    const old = agreed(s.pods)!;
    assert.equal(old.cli(P1, "SET before:handover yes"), "OK");
    const started = Date.now();
    const hook = old.preStop();
    const took = Date.now() - started;
    prestopOutput.push(hook.out);
    assert.equal(hook.code, 0, hook.out);
    assert.match(hook.out, /is the primary now: this pod stops as its replica/);
    console.log(`      preStop on ${old.env.POD_NAME}: handed over in ${took} ms`);
    // Right when the hook returns (kubelet stops the server only then): another pod is the
    // primary, the old one already replicates it, and its role file says so.
    assert.equal(old.server!.exited, false);
    // The servers say so at once; the Sentinels that did not lead the failover learn it a moment
    // later (their next INFO of the new primary), so they are asked once that has had time.
    const primary = s.pods.find((p) => p !== old && p.info(P1, "role") === "master")!;
    assert.ok(primary, "another pod's server is the primary");
    assert.equal(primary.info(P1, "role"), "master");
    assert.equal(old.info(P1, "role"), "slave");
    assert.equal(old.info(P1, "master_host"), primary.host);
    assert.equal(old.role(), "replica");
    assert.equal(primary.cli(P1, "GET before:handover"), "yes", "the last write was not lost");
    assert.match(old.cli(P1, "SET on:old primary"), /READONLY/);
    await waitFor("every Sentinel to name it", () => agreed(s.pods) === primary, 5000);
    await waitFor("the role files", rolesFollow(primary), 5000);
    assert.equal(primary.cli(P1, "SET after handover"), "OK");
  });

  it("holds back an empty pod that the Sentinels name the primary, until they elect another", async () => {
    const s = set!;
    const primary = agreed(s.pods)!;
    const keys = primary.cli(P1, "DBSIZE");
    await primary.server!.stop();
    rmSync(primary.data, { recursive: true, force: true });
    mkdirSync(primary.data); // its claim lost, and restarted before the Sentinels noticed
    primary.start();
    await waitFor("the hold line", () => /NOT STARTING/.test(primary.server!.log), 5000);
    assert.match(primary.server!.log, /the Sentinels name this pod the primary/);
    await waitFor("it to start as a replica of the pod they elected", () =>
      /starting as its replica/.test(primary.server!.log),
    );
    const now = agreed(s.pods)!;
    assert.notEqual(now, primary);
    assert.equal(now.cli(P1, "DBSIZE"), keys, "the elected primary kept every key");
    await waitFor("the copy on the restarted pod", () => primary.cli(P1, "DBSIZE") === keys);
    await waitFor("the role files", rolesFollow(now), 5000);
  });

  it("completes a password change after a failover: servers, Sentinels and replication", async () => {
    const s = set!;
    const primary = agreed(s.pods)!;
    const runIds = s.pods.map((p) => p.info(P1, "run_id"));
    // Replicas' nodes see the new Secret first, the primary's last.
    for (const p of s.pods.filter((q) => q !== primary)) p.setPassword(P2);
    await sleep(1500);
    primary.setPassword(P2);
    const refused = (out: string) => /WRONGPASS|NOAUTH/.test(out);
    await waitFor(
      "every server and Sentinel to take only the new password",
      () =>
        s.pods.every(
          (p) =>
            p.cli(P2, "PING") === "PONG" &&
            p.sentinelCli(P2, "PING") === "PONG" &&
            refused(p.cli(P1, "PING")) &&
            refused(p.sentinelCli(P1, "PING")),
        ),
      20000,
    );
    password = P2;
    assert.deepEqual(
      s.pods.map((p) => p.info(P2, "run_id")),
      runIds,
      "no server restarted",
    );
    await waitFor("every pod ready", () => s.pods.every((p) => p.ready()));
    for (const p of s.pods) {
      assert.match(p.sentinelCli(P2, `SENTINEL CKQUORUM ${SENTINEL_MASTER}`), /^OK 3 usable/);
    }
    // The Sentinels still reach every server: they elect another primary with the new password.
    const hook = primary.preStop();
    prestopOutput.push(hook.out);
    assert.match(hook.out, /is the primary now/);
    const next = agreed(s.pods)!;
    assert.notEqual(next, primary);
    await waitFor("the role files", rolesFollow(next), 5000);
    await waitFor("every replica's link to it", () =>
      s.pods.every((p) => p === next || p.info(P2, "master_link_status") === "up"),
    );
    assert.equal(next.cli(P2, "SET after rotation"), "OK");
  });

  it("never prints a password", () => {
    const logs = set!.pods.flatMap((p) => [p.server!.log, p.agent!.log, p.sentinel!.log]);
    for (const log of [...logs, ...prestopOutput]) {
      for (const pw of [P1, P2]) assert.equal(log.includes(pw), false);
    }
    const agents = set!.pods.map((p) => p.agent!.log).join("\n");
    assert.match(agents, /the Sentinel speaks to them with it/);
    assert.match(agents, /the old one is dropped/);
  });
});
