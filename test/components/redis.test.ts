import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "fs";
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
  AUTH_RESOURCES,
  Redis,
  RedisArgs,
  REDIS_AUTH_READINESS_SCRIPT,
  REDIS_AUTH_SCRIPT,
  REDIS_LIVENESS_SCRIPT,
  REDIS_READINESS_SCRIPT,
  REDIS_RESTORE_SCRIPT,
  REDIS_START_SCRIPT,
} from "../../components/redis";
import { DEFAULTS } from "../../components/defaults";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const PASSWORD = "generated-cache-password";

async function build(overrides: Partial<RedisArgs> = {}) {
  await setupMocks();
  const redis = new Redis("cache", {
    namespace: "data",
    storage: { className: "standard" },
    ...overrides,
  });
  const resources = await registered();
  const sts = only(resources, "kubernetes:apps/v1:StatefulSet").inputs as Obj;
  const pod = sts.spec.template.spec;
  return { redis, resources, sts, pod, container: pod.containers[0], sidecar: pod.containers[1] };
}

const env = (container: Obj, name: string) => container.env.find((e: Obj) => e.name === name);

/** A password file as the mounted Secret holds it, and a state directory. */
function authFiles(password: string) {
  const dir = mkdtempSync(join(tmpdir(), "redis-auth-"));
  writeFileSync(join(dir, "redis-password"), password);
  mkdirSync(join(dir, "state"));
  return {
    dir,
    vars: { REDIS_PASSWORD_FILE: join(dir, "redis-password"), REDIS_STATE_DIR: join(dir, "state") },
  };
}

/** Runs a script with `sh`, stub commands first on PATH; returns the exit code and output. */
function runScript(
  script: string,
  stubs: Record<string, string>,
  vars: Record<string, string>,
  stdin = "",
) {
  const bin = mkdtempSync(join(tmpdir(), "redis-stub-"));
  for (const [cmd, body] of Object.entries(stubs)) {
    writeFileSync(join(bin, cmd), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, cmd), 0o755);
  }
  try {
    const out = execFileSync("sh", ["-c", script], {
      env: { PATH: `${bin}:${process.env.PATH}`, ...vars },
      input: stdin,
      encoding: "utf8",
    });
    return { code: 0, out };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: `${e.stdout}${e.stderr}` };
  }
}

