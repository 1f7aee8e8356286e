// The Redis quiesce hook (Velero's pre-backup command) against a real redis-server set up as a pod
// of the Redis component: it rewrites and syncs the append-only file, and a server started from a
// copy of the data directory taken right after it (what a backup of the claim holds) has every key.
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { REDIS_QUIESCE_SCRIPT } from "../../../components/snapshots";
import { freePort } from "../ports";
import { RedisSet, skipWithoutRedis, waitFor } from "./pods";

const PW = "quiescePassword123";
const KEYS = 500;

describe("Redis pods: the quiesce hook before a backup (real redis-server)", function () {
  this.timeout(40000);
  let set: RedisSet | undefined;
  const copies: string[] = [];

  before(skipWithoutRedis);
  after(async () => {
    await set?.destroy();
    for (const dir of copies) rmSync(dir, { recursive: true, force: true });
  });

  it("rewrites the append-only file and waits until it is done", async () => {
    set = await RedisSet.create(1, PW);
    const pod = set.primary;
    pod.start();
    await waitFor("the server to answer", () => pod.cli(PW, "PING") === "PONG");
    pod.cli(PW, ...Array.from({ length: KEYS }, (_, i) => `SET key:${i} ${"v".repeat(100)}${i}`));
    const before = pod.info(PW, "aof_last_rewrite_time_sec");
    const { code, out } = pod.run(REDIS_QUIESCE_SCRIPT);
    assert.equal(code, 0, out);
    assert.match(out, /append-only file rewritten and synced/);
    assert.equal(pod.info(PW, "aof_rewrite_in_progress"), "0");
    assert.equal(pod.info(PW, "aof_last_bgrewrite_status"), "ok");
    assert.notEqual(pod.info(PW, "aof_last_rewrite_time_sec"), before, "a rewrite ran");
    const aof = readdirSync(join(pod.data, "appendonlydir"));
    assert.ok(
      aof.some((f) => f.includes(".base.")),
      `a new base file: ${aof.join(", ")}`,
    );
  });

  it("leaves a data directory from which a new server loads every key", async () => {
    const copy = mkdtempSync(join(tmpdir(), "redis-backup-"));
    copies.push(copy);
    cpSync(set!.primary.data, copy, { recursive: true });
    const port = await freePort();
    const server = spawn("redis-server", [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      copy,
      "--appendonly",
      "yes",
      "--appenddirname",
      "appendonlydir",
      "--save",
      "",
    ]);
    try {
      const dbsize = () =>
        spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "DBSIZE"], {
          encoding: "utf8",
        }).stdout.trim();
      await waitFor("the restored server to load", () => dbsize() === String(KEYS));
    } finally {
      server.kill("SIGKILL");
    }
    assert.ok(existsSync(join(copy, "appendonlydir")));
  });

  it("fails, saying why, when the server refuses it (a wrong password) or is not there", async () => {
    const pod = set!.primary;
    const wrong = pod.withEnv({ REDIS_PASSWORD_FILE: join(pod.dir, "state", "current-wrong") });
    const refused = wrong.run(
      `printf 'wrong\\n' > "$REDIS_PASSWORD_FILE"\n${REDIS_QUIESCE_SCRIPT}`,
    );
    assert.equal(refused.code, 1, refused.out);
    assert.match(
      refused.out,
      /redis: BGREWRITEAOF refused: .*(WRONGPASS|invalid username-password)/,
    );
    const absent = pod.withEnv({ REDIS_PORT: String(await freePort()) }).run(REDIS_QUIESCE_SCRIPT);
    assert.equal(absent.code, 1, absent.out);
    assert.match(
      absent.out,
      /redis: BGREWRITEAOF refused: .*(Could not connect|Connection refused)/,
    );
  });
});
