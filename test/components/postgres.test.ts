import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import {
  isSecret,
  isWireSecret,
  only,
  RecordedResource,
  registered,
  setupMocks,
  valueOf,
} from "../support/mocks";
import { validateObject } from "../support/schema";
import {
  PGDATA,
  Postgres,
  PostgresArgs,
  POSTGRES_CLONE_SCRIPT,
  POSTGRES_INIT_SCRIPT,
} from "../../components/postgres";
import { DEFAULTS } from "../../components/defaults";

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
  return { pg, resources, sts, pod, container: pod.containers[0], clone: pod.initContainers[0] };
}

/** Every place a generated password appears in plain text on the wire (outside a secret). */
function plainPasswords(resources: RecordedResource[]): string[] {
  const found: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (isWireSecret(value)) return;
    if (typeof value === "string" && value.includes("generated-")) found.push(path);
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
    else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
    }
  };
  for (const r of resources) walk(r.wire, `${r.type}::${r.name}`);
  return found;
}

const env = (container: Obj, name: string) => container.env.find((e: Obj) => e.name === name);
const fromSecret = (key: string) => ({ secretKeyRef: { name: "db-auth", key } });

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

  it("initialises roles on the primary from a ConfigMap script that reads passwords from env", async () => {
    const { resources, container, pod } = await build({ database: "orders", user: "shop" });
    const cm = (only(resources, "kubernetes:core/v1:ConfigMap").inputs as Obj).data;
    assert.equal(cm["10-roles.sh"], POSTGRES_INIT_SCRIPT);
    assert.match(POSTGRES_INIT_SCRIPT, /\\getenv app_password APP_PASSWORD/);
    assert.match(POSTGRES_INIT_SCRIPT, /CREATE ROLE :"repl_user" WITH REPLICATION LOGIN/);
    assert.match(POSTGRES_INIT_SCRIPT, /host replication %s all scram-sha-256/);
    assert.deepEqual(
      container.volumeMounts.find((m: Obj) => m.name === "initdb"),
      { name: "initdb", mountPath: "/docker-entrypoint-initdb.d", readOnly: true },
    );
    assert.deepEqual(pod.volumes.find((v: Obj) => v.name === "initdb").configMap.items, [
      { key: "10-roles.sh", path: "10-roles.sh" },
    ]);
    assert.equal(env(container, "APP_DATABASE").value, "orders");
    assert.equal(env(container, "APP_USER").value, "shop");
    assert.equal(env(container, "REPLICATION_USER").value, "replicator");
  });

  it("clones the primary with pg_basebackup -R on a replica's first start", async () => {
    const { clone, resources } = await build({ replicas: 3 });
    assert.equal(clone.name, "clone-primary");
    assert.deepEqual(clone.command, ["bash", "/scripts/clone.sh"]);
    const script = (only(resources, "kubernetes:core/v1:ConfigMap").inputs as Obj).data["clone.sh"];
    assert.equal(script, POSTGRES_CLONE_SCRIPT);
    assert.match(script, /"\$\{POD_NAME##\*-\}" = 0 \]; then .*exit 0/);
    assert.match(script, /-s "\$PGDATA\/PG_VERSION" \]; then .*exit 0/);
    assert.match(script, /PGPASSWORD="\$REPLICATION_PASSWORD" pg_basebackup -h "\$PRIMARY_HOST"/);
    assert.match(script, / -R -X stream /);
    assert.equal(env(clone, "PRIMARY_HOST").value, "db-0.db.data.svc.cluster.local");
    assert.deepEqual(
      env(clone, "REPLICATION_PASSWORD").valueFrom,
      fromSecret("replication-password"),
    );
    assert.deepEqual(clone.volumeMounts[0], {
      name: "data",
      mountPath: "/var/lib/postgresql/data",
    });
    assert.equal(clone.securityContext.runAsNonRoot, true);
  });

  it("clone script: skips pod 0 and an initialised replica, clones a new one via a scratch dir", () => {
    const dir = mkdtempSync(join(tmpdir(), "pg-clone-"));
    const bin = join(dir, "bin");
    execFileSync("mkdir", [bin]);
    const stub = (cmd: string, body: string) => {
      writeFileSync(join(bin, cmd), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, cmd), 0o755);
    };
    stub("pg_isready", "exit 0");
    // Records its args and whether it got the password from the environment, then "clones".
    stub(
      "pg_basebackup",
      [
        `echo "$*" > ${dir}/args; echo "$PGPASSWORD" > ${dir}/password`,
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
          REPLICATION_USER: "replicator",
          REPLICATION_PASSWORD: "s3cr3t",
        },
      });
    assert.match(run("db-0"), /nothing to clone/);
    assert.equal(existsSync(join(dir, "args")), false);
    run("db-1");
    assert.equal(readFileSync(join(dir, "pgdata", "PG_VERSION"), "utf8"), "17\n");
    assert.equal(existsSync(join(dir, "pgdata.clone")), false);
    const args = readFileSync(join(dir, "args"), "utf8");
    assert.match(args, /-h db-0\.db\.data\.svc\.cluster\.local -p 5432 -U replicator/);
    assert.match(args, / -R /);
    assert.doesNotMatch(args, /s3cr3t/, "the password is not an argument");
    assert.equal(readFileSync(join(dir, "password"), "utf8"), "s3cr3t\n");
    assert.match(run("db-1"), /already a replica/);
  });

  it("keeps all three generated passwords in the Secret only, read through secretKeyRef", async () => {
    const { resources, container } = await build({ replicas: 2 });
    const secret = only(resources, "kubernetes:core/v1:Secret");
    assert.deepEqual((secret.inputs as Obj).stringData, {
      "postgres-password": "generated-db-superuser-password",
      password: "generated-db-user-password",
      "replication-password": "generated-db-replication-password",
    });
    assert.deepEqual(
      env(container, "POSTGRES_PASSWORD").valueFrom,
      fromSecret("postgres-password"),
    );
    assert.deepEqual(env(container, "APP_PASSWORD").valueFrom, fromSecret("password"));
    assert.deepEqual(
      env(container, "REPLICATION_PASSWORD").valueFrom,
      fromSecret("replication-password"),
    );
    assert.deepEqual(plainPasswords(resources), []);
  });

  it("exports the primary's DNS name and a connection string that is a secret", async () => {
    const { pg } = await build({ replicas: 2, database: "orders", user: "shop" });
    assert.equal(await valueOf(pg.primaryDnsName), "db-0.db.data.svc.cluster.local");
    assert.equal(await isSecret(pg.connectionString), true);
    assert.equal(
      await valueOf(pg.connectionString),
      "postgresql://shop:generated-db-user-password@db-0.db.data.svc.cluster.local:5432/orders",
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
    for (const probe of [start, ready, live]) {
      assert.deepEqual(probe.exec.command, isReady);
      assert.ok(probe.timeoutSeconds > 2, "longer than pg_isready's own timeout");
    }
    assert.ok(start.periodSeconds * start.failureThreshold >= 300);
    assert.ok(
      live.periodSeconds * live.failureThreshold > ready.periodSeconds * ready.failureThreshold,
    );
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

  it("budgets one disrupted pod at a time with replicas", async () => {
    const { resources } = await build({ replicas: 3 });
    assert.equal((only(resources, PDB).inputs as Obj).spec.maxUnavailable, 1);
  });

  it("renders only schema-valid objects", async () => {
    const { resources } = await build({ replicas: 2 });
    const objects = resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    assert.equal(objects.length, 6, "Service, StatefulSet, PDB, NetworkPolicy, ConfigMap, Secret");
    for (const r of objects) validateObject(r.inputs);
  });

  describe("refuses args that cannot work, before registering anything", () => {
    const cases: [string, Partial<PostgresArgs>, string][] = [
      [
        "Parallel pod management",
        { podManagementPolicy: "Parallel" },
        'Postgres db: podManagementPolicy: got "Parallel"; must be OrderedReady for postgres: replicas clone the primary, which must be ready first',
      ],
      [
        "the superuser as the application role",
        { user: "postgres" },
        'Postgres db: user: got "postgres"; must not be postgres or replicator: those are the superuser and the replication role',
      ],
      [
        "a memory limit below the request",
        { resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Mi" } } },
        'Postgres db: resources.limits.memory: got "1Mi"; must be at least the memory request (1Gi)',
      ],
    ];
    for (const [what, overrides, message] of cases) {
      it(what, async () => {
        await setupMocks();
        assert.throws(
          () =>
            new Postgres("db", { namespace: "data", storage: { className: "s" }, ...overrides }),
          { message },
        );
        assert.deepEqual(await registered(), []);
      });
    }
  });
});
