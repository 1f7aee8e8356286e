// Replication slots: every replica has its own on the primary, made by itself before it clones and
// at every start, and named in its primary_slot_name; the primary's sidecar drops the inactive
// slots of replicas that are gone (REPLICAS_FILE, from the agent) or lost, and no one else's.
import { strict as assert } from "assert";
import { readFileSync } from "fs";
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
  sleep,
  toolboxOrSkip,
  waitFor,
} from "./server";

describe("PostgreSQL pod scripts: replication slots (real server)", function () {
  this.timeout(60_000);
  let lab: Lab;
  let passwords: Passwords;
  let primary: Pod;
  let sidecar: Background;

  before(async function () {
    lab = new Lab(toolboxOrSkip(this));
    passwords = newPasswords();
    primary = await lab.pod("db-0");
    sidecar = await firstPrimary(primary, passwords, {
      max_slot_wal_keep_size: "32MB",
      wal_keep_size: "0",
    });
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

  it("the primary's sidecar drops the inactive slots of ordinals at or above REPLICAS_FILE, and only its own", async () => {
    for (const s of ["db_2", "db_5", "db_12", "other_7", "dbx_9", "db_x"]) createSlot(s, false);
    await sleep(1000);
    assert.deepEqual(dropLines(), [], "without REPLICAS_FILE, nothing is dropped for departure");
    primary.writeReplicas(1); // db_1's pod is still there and streams: its slot is active
    await waitFor("the drops", 10, () => (dropLines().length >= 3 ? true : undefined));
    await sleep(500);
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
});
