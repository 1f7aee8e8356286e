// Replication slots: every replica has its own on the primary, made by itself before it clones and
// at every start, and named in its primary_slot_name; the primary's sidecar drops the inactive
// slots of replicas that are gone (REPLICAS_FILE, from the agent) or lost, and no one else's.
import { strict as assert } from "assert";
import { mkdirSync, readFileSync, statfsSync, writeFileSync } from "fs";
import { join } from "path";
import {
  Background,
  containers,
  firstPrimary,
  firstReplica,
  Lab,
  newPasswords,
  Passwords,
  Pod,
  toolboxOrSkip,
  waitFor,
} from "./server";

describe("PostgreSQL pod scripts: replication slots (real server)", function () {
  this.timeout(60_000);
  let lab: Lab;
  let passwords: Passwords;
  let primary: Pod;
  let sidecar: Background;
  let passes: string;

  before(async function () {
    lab = new Lab(toolboxOrSkip(this));
    passwords = newPasswords();
    primary = await lab.pod("db-0");
    // drop_slots reads REPLICAS_FILE's time with `date -r` once a pass: a `date` first on PATH
    // counts the passes, so the test waits for the sidecar rather than for a guess of its speed.
    const stub = join(lab.root, "date-stub");
    mkdirSync(stub);
    passes = join(stub, "passes");
    writeFileSync(passes, "");
    lab.own(passes); // the scripts run as the server's user
    writeFileSync(
      join(stub, "date"),
      `#!/bin/sh\ncase "$1" in -r) echo >>${passes} ;; esac\nexec /bin/date "$@"\n`,
      { mode: 0o755 },
    );
    sidecar = await firstPrimary(
      primary,
      passwords,
      { max_slot_wal_keep_size: "32MB", wal_keep_size: "0" },
      { PATH: `${stub}:${lab.baseEnv().PATH}` },
    );
  });

  after(async () => {
    await lab?.cleanup();
  });

  /** `name status active` for every slot, by name. */
  const slots = () =>
    primary
      .sql(
        "SELECT string_agg(slot_name || ' ' || coalesce(wal_status, '-') || ' ' || active, ',' ORDER BY slot_name) FROM pg_replication_slots",
      )
      .split(",")
      .filter(Boolean);
  const createSlot = (name: string, reserve: boolean) =>
    primary.sql(`SELECT pg_create_physical_replication_slot('${name}', ${reserve})`);
  const dropLines = () =>
    sidecar
      .output()
      .split("\n")
      .filter((l) => l.startsWith("dropped the replication slot"));

  it("a replica makes its own slot before it clones, clones through it, and names it in primary_slot_name", async () => {
    const replica = await lab.pod("db-1");
    const out = await firstReplica(replica, primary, passwords);
    assert.match(out, /^created the replication slot db_1 on the primary$/m);
    assert.ok(
      out.indexOf("created the replication slot") < out.indexOf("cloned the primary"),
      "the slot comes first",
    );
    const auto = readFileSync(join(replica.pgdata, "postgresql.auto.conf"), "utf8");
    assert.equal(auto.match(/^primary_slot_name = 'db_1'$/gm)?.length, 1);
    assert.equal(auto.match(/^primary_conninfo = /gm)?.length, 1);
    assert.deepEqual(slots(), ["db_1 reserved true"], "in use by the streaming replica");
    // Every start makes sure it exists: a primary rebuilt from a replica has none.
    replica.stop();
    primary.sql("SELECT pg_drop_replication_slot('db_1')");
    const again = containers.init(replica, primary);
    assert.match(
      again,
      /^already a replica: streaming resumes\ncreated the replication slot db_1 on the primary$/m,
    );
    replica.start();
    await waitFor("db_1 in use again", 20, () =>
      slots().includes("db_1 reserved true") ? true : undefined,
    );
    const auto2 = readFileSync(join(replica.pgdata, "postgresql.auto.conf"), "utf8");
    assert.equal(auto2.match(/^primary_slot_name = /gm)?.length, 1, "written once, not appended");
  });

  it("a StatefulSet name with dashes: the slot name has underscores (a valid slot name)", async () => {
    const replica = await lab.pod("orders-db-2");
    replica.writeSecret(passwords);
    const out = containers.init(replica, primary);
    assert.match(out, /^created the replication slot orders_db_2 on the primary$/m);
    assert.match(
      readFileSync(join(replica.pgdata, "postgresql.auto.conf"), "utf8"),
      /^primary_slot_name = 'orders_db_2'$/m,
    );
    primary.sql("SELECT pg_drop_replication_slot('orders_db_2')");
  });

  const passCount = () => readFileSync(passes, "utf8").length;
  /** Plays the agent's passes: writes the count, then waits for two passes of the sidecar (the
   * first may have read the file before it was written). */
  const twoPasses = async () => {
    const seen = passCount();
    await waitFor("two passes of the sidecar", 20, () =>
      passCount() >= seen + 2 ? true : undefined,
    );
  };
  const agentWrites = async (n: number) => {
    primary.writeReplicas(n);
    await twoPasses();
  };

  it("the primary's sidecar drops the inactive slots of ordinals at or above REPLICAS_FILE, and only its own", async () => {
    for (const s of ["db_2", "db_5", "db_12", "other_7", "dbx_9", "db_x"]) createSlot(s, false);
    await twoPasses();
    assert.deepEqual(dropLines(), [], "without REPLICAS_FILE, nothing is dropped for departure");
    await agentWrites(1); // db_1's pod is still there and streams: its slot is active
    await agentWrites(1);
    assert.deepEqual(dropLines(), [], "not before the agent read the count twice since");
    primary.writeReplicas(1);
    await waitFor("the drops", 10, () => (dropLines().length >= 3 ? true : undefined));
    await twoPasses();
    assert.deepEqual(dropLines().sort(), [
      "dropped the replication slot db_12: pod 12 is gone: the StatefulSet has 1 replicas",
      "dropped the replication slot db_2: pod 2 is gone: the StatefulSet has 1 replicas",
      "dropped the replication slot db_5: pod 5 is gone: the StatefulSet has 1 replicas",
    ]);
    assert.deepEqual(slots(), [
      "db_1 reserved true",
      "db_x - false",
      "dbx_9 - false",
      "other_7 - false",
    ]);
  });

  it("the primary's sidecar drops a lost slot of its replicas, and logs why", async () => {
    primary.writeReplicas(5);
    createSlot("db_3", true);
    createSlot("other_3", true);
    primary.churnWal(4);
    assert.ok(slots().includes("db_3 lost false"), `the setup: ${slots()}`);
    await waitFor("the drop", 10, () =>
      dropLines().some((l) => l.includes("db_3")) ? true : undefined,
    );
    assert.ok(
      dropLines().includes(
        "dropped the replication slot db_3: lost: its replica fell further behind than max_slot_wal_keep_size while away, and clones the primary again",
      ),
    );
    assert.ok(slots().includes("other_3 lost false"), "not one of this workload's");
    assert.ok(slots().includes("db_1 reserved true"), "the streaming replica's slot stays");
  });

  it("keeps a new replica's slot while REPLICAS_FILE still holds the count from before the scale-up", async () => {
    const has = (slot: string) => slots().some((s) => s.startsWith(`${slot} `));
    await agentWrites(7); // the StatefulSet has 7 replicas
    // Scaled up to 9: pod 8 makes its slot and clones (an inactive slot until it streams), while
    // the agent has not read the new count yet, or read it just before the scale-up.
    createSlot("db_8", true);
    await twoPasses();
    await agentWrites(7);
    assert.ok(has("db_8"), `kept: ${slots()}`);
    await agentWrites(9);
    await agentWrites(9);
    assert.ok(has("db_8"), `kept: ${slots()}`);
    // Scaled down to 8: pod 8 is gone, its slot goes once the agent read the count twice.
    await agentWrites(8);
    await agentWrites(8);
    assert.ok(has("db_8"), `kept: ${slots()}`);
    primary.writeReplicas(8);
    await waitFor("the drop", 10, () =>
      dropLines().some((l) => l.includes("db_8")) ? true : undefined,
    );
    assert.ok(
      dropLines().includes(
        "dropped the replication slot db_8: pod 8 is gone: the StatefulSet has 8 replicas",
      ),
    );
  });
});

