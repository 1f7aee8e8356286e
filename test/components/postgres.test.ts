import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { registered, setupMocks, GENERATED } from "../../harness/mocks";
import { validateObject } from "../../harness/schema";
import {
  isSecret,
  only,
  valueOf,
  plainLeaks,
  refusesBeforeRegistering,
} from "../support/assertions";
import {
  PGDATA,
  MAJOR_UPGRADE,
  Postgres,
  postgresMajorVersion,
  PostgresArgs,
  POSTGRES_CLONE_SCRIPT,
  POSTGRES_RECONCILE_SCRIPT,
  POSTGRES_RECONCILE_SQL,
  POSTGRES_RESTORE_SCRIPT,
  RECONCILE_RESOURCES,
} from "../../components/postgres";
import { DEFAULTS } from "../../components/defaults";
import { REPLICAS_FILE, RESTART_FILE } from "../../components/agent";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const STS = "kubernetes:apps/v1:StatefulSet";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

async function build(overrides: Partial<PostgresArgs> = {}) {
  await setupMocks();
  const pg = new Postgres("db", {
    namespace: "data",
    storage: { className: "standard" },
    ...overrides,
  });
  const resources = await registered();
  const sts = only(resources, STS).inputs as Obj;
  const pod = sts.spec.template.spec;
  return {
    pg,
    resources,
    sts,
    pod,
    container: pod.containers[0],
    sidecar: pod.containers.find((c: Obj) => c.name === "reconcile"),
    clone: pod.initContainers.find((c: Obj) => c.name === "clone-primary"),
  };
}

const env = (container: Obj, name: string) => container.env.find((e: Obj) => e.name === name);

/** A directory of executable stub commands (`#!/bin/sh` + body), to put first on PATH. */
function stubs(commands: Record<string, string>): { dir: string; bin: string } {
  const dir = mkdtempSync(join(tmpdir(), "pg-stub-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const [cmd, body] of Object.entries(commands)) {
    writeFileSync(join(bin, cmd), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, cmd), 0o755);
  }
  return { dir, bin };
}

/** Runs a command (as an exec probe would) with the given environment; returns its exit code. */
function exitCode(command: string[], env: Record<string, string>): number {
  try {
    execFileSync(command[0], command.slice(1), { env, stdio: "pipe" });
    return 0;
  } catch (err) {
    return (err as { status: number }).status;
  }
}