describe("Redis", () => {
  it("runs the pinned official image as uid 999, in Parallel, with the kind's defaults", async () => {
    const { sts, pod, container } = await build();
    assert.equal(container.image, DEFAULTS.redis.image);
    assert.doesNotMatch(container.image, /:latest$/);
    assert.equal(sts.spec.podManagementPolicy, "Parallel");
    assert.equal(sts.spec.replicas, 3);
    assert.equal(pod.securityContext.runAsUser, 999);
    assert.equal(pod.securityContext.fsGroup, 999);
    // Three replicas run Sentinel by default: its port is the pod's too (test/components/redisSentinel.test.ts).
    assert.deepEqual(container.ports, [
      { name: "redis", containerPort: 6379, protocol: "TCP" },
      { name: "sentinel", containerPort: 26379, protocol: "TCP" },
    ]);
    assert.deepEqual(container.resources, DEFAULTS.redis.resources);
    assert.deepEqual(container.volumeMounts, [
      { name: "data", mountPath: "/data" },
      { name: "config", mountPath: "/etc/redis", readOnly: true },
      { name: "auth", mountPath: "/etc/redis-auth", readOnly: true },
      { name: "state", mountPath: "/run/redis" },
      { name: "agent", mountPath: "/run/stateful" },
    ]);
  });

  it("mounts the Secret whole, so that kubelet updates the file, and a memory-backed state", async () => {
    const { pod } = await build();
    assert.match(pod.volumes[0].configMap.name, /^cache-config-[0-9a-f]{10}$/);
    assert.deepEqual(pod.volumes.slice(1, 3), [
      { name: "auth", secret: { secretName: "cache-auth", defaultMode: 0o440 } },
      { name: "state", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
    ]);
    for (const c of pod.containers) {
      for (const m of c.volumeMounts) assert.equal(m.subPath, undefined, `${c.name}: ${m.name}`);
    }
  });

  it("runs the auth container from the same image, small, with a readiness probe", async () => {
    const { pod, container, sidecar } = await build();
    assert.deepEqual(
      pod.containers.map((c: Obj) => c.name),
      ["redis", "auth", "sentinel"],
    );
    assert.deepEqual(
      pod.initContainers.map((c: Obj) => [c.name, c.restartPolicy]),
      [["agent", "Always"]],
      "the agent, a sidecar",
    );
    assert.equal(sidecar.name, "auth");
    assert.equal(sidecar.image, container.image);
    assert.deepEqual(sidecar.command, ["sh", "/etc/redis/auth.sh"]);
    assert.deepEqual(sidecar.resources, AUTH_RESOURCES);
    assert.deepEqual(sidecar.volumeMounts, [
      { name: "auth", mountPath: "/etc/redis-auth", readOnly: true },
      { name: "state", mountPath: "/run/redis" },
      { name: "agent", mountPath: "/run/stateful" },
    ]);
    assert.deepEqual(sidecar.readinessProbe.exec.command, ["sh", "/etc/redis/auth-ready.sh"]);
    assert.deepEqual(sidecar.env, container.env);
    assert.equal(sidecar.securityContext.runAsNonRoot, true);
  });

  it("ships every script as a ConfigMap file and runs it from there", async () => {
    const { resources, container } = await build();
    const data = (only(resources, "kubernetes:core/v1:ConfigMap").inputs as Obj).data;
    assert.deepEqual(data["start.sh"], REDIS_START_SCRIPT);
    assert.deepEqual(data["ready.sh"], REDIS_READINESS_SCRIPT);
    assert.deepEqual(data["alive.sh"], REDIS_LIVENESS_SCRIPT);
    assert.deepEqual(data["auth.sh"], REDIS_AUTH_SCRIPT);
    assert.deepEqual(data["auth-ready.sh"], REDIS_AUTH_READINESS_SCRIPT);
    assert.deepEqual(data["restore.sh"], REDIS_RESTORE_SCRIPT);
    assert.deepEqual(container.readinessProbe.exec.command, ["sh", "/etc/redis/ready.sh"]);
    assert.deepEqual(container.livenessProbe.exec.command, ["sh", "/etc/redis/alive.sh"]);
  });

  it("publishes not-ready pods, so that pod 0 reaches pod 1 while pod 1 has no primary", async () => {
    const { resources } = await build();
    const services = resources.filter((r) => r.type === "kubernetes:core/v1:Service");
    const headless = services.find((r) => (r.inputs as Obj).spec.clusterIP === "None");
    assert.equal((headless!.inputs as Obj).spec.publishNotReadyAddresses, true);
    for (const r of services.filter((s) => s !== headless)) {
      assert.equal(
        (r.inputs as Obj).spec.publishNotReadyAddresses,
        undefined,
        `${(r.inputs as Obj).metadata.name} follows readiness`,
      );
    }
  });

  it("makes pod 0 the primary and every other pod its replica, by stable DNS name", async () => {
    const { container } = await build();
    assert.deepEqual(container.command, ["sh", "/etc/redis/start.sh"]);
    assert.equal(env(container, "PRIMARY_HOST").value, "cache-0.cache.data.svc.cluster.local");
    assert.equal(
      env(container, "FIRST_REPLICA_HOST").value,
      "cache-1.cache.data.svc.cluster.local",
    );
    assert.deepEqual(env(container, "POD_NAME").valueFrom, {
      fieldRef: { fieldPath: "metadata.name" },
    });
  });

  it("starts redis-server with redis.conf, the file's password and replicaof on stdin, never in argv", () => {
    const stub = { "redis-server": 'echo "ARGS: $*"; cat' };
    const files = authFiles("s3cr3t");
    // The server gets no config file: nothing (Sentinel's CONFIG REWRITE) can write a role into one.
    writeFileSync(join(files.dir, "redis.conf"), "port 6379\nappendonly yes\n");
    const vars = {
      PRIMARY_HOST: "cache-0.cache.data.svc.cluster.local",
      REDIS_CONF: join(files.dir, "redis.conf"),
      ...files.vars,
    };
    const replica = runScript(REDIS_START_SCRIPT, stub, { ...vars, POD_NAME: "cache-2" });
    assert.equal(replica.code, 0, replica.out);
    const [args, ...config] = replica.out.split("\n");
    assert.equal(args, "ARGS: -");
    assert.deepEqual(config.filter(Boolean), [
      "port 6379",
      "appendonly yes",
      "requirepass s3cr3t",
      "masterauth s3cr3t",
      "replicaof cache-0.cache.data.svc.cluster.local 6379",
    ]);
    // What the server was given, for the auth container: private to the pod's user.
    const current = join(files.dir, "state", "current");
    assert.equal(readFileSync(current, "utf8"), "s3cr3t\n");
    assert.equal(statSync(current).mode & 0o777, 0o600);
    const primary = runScript(REDIS_START_SCRIPT, stub, { ...vars, POD_NAME: "cache-0" });
    assert.doesNotMatch(primary.out, /replicaof/);
    assert.match(primary.out, /requirepass s3cr3t/);
  });

  it("refuses a password that cannot pass through redis.conf, without printing it", () => {
    const stub = { "redis-server": 'echo "ARGS: $*"; cat' };
    for (const bad of ["two words", 'quo"te', ""]) {
      const files = authFiles(bad);
      const r = runScript(REDIS_START_SCRIPT, stub, { ...files.vars, POD_NAME: "cache-0" });
      assert.equal(r.code, 1, JSON.stringify(bad));
      assert.match(r.out, /must hold a password of letters, digits and \._~\+\/=- only/);
      if (bad) assert.equal(r.out.includes(bad), false);
    }
  });

  it("persists to an append-only file on the claim and caps memory below the limit", async () => {
    const { resources } = await build();
    const conf = (only(resources, "kubernetes:core/v1:ConfigMap").inputs as Obj).data["redis.conf"];
    assert.match(conf, /^appendonly yes$/m);
    assert.match(conf, /^dir \/data$/m);
    assert.match(conf, /^maxmemory 179mb$/m, "70% of the 256Mi limit");
    assert.match(conf, /^maxmemory-policy noeviction$/m);
    assert.doesNotMatch(conf, /^(requirepass|masterauth)/m);
  });

  it("keeps the generated password in the Secret only, read from the mounted file", async () => {
    const { redis, resources, container, sidecar } = await build();
    const secret = only(resources, "kubernetes:core/v1:Secret");
    assert.equal((secret.inputs.metadata as Obj).name, "cache-auth");
    assert.equal((secret.inputs as Obj).stringData["redis-password"], PASSWORD);
    // Env from a Secret is frozen at container start: the password reaches no container that way.
    for (const c of [container, sidecar]) {
      assert.deepEqual(
        c.env.filter((e: Obj) => e.valueFrom?.secretKeyRef),
        [],
        c.name,
      );
      assert.equal(JSON.stringify(c).includes(PASSWORD), false, c.name);
    }
    assert.deepEqual(plainLeaks(resources, GENERATED), []);
    assert.equal(await isSecret(redis.password), true);
    assert.equal(await valueOf(redis.password), PASSWORD);
    assert.deepEqual(redis.passwordSecret, { name: "cache-auth", key: "redis-password" });
  });

  it("is ready on PONG with, on a replica, the link to the primary up", async () => {
    const { container } = await build();
    const probe = container.readinessProbe;
    assert.deepEqual(probe.exec.command, ["sh", "/etc/redis/ready.sh"]);
    assert.equal(probe.timeoutSeconds, 3, "one second longer than the command's own timeout");
    assert.doesNotMatch(REDIS_READINESS_SCRIPT, / -a /, "auth comes from REDISCLI_AUTH");

    // The stub answers only to the file's password, through REDISCLI_AUTH.
    const files = authFiles("s3cr3t");
    const cli = (info: string) => ({
      timeout: `echo "$1" >> ${join(files.dir, "timeouts")}; shift; exec "$@"`,
      "redis-cli": `cat >/dev/null; [ "$REDISCLI_AUTH" = s3cr3t ] || { echo NOAUTH; exit 0; }
printf 'PONG\\r\\n# Replication\\r\\n${info}\\r\\n'`,
    });
    const run = (pod: string, info: string, vars = files.vars) =>
      runScript(REDIS_READINESS_SCRIPT, cli(info), { POD_NAME: pod, ...vars }).code;
    assert.equal(run("cache-0", "role:master", authFiles("old").vars), 1, "the Secret's password");
    assert.equal(run("cache-0", "role:master"), 0);
    assert.equal(run("cache-1", "role:slave\\r\\nmaster_link_status:up"), 0);
    assert.equal(run("cache-1", "role:slave\\r\\nmaster_link_status:down"), 1);
    const timeouts = readFileSync(join(files.dir, "timeouts"), "utf8").split("\n").filter(Boolean);
    assert.deepEqual([...new Set(timeouts)], ["2"], "redis-cli waits 2 s at most");
    const loading = {
      timeout: 'shift; exec "$@"',
      "redis-cli": "echo 'LOADING Redis is loading the dataset in memory'; exit 1",
    };
    assert.equal(
      runScript(REDIS_READINESS_SCRIPT, loading, { POD_NAME: "cache-0", ...files.vars }).code,
      1,
    );
  });

  it("is alive on PONG or LOADING, and more patient than ready", async () => {
    const { container } = await build();
    const live = container.livenessProbe;
    assert.deepEqual(live.exec.command, ["sh", "/etc/redis/alive.sh"]);
    assert.equal(live.timeoutSeconds, 3);
    const ready = container.readinessProbe;
    assert.ok(
      live.periodSeconds * live.failureThreshold > ready.periodSeconds * ready.failureThreshold,
    );
    const reply = (text: string, code = 0) => ({
      timeout: 'shift; exec "$@"',
      "redis-cli": `echo '${text}'; exit ${code}`,
    });
    assert.equal(runScript(REDIS_LIVENESS_SCRIPT, reply("PONG"), {}).code, 0);
    assert.equal(
      runScript(REDIS_LIVENESS_SCRIPT, reply("LOADING Redis is loading", 1), {}).code,
      0,
    );
    assert.equal(runScript(REDIS_LIVENESS_SCRIPT, reply("Connection refused", 1), {}).code, 1);
    const noauth = reply("NOAUTH Authentication required.");
    assert.equal(runScript(REDIS_LIVENESS_SCRIPT, noauth, {}).code, 0, "answers: a new password");
    const files = authFiles("s3cr3t");
    const refused = reply("Connection refused", 1);
    assert.equal(runScript(REDIS_LIVENESS_SCRIPT, refused, files.vars).code, 1);
    writeFileSync(join(files.dir, "state", "held"), "");
    assert.equal(runScript(REDIS_LIVENESS_SCRIPT, refused, files.vars).code, 0, "pod 0 holds back");
    const waiting = authFiles("s3cr3t");
    writeFileSync(join(waiting.dir, "state", "waiting"), "");
    assert.equal(
      runScript(REDIS_LIVENESS_SCRIPT, refused, waiting.vars).code,
      0,
      "pod 0 waits for pod 1's name to resolve",
    );
  });

  it("budgets one disrupted pod at a time and allows an ordered start on request", async () => {
    const { resources, sts } = await build({ podManagementPolicy: "OrderedReady", replicas: 5 });
    assert.equal(sts.spec.podManagementPolicy, "OrderedReady");
    assert.equal(
      (only(resources, "kubernetes:policy/v1:PodDisruptionBudget").inputs as Obj).spec
        .maxUnavailable,
      1,
    );
  });

  it("names pod 1 to a single pod too: scaling does not change the pod template", async () => {
    const one = await build({ replicas: 1 });
    assert.equal(
      env(one.container, "FIRST_REPLICA_HOST").value,
      "cache-1.cache.data.svc.cluster.local",
    );
    assert.ok(env(one.container, "PRIMARY_HOST"));
    // Without Sentinel (below 3 replicas): with it, every pod's name is in the env.
    const two = await build({ replicas: 2 });
    assert.deepEqual(two.sts.spec.template, one.sts.spec.template);
  });

  it("reports the primary's stable DNS name", async () => {
    const { redis } = await build({ clusterDomain: "corp.internal" });
    assert.equal(await valueOf(redis.primaryDnsName), "cache-0.cache.data.svc.corp.internal");
    assert.equal(await valueOf(redis.serviceDnsName), "cache.data.svc.corp.internal");
  });

  it("exports the write and read Services' DNS names, and connection strings to them that are secrets", async () => {
    const { redis } = await build({ clusterDomain: "corp.internal" });
    assert.equal(await valueOf(redis.writeDnsName), "cache-rw.data.svc.corp.internal");
    assert.equal(await valueOf(redis.readDnsName), "cache-ro.data.svc.corp.internal");
    assert.equal(await isSecret(redis.connectionString), true);
    assert.equal(
      await valueOf(redis.connectionString),
      `redis://default:${PASSWORD}@cache-rw.data.svc.corp.internal:6379`,
    );
    assert.equal(await isSecret(redis.readConnectionString), true);
    assert.equal(
      await valueOf(redis.readConnectionString),
      `redis://default:${PASSWORD}@cache-ro.data.svc.corp.internal:6379`,
    );
  });

  it("renders only schema-valid objects", async () => {
    const { resources } = await build();
    const objects = resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    const kinds = objects.map((r) => r.type.split(":")[2]).filter((k) => !k.endsWith("Patch"));
    assert.deepEqual(kinds.sort(), [
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
    ]);
    for (const r of objects) validateObject(r.inputs);
  });

  describe("refuses args that cannot work, before registering anything", () => {
    const cases: [string, Partial<RedisArgs>, string][] = [
      [
        "a memory limit below the request",
        { resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "512Mi" } } },
        'Redis cache: resources.limits.memory: got "512Mi"; must be at least the memory request (1Gi)',
      ],
      [
        "a memory request in words",
        { resources: { requests: { cpu: "1", memory: "lots" } } },
        'Redis cache: resources.requests.memory: got "lots"; must be a quantity such as 512Mi or 10Gi',
      ],
      [
        "a partition above replicas",
        { replicas: 2, updatePartition: 3 },
        "Redis cache: updatePartition: got 3; must be at most replicas (2): a partition above it updates no pod",
      ],
    ];
    refusesBeforeRegistering(
      (overrides) =>
        new Redis("cache", { namespace: "data", storage: { className: "s" }, ...overrides }),
      cases,
    );
  });
});