describe("PostgreSQL pod scripts: the WAL that replication slots keep (real server)", function () {
  this.timeout(60_000);
  let lab: Lab;

  before(function () {
    lab = new Lab(toolboxOrSkip(this));
  });

  after(async () => {
    await lab?.cleanup();
  });

  const bound = (pod: Pod) =>
    pod.sql("SELECT setting FROM pg_settings WHERE name = 'max_slot_wal_keep_size'");
  const untilBound = (pod: Pod, mib: number) =>
    waitFor(`max_slot_wal_keep_size ${mib}MB`, 15, () =>
      bound(pod) === String(mib) ? true : undefined,
    );
  const boundLines = (sidecar: Background) =>
    sidecar
      .output()
      .split("\n")
      .filter((l) => l.startsWith("max_slot_wal_keep_size"));
  /** The sidecar logs after the reload: the setting can be seen before its line is written. */
  const untilLogged = (sidecar: Background, lines: number) =>
    waitFor(`${lines} max_slot_wal_keep_size lines`, 10, () =>
      boundLines(sidecar).length >= lines ? true : undefined,
    );

  it("the primary's sidecar sets it to a quarter of the claim's filesystem, and it survives a restart", async () => {
    const pod = await lab.pod("keep-0");
    const sidecar = await firstPrimary(pod, newPasswords());
    const fs = statfsSync(pod.claim);
    const mib = Math.max(512, Math.floor((fs.blocks * fs.bsize) / 1024 / 1024 / 4));
    await untilBound(pod, mib);
    await untilLogged(sidecar, 1);
    assert.match(
      sidecar.output(),
      new RegExp(
        `^max_slot_wal_keep_size: ${mib}MB, a quarter of the claim \\(it was no bound\\)$`,
        "m",
      ),
    );
    assert.match(
      readFileSync(join(pod.pgdata, "postgresql.auto.conf"), "utf8"),
      new RegExp(`^max_slot_wal_keep_size = '${mib}MB'$`, "m"),
    );
    await sidecar.stop();
    pod.stop();
    pod.start();
    assert.equal(bound(pod), String(mib), "ALTER SYSTEM keeps it across a restart");
  });

  it("follows a claim that grows, without a restart, and never goes below wal_keep_size", async () => {
    // df as the sidecar runs it (`df -Pk <claim>`), for a claim of the size in a file.
    const stub = join(lab.root, "df-stub");
    mkdirSync(stub);
    const kib = join(stub, "kib");
    writeFileSync(
      join(stub, "df"),
      `#!/bin/sh\nk=$(cat ${kib})\nprintf 'Filesystem 1024-blocks Used Available Capacity Mounted on\\n/dev/claim %s 0 %s 0%% %s\\n' "$k" "$k" "$2"\n`,
      { mode: 0o755 },
    );
    const claimGiB = (gib: number) => writeFileSync(kib, String(gib * 1024 * 1024));
    claimGiB(10);
    const pod = await lab.pod("grow-0");
    pod.writeSecret(newPasswords());
    containers.init(pod, pod);
    pod.initdb();
    pod.start();
    const sidecar = containers.sidecar(pod, pod, { PATH: `${stub}:${lab.baseEnv().PATH}` });
    await untilBound(pod, 2560);
    const started = pod.sql("SELECT pg_postmaster_start_time()");
    claimGiB(20);
    await untilBound(pod, 5120);
    assert.equal(pod.sql("SELECT pg_postmaster_start_time()"), started, "no restart");
    claimGiB(1);
    await untilBound(pod, 512);
    await untilLogged(sidecar, 3);
    assert.deepEqual(boundLines(sidecar), [
      "max_slot_wal_keep_size: 2560MB, a quarter of the claim (it was no bound)",
      "max_slot_wal_keep_size: 5120MB, a quarter of the claim (it was 2560MB)",
      "max_slot_wal_keep_size: 512MB, a quarter of the claim (it was 5120MB)",
    ]);
  });
});