describe("Postgres", () => {
  it("runs the pinned official image as uid 999, OrderedReady, PGDATA below the claim", async () => {
    const { sts, pod, container, resources } = await build();
    assert.equal(container.image, DEFAULTS.postgres.image);
    assert.doesNotMatch(container.image, /:latest$/);
    assert.equal(sts.spec.podManagementPolicy, "OrderedReady");
    assert.equal(sts.spec.replicas, 1);
    assert.equal(pod.securityContext.runAsUser, 999);
    assert.equal(pod.securityContext.fsGroup, 999);
    assert.equal(PGDATA, "/var/lib/postgresql/data/pgdata");
    assert.equal(env(container, "PGDATA").value, PGDATA);
    assert.deepEqual(container.volumeMounts[0], {
      name: "data",
      mountPath: "/var/lib/postgresql/data",
    });
    assert.equal(pod.terminationGracePeriodSeconds, 60);
    assert.equal(resources.filter((r) => r.type === PDB).length, 0, "no budget for one pod");
  });

  it("mounts the Secret as files in every container and reads no password from env", async () => {
    const { pod, resources } = await build({ replicas: 2 });
    assert.deepEqual(pod.volumes.find((v: Obj) => v.name === "auth").secret, {
      secretName: "db-auth",
      defaultMode: 0o440,
      items: [
        { key: "postgres-password", path: "postgres-password" },
        { key: "password", path: "password" },
        { key: "replication-password", path: "replication-password" },
      ],
    });
    assert.deepEqual(
      [...pod.initContainers, ...pod.containers].map((c: Obj) => c.name),
      ["agent", "clone-primary", "postgresql", "reconcile"],
      "the agent first, a sidecar that the init container can read",
    );
    const agent = pod.initContainers.find((c: Obj) => c.name === "agent");
    assert.equal(
      agent.volumeMounts.find((m: Obj) => m.name === "auth"),
      undefined,
      "the agent never sees the database's passwords",
    );
    const all = [...pod.initContainers, ...pod.containers].filter((c: Obj) => c !== agent);
    for (const c of all) {
      assert.deepEqual(
        c.volumeMounts.find((m: Obj) => m.name === "auth"),
        { name: "auth", mountPath: "/etc/postgresql-auth", readOnly: true },
        `${c.name} mounts the Secret (no subPath: the kubelet refreshes it in place)`,
      );
      assert.deepEqual(
        c.volumeMounts.find((m: Obj) => m.name === "run"),
        { name: "run", mountPath: "/var/run/postgresql" },
        `${c.name} shares the socket directory`,
      );
      for (const e of c.env) {
        assert.equal(e.valueFrom?.secretKeyRef, undefined, `${c.name} ${e.name} from the Secret`);
        assert.doesNotMatch(e.name, /PASSWORD$/, `${c.name} has a password variable ${e.name}`);
      }
      assert.ok(!JSON.stringify([c.args, c.command]).includes("generated-"));
    }
    assert.deepEqual(env(pod.containers[0], "POSTGRES_PASSWORD_FILE"), {
      name: "POSTGRES_PASSWORD_FILE",
      value: "/etc/postgresql-auth/postgres-password",
    });
    assert.deepEqual(pod.volumes.find((v: Obj) => v.name === "run").emptyDir, {
      medium: "Memory",
      sizeLimit: "1Mi",
    });
    assert.equal(
      pod.volumes.find((v: Obj) => v.name === "initdb"),
      undefined,
      "no first-boot hook",
    );
    assert.deepEqual(plainLeaks(resources, GENERATED), []);
  });

  it("runs a reconcile sidecar on every pod: same image, small, ready once reconciled", async () => {
    const { sidecar, container, resources } = await build({ database: "orders", user: "shop" });
    assert.equal(sidecar.image, container.image);
    assert.deepEqual(sidecar.command, ["bash", "/scripts/reconcile.sh"]);
    const cm = (only(resources, "kubernetes:core/v1:ConfigMap").inputs as Obj).data;
    assert.equal(cm["reconcile.sh"], POSTGRES_RECONCILE_SCRIPT);
    assert.deepEqual(
      sidecar.volumeMounts.map((m: Obj) => [m.name, m.mountPath]),
      [
        ["data", "/var/lib/postgresql/data"],
        ["run", "/var/run/postgresql"],
        ["auth", "/etc/postgresql-auth"],
        ["scripts", "/scripts"],
        ["agent", "/run/stateful"],
      ],
    );
    const values = Object.fromEntries(sidecar.env.map((e: Obj) => [e.name, e.value]));
    assert.equal(values.PGHOST, "/var/run/postgresql", "the server's socket, trusted");
    assert.equal(values.PGPORT, "5432");
    assert.equal(values.PGDATA, PGDATA);
    assert.equal(values.SECRETS_DIR, "/etc/postgresql-auth");
    assert.equal(values.APP_USER, "shop");
    assert.equal(values.APP_DATABASE, "orders");
    assert.equal(values.REPLICATION_USER, "replicator");
    assert.equal(values.REPLICATION_PASSFILE, "/var/run/postgresql/replication.pgpass");
    assert.equal(values.RECONCILED_MARKER, "/var/run/postgresql/reconciled");
    assert.deepEqual(env(sidecar, "POD_NAME").valueFrom, {
      fieldRef: { fieldPath: "metadata.name" },
    });
    assert.deepEqual(sidecar.readinessProbe.exec.command, [
      "test",
      "-e",
      "/var/run/postgresql/reconciled",
    ]);
    assert.deepEqual(sidecar.resources, RECONCILE_RESOURCES);
    assert.equal(sidecar.securityContext.runAsNonRoot, true);
    assert.deepEqual(sidecar.securityContext.capabilities, { drop: ["ALL"] });
    // The sidecar alone uses the application's names: the server's container has none.
    assert.equal(env(container, "APP_DATABASE"), undefined);
    assert.equal(env(container, "APP_USER"), undefined);
  });

  it("reconcile SQL: stops logging statement texts before any statement that carries a password", () => {
    const sql = POSTGRES_RECONCILE_SQL.split("\n");
    const passwordVars = sql
      .map((l) => /^\\getenv (\w+) \w*PASSWORD$/.exec(l)?.[1])
      .filter((v): v is string => !!v);
    assert.deepEqual(passwordVars, ["superuser_password", "app_password", "repl_password"]);
    const firstWithPassword = sql.findIndex(
      (l) => !l.startsWith("\\") && passwordVars.some((v) => l.includes(`:'${v}'`)),
    );
    assert.ok(firstWithPassword > 0, "some statement sets a password");
    for (const setting of [
      "SET log_min_error_statement = panic;",
      "SET log_statement = 'none';",
      "SET log_min_duration_statement = -1;",
    ]) {
      const at = sql.indexOf(setting);
      assert.ok(at >= 0, `${setting} is in the SQL`);
      assert.ok(at < firstWithPassword, `${setting} comes before the first password`);
    }
    // The sidecar feeds this SQL to psql on stdin, with the passwords in psql's environment only.
    assert.ok(POSTGRES_RECONCILE_SCRIPT.includes(POSTGRES_RECONCILE_SQL + "EOSQL\n"));
    assert.match(
      POSTGRES_RECONCILE_SCRIPT,
      /POSTGRES_PASSWORD="\$_su" APP_PASSWORD="\$_app" REPLICATION_PASSWORD="\$_repl" \\\n\s+psql /,
    );
  });

  it("clones the primary with pg_basebackup and the replication passfile on a replica's first start", async () => {
    const { clone, resources } = await build({ replicas: 3 });
    assert.equal(clone.name, "clone-primary");
    assert.deepEqual(clone.command, ["bash", "/scripts/clone.sh"]);
    const script = (only(resources, "kubernetes:core/v1:ConfigMap").inputs as Obj).data["clone.sh"];
    assert.equal(script, POSTGRES_CLONE_SCRIPT);
    assert.match(script, /PGPASSFILE="\$REPLICATION_PASSFILE" pg_basebackup -h "\$PRIMARY_HOST"/);
    assert.doesNotMatch(script, / -R /, "primary_conninfo is the script's own, without a password");
    assert.equal(env(clone, "PRIMARY_HOST").value, "db-0.db.data.svc.cluster.local");
    assert.equal(env(clone, "PRIMARY_PORT").value, "5432");
    assert.equal(env(clone, "SECRETS_DIR").value, "/etc/postgresql-auth");
    assert.equal(
      env(clone, "REPLICATION_PASSFILE").value,
      "/var/run/postgresql/replication.pgpass",
    );
    assert.equal(env(clone, "REPLICATION_PASSWORD"), undefined);
    assert.deepEqual(clone.volumeMounts[0], {
      name: "data",
      mountPath: "/var/lib/postgresql/data",
    });
    assert.equal(clone.securityContext.runAsNonRoot, true);
  });

  it("clone script: skips pod 0 and an initialised replica, clones a new one via a scratch dir", () => {
    const dir = mkdtempSync(join(tmpdir(), "pg-clone-"));
    const bin = join(dir, "bin");
    const auth = join(dir, "auth");
    mkdirSync(bin);
    mkdirSync(auth);
    writeFileSync(join(auth, "replication-password"), "s3cr3t");
    const stub = (cmd: string, body: string) => {
      writeFileSync(join(bin, cmd), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, cmd), 0o755);
    };
    stub("pg_isready", "exit 0");
    stub("postgres", 'echo "postgres (PostgreSQL) 17.2 (Debian 17.2-1.pgdg120+1)"');
    // The primary over the replication protocol: it makes slots, and answers nothing else.
    stub(
      "psql",
      [
        `echo "$*" >> ${dir}/psql`,
        'case "$*" in *CREATE_REPLICATION_SLOT*) echo "db_1|0/0||" ;;',
        '  *) echo "psql: error: connection refused" >&2; exit 2 ;; esac',
      ].join("\n"),
    );
    // Records its args and the password file it was given, then "clones".
    stub(
      "pg_basebackup",
      [
        `echo "$*" > ${dir}/args; cat "$PGPASSFILE" > ${dir}/passfile; echo "$PGPASSWORD" > ${dir}/password`,
        'while [ "$1" != -D ]; do shift; done; mkdir -p "$2"; echo 17 > "$2/PG_VERSION"',
      ].join("\n"),
    );
    const run = (pod: string) =>
      execFileSync("bash", ["-c", POSTGRES_CLONE_SCRIPT], {
        encoding: "utf8",
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          POD_NAME: pod,
          PGDATA: join(dir, "pgdata"),
          PRIMARY_HOST: "db-0.db.data.svc.cluster.local",
          PRIMARY_PORT: "5432",
          SECRETS_DIR: auth,
          REPLICATION_USER: "replicator",
          REPLICATION_PASSFILE: join(dir, "replication.pgpass"),
        },
      });
    assert.match(run("db-0"), /nothing to clone/);
    assert.equal(existsSync(join(dir, "args")), false);
    run("db-1");
    assert.equal(readFileSync(join(dir, "pgdata", "PG_VERSION"), "utf8"), "17\n");
    assert.equal(existsSync(join(dir, "pgdata.clone")), false);
    const args = readFileSync(join(dir, "args"), "utf8");
    assert.match(args, /-h db-0\.db\.data\.svc\.cluster\.local -p 5432 -U replicator/);
    assert.match(args, / -S db_1$/m, "through its own slot");
    assert.match(
      readFileSync(join(dir, "psql"), "utf8"),
      / host=db-0\.db\.data\.svc\.cluster\.local port=5432 user=replicator dbname=replication replication=true -c CREATE_REPLICATION_SLOT db_1 PHYSICAL RESERVE_WAL$/m,
    );
    assert.doesNotMatch(args, /s3cr3t/, "the password is not an argument");
    assert.equal(readFileSync(join(dir, "password"), "utf8"), "\n", "nor in PGPASSWORD");
    assert.equal(readFileSync(join(dir, "passfile"), "utf8"), "*:*:*:replicator:s3cr3t\n");
    assert.ok(existsSync(join(dir, "pgdata", "standby.signal")));
    assert.equal(
      readFileSync(join(dir, "pgdata", "postgresql.auto.conf"), "utf8"),
      `primary_conninfo = 'host=db-0.db.data.svc.cluster.local port=5432 user=replicator passfile=${join(dir, "replication.pgpass")} application_name=db-1'\n` +
        "primary_slot_name = 'db_1'\n",
    );
    assert.match(run("db-1"), /already a replica/);
  });

  it("keeps all three generated passwords in the Secret only", async () => {
    const { resources } = await build({ replicas: 2 });
    const secret = only(resources, "kubernetes:core/v1:Secret");
    assert.deepEqual((secret.inputs as Obj).stringData, {
      "postgres-password": "generated-db-superuser-password",
      password: "generated-db-user-password",
      "replication-password": "generated-db-replication-password",
    });
    assert.deepEqual(plainLeaks(resources, GENERATED), []);
  });

  it("exports the write and read Services' DNS names, and connection strings to them that are secrets", async () => {
    const { pg } = await build({ replicas: 2, database: "orders", user: "shop" });
    assert.equal(await valueOf(pg.primaryDnsName), "db-0.db.data.svc.cluster.local");
    assert.equal(await valueOf(pg.writeDnsName), "db-rw.data.svc.cluster.local");
    assert.equal(await valueOf(pg.readDnsName), "db-ro.data.svc.cluster.local");
    assert.equal(await isSecret(pg.connectionString), true);
    assert.equal(
      await valueOf(pg.connectionString),
      "postgresql://shop:generated-db-user-password@db-rw.data.svc.cluster.local:5432/orders",
    );
    assert.equal(await isSecret(pg.readConnectionString), true);
    assert.equal(
      await valueOf(pg.readConnectionString),
      "postgresql://shop:generated-db-user-password@db-ro.data.svc.cluster.local:5432/orders",
    );
    assert.equal(await isSecret(pg.password), true);
    assert.deepEqual(pg.passwordSecret, { name: "db-auth", key: "password" });
  });

  it("probes pg_isready on localhost: a startup budget, then ready, then a more patient liveness", async () => {
    const { container } = await build({ startupSeconds: 300 });
    const isReady = [
      "pg_isready",
      "-h",
      "127.0.0.1",
      "-p",
      "5432",
      "-U",
      "postgres",
      "-d",
      "postgres",
      "-t",
      "2",
    ];
    const { startupProbe: start, readinessProbe: ready, livenessProbe: live } = container;
    for (const probe of [start, live]) {
      assert.deepEqual(probe.exec.command, isReady);
      assert.ok(probe.timeoutSeconds > 2, "longer than pg_isready's own timeout");
    }
    assert.deepEqual(ready.exec.command.slice(0, 2), ["sh", "-c"]);
    assert.ok(ready.exec.command[2].startsWith(`${isReady.join(" ")} || exit 1\n`));
    assert.ok(start.periodSeconds * start.failureThreshold >= 300);
    assert.ok(
      live.periodSeconds * live.failureThreshold > ready.periodSeconds * ready.failureThreshold,
    );
  });

  it("is ready on a replica only while its WAL receiver streams; the primary needs pg_isready alone", async () => {
    const { container } = await build({ replicas: 3 });
    const probe = container.readinessProbe;
    const { dir, bin } = stubs({
      pg_isready: 'exit "${ISREADY_EXIT:-0}"',
      // Records how it was called, then answers as the server would.
      psql: [
        `printf '%s\\n' "$@" > "$STUB_DIR/psql-argv"`,
        `echo "$PGCONNECT_TIMEOUT|$PGOPTIONS" > "$STUB_DIR/psql-env"`,
        'if [ -n "$RECEIVER_STATUS" ]; then echo "$RECEIVER_STATUS"; fi',
        'exit "${PSQL_EXIT:-0}"',
      ].join("\n"),
    });
    const run = (pod: string, vars: Record<string, string> = {}) => {
      rmSync(join(dir, "psql-argv"), { force: true });
      const code = exitCode(probe.exec.command, {
        PATH: `${bin}:${process.env.PATH}`,
        STUB_DIR: dir,
        POD_NAME: pod,
        ...vars,
      });
      return { code, askedReceiver: existsSync(join(dir, "psql-argv")) };
    };

    assert.deepEqual(run("db-0"), { code: 0, askedReceiver: false }, "primary: pg_isready only");
    assert.notEqual(run("db-0", { ISREADY_EXIT: "2" }).code, 0, "primary not accepting");

    assert.deepEqual(
      run("db-1", { RECEIVER_STATUS: "streaming" }),
      { code: 0, askedReceiver: true },
      "streaming replica",
    );
    const argv = readFileSync(join(dir, "psql-argv"), "utf8");
    assert.match(argv, /^-h\n\/var\/run\/postgresql\n/m, "over the local Unix socket");
    assert.match(argv, /^-U\npostgres\n/m);
    assert.match(argv, /^SELECT status FROM pg_stat_wal_receiver$/m);
    assert.match(argv, /^-w$/m, "never waits for a password prompt");
    const [connectTimeout, options] = readFileSync(join(dir, "psql-env"), "utf8").trim().split("|");
    assert.match(options, /^-c statement_timeout=\d+$/);

    for (const status of ["waiting", "starting", "stopping", ""]) {
      assert.notEqual(
        run("db-1", { RECEIVER_STATUS: status }).code,
        0,
        `replica with WAL receiver '${status}'`,
      );
    }
    assert.notEqual(run("db-2", { PSQL_EXIT: "2" }).code, 0, "psql cannot connect");
    assert.notEqual(run("db-10").code, 0, "ordinal 10 is a replica, not pod 0");
    assert.equal(run("db-10", { RECEIVER_STATUS: "streaming" }).code, 0);
    assert.deepEqual(
      run("db-1", { ISREADY_EXIT: "1", RECEIVER_STATUS: "streaming" }),
      { code: 1, askedReceiver: false },
      "a replica that does not accept connections",
    );

    // The probe outlasts the script's own bounds (pg_isready, then psql's connect and statement
    // timeouts) by at least a second, and ends before the next probe is due.
    const script: string = probe.exec.command[2];
    const isReadySeconds = Number(/pg_isready .*-t (\d+)/.exec(script)![1]);
    const statementMs = Number(/statement_timeout=(\d+)/.exec(options)![1]);
    const own = isReadySeconds + Number(connectTimeout) + Math.ceil(statementMs / 1000);
    assert.ok(Number(connectTimeout) >= 1, "psql has a connect timeout");
    assert.ok(probe.timeoutSeconds >= own + 1, `${probe.timeoutSeconds}s >= ${own}s + 1s`);
    assert.ok(probe.timeoutSeconds < probe.periodSeconds);
  });

  it("stops fast before the grace period ends and sizes memory settings from resources", async () => {
    const { container, pod } = await build({
      resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "4Gi" } },
    });
    assert.deepEqual(container.lifecycle.preStop.exec.command, [
      "sh",
      "-c",
      'pg_ctl stop -D "$PGDATA" -m fast -w -t 50',
    ]);
    assert.ok(container.args.includes("shared_buffers=512MB"));
    assert.ok(container.args.includes("effective_cache_size=3072MB"));
    assert.ok(container.args.includes("wal_level=replica"));
    assert.equal(container.args[0], "postgres");
    assert.deepEqual(pod.volumes.find((v: Obj) => v.name === "dshm").emptyDir, {
      medium: "Memory",
      sizeLimit: "512Mi",
    });
  });

  it("leaves the WAL bound of replication slots to the sidecar: no server argument follows the claim", async () => {
    const { container } = await build({ storage: { className: "standard", size: "100Gi" } });
    const args = container.args as string[];
    assert.ok(args.includes("wal_keep_size=512MB"));
    // A -c argument would win over the sidecar's ALTER SYSTEM (test/pods/postgres/slots.test.ts).
    assert.equal(args.filter((a) => a.startsWith("max_slot_wal_keep_size=")).length, 0);
    assert.match(POSTGRES_RECONCILE_SCRIPT, /ALTER SYSTEM SET max_slot_wal_keep_size/);
  });

  it("growing the claim does not change the pod template (no restart)", async () => {
    const ten = await build({ storage: { className: "standard", size: "10Gi" } });
    const twenty = await build({ storage: { className: "standard", size: "20Gi" } });
    assert.deepEqual(twenty.sts.spec.template, ten.sts.spec.template);
  });

  it("names pod 1 to pod 0's init container whatever the replica count, and publishes unready pods' names", async () => {
    const one = await build({ replicas: 1 });
    const three = await build({ replicas: 3 });
    assert.equal(env(one.clone, "FIRST_REPLICA_HOST").value, "db-1.db.data.svc.cluster.local");
    assert.deepEqual(
      three.sts.spec.template,
      one.sts.spec.template,
      "scaling does not change the pod template",
    );
    const headless = three.resources
      .filter((r) => r.type === "kubernetes:core/v1:Service")
      .map((r) => (r.inputs as Obj).spec)
      .find((spec: Obj) => spec.clusterIP === "None");
    assert.equal(headless.publishNotReadyAddresses, true);
  });

  it("ships restore.sh, and tells the sidecar the primary, the agent's restart file and replica count", async () => {
    const { sidecar, resources } = await build({ replicas: 2 });
    const cm = (only(resources, "kubernetes:core/v1:ConfigMap").inputs as Obj).data;
    assert.equal(cm["restore.sh"], POSTGRES_RESTORE_SCRIPT);
    const values = Object.fromEntries(sidecar.env.map((e: Obj) => [e.name, e.value]));
    assert.equal(values.PRIMARY_HOST, "db-0.db.data.svc.cluster.local");
    assert.equal(values.PRIMARY_PORT, "5432");
    assert.equal(values.RESTART_FILE, RESTART_FILE);
    assert.equal(values.REPLICAS_FILE, REPLICAS_FILE);
    assert.ok(
      sidecar.volumeMounts.some((m: Obj) => m.mountPath === "/run/stateful"),
      "the agent's directory is mounted",
    );
  });

  it("derives a valid replication slot name from the pod's name, even the longest", () => {
    const lines = POSTGRES_CLONE_SCRIPT.split("\n").filter((l) => /^slot(_prefix)?=/.test(l));
    assert.equal(lines.length, 2);
    const slotOf = (pod: string) =>
      execFileSync("bash", ["-c", `${lines.join("\n")}\nprintf %s "$slot"`], {
        encoding: "utf8",
        env: { ...process.env, POD_NAME: pod },
      });
    assert.equal(slotOf("db-0"), "db_0");
    assert.equal(slotOf("orders-db-12"), "orders_db_12");
    const longest = slotOf(`${"a-".repeat(25)}bc-999`); // a 52-character StatefulSet name
    assert.match(longest, /^[a-z0-9_]+$/);
    assert.ok(longest.length <= 63, `${longest.length} characters`);
  });

  it("budgets one disrupted pod at a time with replicas", async () => {
    const { resources } = await build({ replicas: 3 });
    assert.equal((only(resources, PDB).inputs as Obj).spec.maxUnavailable, 1);
  });

  it("renders only schema-valid objects", async () => {
    const { resources } = await build({ replicas: 2 });
    const objects = resources.filter(
      (r) => r.type.startsWith("kubernetes:") && !r.type.endsWith("Patch"),
    );
    assert.deepEqual(
      objects.map((r) => r.type.split(":")[2]).sort(),
      [
        "ConfigMap",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Role",
        "RoleBinding",
        "Secret",
        "Service",
        "Service",
        "Service",
        "ServiceAccount",
        "StatefulSet",
      ],
      "headless, write and read Services; the agent's identity and Role",
    );
    for (const r of objects) validateObject(r.inputs);
  });

  describe("refuses args that cannot work, before registering anything", () => {
    // The messages themselves are config.ts's (and test/components/config.test.ts's) business.
    const cases: [string, Partial<PostgresArgs>, string | RegExp][] = [
      [
        "Parallel pod management",
        { podManagementPolicy: "Parallel" },
        'Postgres db: podManagementPolicy: got "Parallel"; must be OrderedReady for postgres: replicas clone the primary, which must be ready first',
      ],
      [
        "the superuser as the application role",
        { user: "postgres" },
        /^Postgres db: user: got "postgres"; must not be postgres\b/,
      ],
      [
        "a memory limit below the request",
        { resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Mi" } } },
        'Postgres db: resources.limits.memory: got "1Mi"; must be at least the memory request (1Gi)',
      ],
    ];
    refusesBeforeRegistering(
      (overrides) =>
        new Postgres("db", { namespace: "data", storage: { className: "s" }, ...overrides }),
      cases,
    );
  });
});

describe("PostgreSQL major version", () => {
  const cases: [string, string | undefined][] = [
    ["postgres:17.2-bookworm", "17"],
    ["postgres:18", "18"],
    ["registry.example.com:5000/postgres:16.4-alpine", "16"],
    ["postgres:9.6.24", "9.6"],
    ["postgres:17.2@sha256:" + "a".repeat(64), "17"],
    ["postgres@sha256:" + "a".repeat(64), undefined],
    ["postgres:bookworm", undefined],
  ];
  for (const [image, major] of cases) {
    it(`reads ${major ?? "nothing"} from ${image.slice(0, 60)}`, () => {
      assert.equal(postgresMajorVersion(image), major);
    });
  }

  it("is fixed after the first start: the guard refuses a change at preview", async () => {
    await setupMocks();
    new Postgres("db", { namespace: "data", storage: { className: "standard" } });
    const guard = (await registered()).find(
      (r) => r.type === "pulumi-nodejs:dynamic/stateful:WorkloadGuard",
    )!;
    assert.deepEqual((guard.inputs as Obj).fixed, {
      "PostgreSQL major version": { value: "17", instead: MAJOR_UPGRADE },
    });
  });
});
