// Scaling Redis with Sentinel restarts no pod: the pods take the replica count from the pod agent's
// file, not from the pod template. Against real servers and Sentinels: a fourth pod joins and every
// Sentinel raises its quorum; back at three, the Sentinels lower it and forget the departed pod, so
// that losing the primary's pod afterwards still leaves a majority of the Sentinels they know.
import { strict as assert } from "assert";
import { rmSync } from "fs";
import { SENTINEL_LIVENESS_SCRIPT } from "../../../components/redis";
import { Pod, RedisSet, SENTINEL_MASTER, skipWithoutRedis, waitFor } from "./pods";

const PW = "scalePasswordGhi789";

/** A field of `SENTINEL MASTER` as `pod`'s Sentinel answers it. */
const field = (pod: Pod, name: string) =>
  pod
    .sentinelCli(PW, `SENTINEL MASTER ${SENTINEL_MASTER}`)
    .match(new RegExp(`^${name}\\n(.*)$`, "m"))?.[1];

describe("Redis pods with Sentinel: scaling without a restart (real redis-server and Sentinels)", function () {
  this.timeout(120000);
  let set: RedisSet | undefined;

  before(skipWithoutRedis);
  afterEach(function () {
    if (this.currentTest?.state !== "failed" || !set) return;
    for (const p of set.pods) {
      const events = (p.sentinel?.log ?? "").split("\n").filter((l) => / # |sentinel:/.test(l));
      console.log(
        `      ${p.env.POD_NAME}'s Sentinel:\n        ${events.slice(-25).join("\n        ")}`,
      );
    }
  });
  after(async () => {
    await set?.destroy();
  });

  /**
   * Every Sentinel of `pods` has `quorum` and knows the other pods' Sentinels and the replicas, no
   * more (after a SENTINEL RESET it learns the replicas again from the primary, within 10 s).
   */
  const settled = (pods: Pod[], quorum: number) => () =>
    pods.every(
      (p) =>
        field(p, "quorum") === String(quorum) &&
        field(p, "num-other-sentinels") === String(pods.length - 1) &&
        field(p, "num-slaves") === String(pods.length - 1),
    );
  const start = (pod: Pod) => {
    pod.start();
    pod.startAgent();
    pod.startSentinel();
  };

  it("a fourth pod joins: every Sentinel raises its quorum to 3 and knows three others; no process exits", async () => {
    set = await RedisSet.create(4, PW, { sentinel: true, replicas: 3 });
    const first = set.pods.slice(0, 3);
    for (const pod of first) start(pod);
    await waitFor("three pods ready, quorum 2", settled(first, 2), 20000);
    const processes = first.flatMap((p) => [p.server!, p.sentinel!, p.agent!]);

    for (const pod of set.pods) pod.setReplicas(4);
    start(set.pods[3]);
    await waitFor("four Sentinels, quorum 3", settled(set.pods, 3), 20000);
    await waitFor(
      "pod 3 to replicate pod 0",
      () => set!.pods[3].info(PW, "master_link_status") === "up",
    );
    assert.ok(
      processes.every((p) => !p.exited),
      "no server, Sentinel (with its shell) or auth process of the first three pods exited on the new count",
    );
    for (const pod of first)
      assert.match(pod.sentinel!.log, /sentinel: 4 pods, 4 Sentinels known: quorum 3/);
  });

  it("back at three: the Sentinels lower the quorum and forget pod 3, and still elect a primary when pod 0 goes", async () => {
    const s = set!;
    const [pod0, pod1, pod2, pod3] = s.pods;
    // As on a cluster: the agents read the new count, and pod 3 takes a moment to stop.
    for (const pod of [pod0, pod1, pod2]) pod.setReplicas(3);
    await new Promise((r) => setTimeout(r, 1500));
    await pod3.stop();
    await waitFor(
      "three Sentinels, quorum 2, pod 3 forgotten",
      settled([pod0, pod1, pod2], 2),
      60000,
    );
    for (const pod of [pod0, pod1, pod2]) {
      assert.match(pod.sentinel!.log, /sentinel: 3 pods, 4 Sentinels known: quorum 2/);
      assert.match(pod.sentinel!.log, /forgot the Sentinels and replicas of departed pods/);
    }
    // Pod 0's server and Sentinel go: two Sentinels of the three they know are a majority. Had
    // they kept counting pod 3's, two of four would not be, and no replica would be elected.
    await pod0.stop();
    await waitFor(
      "pods 1 and 2 to elect one of them",
      () =>
        [pod1, pod2].some((p) => p.info(PW, "role") === "master") &&
        [pod1, pod2].every((p) =>
          [pod1, pod2].some(
            (q) =>
              p
                .sentinelCli(PW, `SENTINEL get-master-addr-by-name ${SENTINEL_MASTER}`)
                .split("\n")[0] === q.host,
          ),
        ),
      20000,
    );
  });

  it("a pod whose agent has not read the count yet waits for it, alive, before its Sentinel starts", async () => {
    const pod3 = set!.pods[3];
    rmSync(pod3.env.REPLICAS_FILE, { force: true });
    const sentinel = pod3.startSentinel();
    await waitFor("the waiting line", () => /waiting for the pod agent/.test(sentinel.log), 5000);
    assert.equal(pod3.run(SENTINEL_LIVENESS_SCRIPT).code, 0, "liveness passes while it waits");
    assert.doesNotMatch(sentinel.log, /watching/);
    pod3.setReplicas(3);
    await waitFor(
      "the Sentinel to start",
      () => /watching .* quorum 2 of 3/.test(sentinel.log),
      10000,
    );
    await sentinel.stop();
  });
});

describe("Redis pods with Sentinel: a pod that came and went between two reads of the count (real servers)", function () {
  this.timeout(120000);
  let set: RedisSet | undefined;

  before(skipWithoutRedis);
  after(async () => {
    await set?.destroy();
  });

  it("the others never saw the count change, and still forget its Sentinel once it is gone", async () => {
    // 3 -> 4 -> 3 within one minute: only pod 3's agent ever read 4.
    set = await RedisSet.create(4, PW, { sentinel: true, replicas: 3 });
    const [pod0, pod1, pod2, pod3] = set.pods;
    for (const pod of set.pods) {
      if (pod === pod3) pod.setReplicas(4);
      pod.start();
      pod.startAgent();
      pod.startSentinel();
    }
    await waitFor(
      "pods 0-2 to learn pod 3's Sentinel",
      () => [pod0, pod1, pod2].every((p) => field(p, "num-other-sentinels") === "3"),
      20000,
    );
    await pod3.stop();
    await waitFor(
      "pods 0-2 to forget it",
      () =>
        [pod0, pod1, pod2].every(
          (p) => field(p, "num-other-sentinels") === "2" && field(p, "num-slaves") === "2",
        ),
      60000,
    );
    for (const pod of [pod0, pod1, pod2]) {
      assert.doesNotMatch(pod.sentinel!.log, /quorum 3/, "their count stayed 3");
    }
  });
});
