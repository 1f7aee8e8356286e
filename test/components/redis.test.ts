import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "fs";
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
  Redis,
  RedisArgs,
  REDIS_LIVENESS_SCRIPT,
  REDIS_READINESS_SCRIPT,
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
  return { redis, resources, sts, pod, container: pod.containers[0] };
}

const env = (container: Obj, name: string) => container.env.find((e: Obj) => e.name === name);

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
    const e = err as { status: number; stdout: string };
    return { code: e.status, out: e.stdout };
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
    assert.deepEqual(container.ports, [{ name: "redis", containerPort: 6379, protocol: "TCP" }]);
    assert.deepEqual(container.resources, DEFAULTS.redis.resources);
    assert.deepEqual(container.volumeMounts, [
      { name: "data", mountPath: "/data" },
      { name: "config", mountPath: "/etc/redis", readOnly: true },
    ]);
  });

  it("makes pod 0 the primary and every other pod its replica, by stable DNS name", async () => {
    const { container } = await build();
    assert.deepEqual(container.command, ["sh", "-c", REDIS_START_SCRIPT]);
    assert.equal(env(container, "PRIMARY_HOST").value, "cache-0.cache.data.svc.cluster.local");
    assert.deepEqual(env(container, "POD_NAME").valueFrom, {
      fieldRef: { fieldPath: "metadata.name" },
    });
  });

  it("starts redis-server with the password and replicaof on stdin, never in argv", () => {
    const stub = { "redis-server": 'echo "ARGS: $*"; cat' };
    const vars = { PRIMARY_HOST: "cache-0.cache.data.svc.cluster.local", REDIS_PASSWORD: "s3cr3t" };
    const replica = runScript(REDIS_START_SCRIPT, stub, { ...vars, POD_NAME: "cache-2" });
    assert.equal(replica.code, 0);
    const [args, ...config] = replica.out.split("\n");
    assert.equal(args, "ARGS: /etc/redis/redis.conf -");
    assert.deepEqual(config.filter(Boolean), [
      "requirepass s3cr3t",
      "masterauth s3cr3t",
      "replicaof cache-0.cache.data.svc.cluster.local 6379",
    ]);
    const primary = runScript(REDIS_START_SCRIPT, stub, { ...vars, POD_NAME: "cache-0" });
    assert.doesNotMatch(primary.out, /replicaof/);
    assert.match(primary.out, /requirepass s3cr3t/);
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

  it("keeps the generated password in the Secret only, read through secretKeyRef", async () => {
    const { redis, resources, container } = await build();
    const secret = only(resources, "kubernetes:core/v1:Secret");
    assert.equal((secret.inputs.metadata as Obj).name, "cache-auth");
    assert.equal((secret.inputs as Obj).stringData["redis-password"], PASSWORD);
    for (const name of ["REDIS_PASSWORD", "REDISCLI_AUTH"]) {
      assert.deepEqual(env(container, name), {
        name,
        valueFrom: { secretKeyRef: { name: "cache-auth", key: "redis-password" } },
      });
    }
    assert.deepEqual(plainLeaks(resources, GENERATED), []);
    assert.equal(await isSecret(redis.password), true);
    assert.equal(await valueOf(redis.password), PASSWORD);
    assert.deepEqual(redis.passwordSecret, { name: "cache-auth", key: "redis-password" });
  });

  it("is ready on PONG with, on a replica, the link to the primary up", async () => {
    const { container } = await build();
    const probe = container.readinessProbe;
    assert.deepEqual(probe.exec.command, ["sh", "-c", REDIS_READINESS_SCRIPT]);
    assert.match(REDIS_READINESS_SCRIPT, /timeout 2 redis-cli/);
    assert.equal(probe.timeoutSeconds, 3, "one second longer than the command's own timeout");
    assert.doesNotMatch(REDIS_READINESS_SCRIPT, / -a /, "auth comes from REDISCLI_AUTH");

    const cli = (info: string) => ({
      timeout: 'shift; exec "$@"',
      "redis-cli": `cat >/dev/null; printf 'PONG\\r\\n# Replication\\r\\n${info}\\r\\n'`,
    });
    const run = (pod: string, info: string) =>
      runScript(REDIS_READINESS_SCRIPT, cli(info), { POD_NAME: pod }).code;
    assert.equal(run("cache-0", "role:master"), 0);
    assert.equal(run("cache-1", "role:slave\\r\\nmaster_link_status:up"), 0);
    assert.equal(run("cache-1", "role:slave\\r\\nmaster_link_status:down"), 1);
    const loading = {
      timeout: 'shift; exec "$@"',
      "redis-cli": "echo 'LOADING Redis is loading the dataset in memory'; exit 1",
    };
    assert.equal(runScript(REDIS_READINESS_SCRIPT, loading, { POD_NAME: "cache-0" }).code, 1);
  });

  it("is alive on PONG or LOADING, and more patient than ready", async () => {
    const { container } = await build();
    const live = container.livenessProbe;
    assert.deepEqual(live.exec.command, ["sh", "-c", REDIS_LIVENESS_SCRIPT]);
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

  it("reports the primary's stable DNS name", async () => {
    const { redis } = await build({ clusterDomain: "corp.internal" });
    assert.equal(await valueOf(redis.primaryDnsName), "cache-0.cache.data.svc.corp.internal");
    assert.equal(await valueOf(redis.serviceDnsName), "cache.data.svc.corp.internal");
  });

  it("renders only schema-valid objects", async () => {
    const { resources } = await build();
    const objects = resources.filter(
      (r) => r.type.startsWith("kubernetes:") && !r.type.endsWith("Patch"),
    );
    assert.equal(objects.length, 6, "Service, StatefulSet, PDB, NetworkPolicy, ConfigMap, Secret");
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
