// The Redis component's TLS against real servers and Sentinels: with a certificate in the pod's
// TLS_DIR, the start scripts serve TLS only (servers and Sentinels), replication and the Sentinels'
// links run over it, every probe and script speaks it (rcli), and a renewed certificate is loaded
// by the auth container without a restart.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { REDIS_AUTH_READINESS_SCRIPT } from "../../../components/redis";
import { serialText, servedSerial } from "../certificates";
import { installCertificate, RedisSet, SENTINEL_MASTER, skipWithoutRedis, waitFor } from "./pods";

const P1 = "tlsPasswordAbc123";

describe("Redis pods with TLS: servers, replication and Sentinels (real redis-server)", function () {
  this.timeout(40000);
  let set: RedisSet | undefined;

  before(skipWithoutRedis);
  after(async () => {
    await set?.destroy();
  });

  const tlsDir = () => set!.primary.env.REDIS_TLS_DIR;
  const runIds = () => set!.pods.map((p) => p.info(P1, "run_id"));

  it("three pods with Sentinel start over TLS: probes pass, replicas link, the Sentinels agree", async () => {
    set = await RedisSet.create(3, P1, { sentinel: true, tls: true });
    for (const pod of set.pods) pod.start();
    for (const pod of set.pods) pod.startSentinel();
    for (const pod of set.pods) pod.startAgent();
    await waitFor("every pod ready", () => set!.pods.every((p) => p.ready()));
    await waitFor("every auth container ready", () =>
      set!.pods.every((p) => p.run(REDIS_AUTH_READINESS_SCRIPT).code === 0),
    );
    await waitFor("every replica linked", () =>
      set!.replicas.every((r) => r.info(P1, "master_link_status") === "up"),
    );
    assert.match(set.primary.cli(P1, "SET over tls"), /^OK$/);
    await waitFor("the key on every replica", () =>
      set!.replicas.every((r) => r.cli(P1, "GET over") === "tls"),
    );
    // The Sentinels find each other through the primary (hello messages every 2 s), over TLS.
    await waitFor("the Sentinels to agree and know each other", () =>
      set!.pods.every(
        (p) =>
          p.sentinelCli(P1, `SENTINEL get-master-addr-by-name ${SENTINEL_MASTER}`) ===
            `${set!.primary.host}\n${set!.primary.port}` &&
          /^num-other-sentinels\n2$/m.test(p.sentinelCli(P1, `SENTINEL MASTER ${SENTINEL_MASTER}`)),
      ),
    );
  });

  it("refuses a client without TLS, on the server's port and the Sentinel's", () => {
    for (const port of [set!.primary.port, Number(set!.primary.env.SENTINEL_PORT)]) {
      const plain = spawnSync("redis-cli", ["-h", set!.primary.host, "-p", String(port), "PING"], {
        env: { PATH: process.env.PATH, REDISCLI_AUTH: P1 },
        encoding: "utf8",
        timeout: 5000,
      });
      assert.doesNotMatch(`${plain.stdout}${plain.stderr}`, /PONG/, `port ${port}`);
    }
  });

  it("a renewed certificate is served by every server and Sentinel, without a restart", async () => {
    const before = runIds();
    const serial = (host: string, port: number | string) => servedSerial(`${host}:${port}`);
    assert.equal(serial(set!.primary.host, set!.primary.port), serialText(101));
    installCertificate(tlsDir(), 102);
    await waitFor("every server and Sentinel to load it", () =>
      set!.pods.every(
        (p) =>
          (p.agent?.log ?? "").includes(
            "redis-auth: loaded the renewed TLS certificate: new connections get it",
          ) &&
          (p.sentinel?.log ?? "").includes(
            "sentinel: the TLS certificate was renewed: restarting the Sentinel on its own config to load it",
          ),
      ),
    );
    for (const pod of set!.pods) {
      assert.equal(serial(pod.host, pod.port), serialText(102), `${pod.env.POD_NAME}'s server`);
      assert.equal(
        serial(pod.host, pod.env.SENTINEL_PORT),
        serialText(102),
        `${pod.env.POD_NAME}'s Sentinel`,
      );
    }
    assert.deepEqual(runIds(), before, "no server restarted");
    // The restarted Sentinels remember the primary, the replicas and each other.
    await waitFor("the Sentinels to agree again", () =>
      set!.pods.every(
        (p) =>
          p.sentinelCli(P1, `SENTINEL get-master-addr-by-name ${SENTINEL_MASTER}`) ===
            `${set!.primary.host}\n${set!.primary.port}` &&
          /^num-other-sentinels\n2$/m.test(p.sentinelCli(P1, `SENTINEL MASTER ${SENTINEL_MASTER}`)),
      ),
    );
    // The replicas reconnect to the primary under the new CA.
    set!.primary.cli(P1, "CLIENT KILL TYPE replica");
    await waitFor("every replica linked again", () =>
      set!.replicas.every((r) => r.info(P1, "master_link_status") === "up"),
    );
  });
});
