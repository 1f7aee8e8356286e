// Redis with Sentinel, under Pulumi mocks and with stub commands: which workloads run it, what
// each pod gets (a sentinel container, its port, its env, a preStop hook), the config the sentinel
// container writes, and how the start script reads the Sentinels' answers. The scripts against
// real servers and Sentinels are in test/pods/redis/sentinel.test.ts.
import { strict as assert } from "assert";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { spawnSync } from "child_process";
import { registered, setupMocks } from "../../harness/mocks";
import { only, refusesBeforeRegistering } from "../support/assertions";
import { ConfigError, parseStackConfig } from "../../components/config";
import { DEFAULTS } from "../../components/defaults";
import { AGENT_INTERVAL, AGENT_REPLICAS_EVERY } from "../../components/agent";
import {
  FAILOVER_WAIT_SECONDS,
  Redis,
  RedisArgs,
  REDIS_START_SCRIPT,
  SENTINEL_RESOURCES,
  SENTINEL_SCRIPT,
  PEERS_FUNCTIONS,
  SENTINEL_DEPARTED_AFTER_SECONDS,
} from "../../components/redis";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

async function build(overrides: Partial<RedisArgs> = {}) {
  await setupMocks();
  new Redis("cache", { namespace: "data", storage: { className: "standard" }, ...overrides });
  const resources = await registered();
  const sts = only(resources, "kubernetes:apps/v1:StatefulSet").inputs as Obj;
  const pod = sts.spec.template.spec;
  const container = (name: string) => pod.containers.find((c: Obj) => c.name === name);
  return { resources, sts, pod, container };
}

const envOf = (container: Obj) =>
  Object.fromEntries(
    container.env.filter((e: Obj) => "value" in e).map((e: Obj) => [e.name, e.value]),
  );

const NAME = (i: number) => `cache-${i}.cache.data.svc.cluster.local`;

/** A Sentinel's `SENTINEL MASTER` reply, as redis-cli prints it: one field a line. */
const masterReply = (epoch: number, host: string, flags = "master") =>
  ["name", "cache", "ip", host, "port", "6379", "flags", flags, "config-epoch", String(epoch)].join(
    "\n",
  );

/**
 * Runs a script with stub commands: redis-cli answers `SENTINEL MASTER` with the reply given for
 * the host it is pointed at (refused when none), PING with PONG; redis-server prints its argv
 * and what it was given.
 */
function runWithSentinels(
  script: string,
  replies: Record<string, string>,
  vars: Record<string, string>,
  timeout = 10000,
  data: Record<string, string> = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "redis-sentinel-"));
  const bin = join(dir, "bin");
  const answers = join(dir, "answers");
  for (const d of [bin, answers, join(dir, "data"), join(dir, "state"), join(dir, "sentinel")]) {
    mkdirSync(d);
  }
  for (const [host, reply] of Object.entries(replies)) writeFileSync(join(answers, host), reply);
  for (const [file, text] of Object.entries(data)) writeFileSync(join(dir, "data", file), text);
  const stubs: Record<string, string> = {
    timeout: 'shift; exec "$@"',
    "redis-cli": [
      'while [ $# -gt 0 ]; do case "$1" in -h) host="$2"; shift ;; -p) port="$2"; shift ;; esac; shift; done',
      'cmd="$(cat)"',
      'case "$cmd" in',
      `  "SENTINEL MASTER"*) if [ -e "${answers}/$host" ]; then cat "${answers}/$host"; echo; else echo "Could not connect to Redis at $host:$port: Connection refused"; fi ;;`,
      "  PING*) echo PONG ;;",
      '  *) echo "# Keyspace" ;;',
      "esac",
    ].join("\n"),
    "redis-server": 'echo "ARGS: $*"; if [ "$1" = - ]; then cat; else cat "$1"; fi',
  };
  for (const [cmd, body] of Object.entries(stubs)) {
    writeFileSync(join(bin, cmd), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, cmd), 0o755);
  }
  writeFileSync(join(dir, "redis-password"), "s3cr3t");
  writeFileSync(join(dir, "redis.conf"), "port 6379\n");
  writeFileSync(join(dir, "replicas"), "3\n");
  const r = spawnSync("sh", ["-c", script], {
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      REDIS_PASSWORD_FILE: join(dir, "redis-password"),
      REDIS_STATE_DIR: join(dir, "state"),
      REDIS_DATA_DIR: join(dir, "data"),
      REDIS_CONF: join(dir, "redis.conf"),
      SENTINEL_DIR: join(dir, "sentinel"),
      REDIS_HOLD_INTERVAL: "1",
      PRIMARY_HOST: NAME(0),
      SENTINEL_MASTER: "cache",
      REDIS_PEER_NAME: NAME(0).replace("cache-0", "cache-{i}"),
      REPLICAS_FILE: join(dir, "replicas"),
      ...vars,
    },
    encoding: "utf8",
    timeout,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, dir };
}

describe("Redis with Sentinel", () => {
  it("runs Sentinel from 3 replicas by default, not below, and as the config says", async () => {
    const names = async (args: Partial<RedisArgs>) =>
      (await build(args)).pod.containers.map((c: Obj) => c.name);
    assert.deepEqual(await names({}), ["redis", "auth", "sentinel"]);
    assert.deepEqual(await names({ replicas: 5 }), ["redis", "auth", "sentinel"]);
    assert.deepEqual(await names({ replicas: 2 }), ["redis", "auth"]);
    assert.deepEqual(await names({ replicas: 1 }), ["redis", "auth"]);
    assert.deepEqual(await names({ replicas: 3, sentinel: false }), ["redis", "auth"]);
    assert.deepEqual(await names({ replicas: 4, sentinel: true }), ["redis", "auth", "sentinel"]);
  });

  it("runs the sentinel container from the same image, restricted, small, with its own writable config", async () => {
    const { pod, container } = await build();
    const sentinel = container("sentinel");
    assert.equal(sentinel.image, container("redis").image);
    assert.deepEqual(sentinel.command, ["sh", "/etc/redis/sentinel.sh"]);
    assert.deepEqual(sentinel.resources, SENTINEL_RESOURCES);
    assert.equal(sentinel.securityContext.runAsNonRoot, true);
    assert.equal(sentinel.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(sentinel.securityContext.capabilities, { drop: ["ALL"] });
    assert.deepEqual(sentinel.volumeMounts, [
      { name: "config", mountPath: "/etc/redis", readOnly: true },
      { name: "auth", mountPath: "/etc/redis-auth", readOnly: true },
      { name: "sentinel", mountPath: "/run/sentinel" },
      { name: "agent", mountPath: "/run/stateful" },
    ]);
    assert.deepEqual(
      pod.volumes.find((v: Obj) => v.name === "sentinel"),
      { name: "sentinel", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
    );
    assert.deepEqual(sentinel.readinessProbe.exec.command, ["sh", "/etc/redis/sentinel-ready.sh"]);
    assert.deepEqual(sentinel.livenessProbe.exec.command, ["sh", "/etc/redis/sentinel-alive.sh"]);
    assert.deepEqual(
      sentinel.env.filter((e: Obj) => e.valueFrom?.secretKeyRef),
      [],
      "the password comes from the mounted Secret only",
    );
  });

  it("opens the sentinel port on the pods, the headless Service and to allowFrom clients", async () => {
    const clients = { podLabels: { app: "shop" } };
    const { resources, container } = await build({ allowFrom: [clients] });
    assert.deepEqual(container("redis").ports, [
      { name: "redis", containerPort: 6379, protocol: "TCP" },
      { name: "sentinel", containerPort: 26379, protocol: "TCP" },
    ]);
    const headless = resources.find(
      (r) => r.type === "kubernetes:core/v1:Service" && (r.inputs as Obj).spec.clusterIP === "None",
    )!;
    assert.deepEqual(
      (headless.inputs as Obj).spec.ports.map((p: Obj) => [p.name, p.port]),
      [
        ["redis", 6379],
        ["sentinel", 26379],
      ],
    );
    const policy = (only(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs as Obj)
      .spec;
    const clientRule = policy.ingress.find((r: Obj) => r.from[0].podSelector?.matchLabels?.app);
    assert.deepEqual(
      clientRule.ports.map((p: Obj) => p.port),
      ["redis", "sentinel"],
      "clients that speak Sentinel ask it for the primary",
    );
    const off = await build({ replicas: 2 });
    assert.deepEqual(
      off.container("redis").ports.map((p: Obj) => p.name),
      ["redis"],
    );
  });

  it("takes Sentinels known beyond the count for departed only after the agent has had two reads", () => {
    assert.ok(SENTINEL_DEPARTED_AFTER_SECONDS >= 2 * AGENT_REPLICAS_EVERY * AGENT_INTERVAL);
  });

  it("scaling with Sentinel changes no pod template: the count comes from the agent", async () => {
    const three = (await build({ replicas: 3 })).pod;
    for (const replicas of [4, 5, 9]) {
      assert.deepEqual((await build({ replicas })).pod, three, `${replicas} replicas`);
    }
  });

  it("the pods' shell lists every pod by the agent's count and takes a majority of them as quorum", () => {
    const dir = mkdtempSync(join(tmpdir(), "redis-peers-"));
    const functions = PEERS_FUNCTIONS.join("\n");
    // The Sentinels that must agree that the primary is down: a majority of the pods.
    const majority: Record<number, number> = { 3: 2, 4: 3, 5: 3, 7: 4, 12: 7 };
    for (const n of [3, 4, 5, 7, 12]) {
      writeFileSync(join(dir, "replicas"), `${n}\n`);
      const r = spawnSync("sh", ["-c", `${functions}\npeers; sentinel_quorum "$(pods)"`], {
        env: {
          PATH: process.env.PATH,
          REPLICAS_FILE: join(dir, "replicas"),
          REDIS_PEER_NAME: "cache-{i}.cache.data.svc.cluster.local",
        },
        encoding: "utf8",
      });
      const lines = r.stdout.trim().split("\n");
      assert.deepEqual(
        lines.slice(0, -1),
        Array.from({ length: n }, (_, i) => NAME(i)),
        `${n}`,
      );
      assert.equal(lines.at(-1), String(majority[n]), `quorum of ${n}`);
    }
    for (const [count, why] of [
      ["", "no count before the agent has read one"],
      ["0\n", "no pods: a StatefulSet scaled to zero"],
      ["3x\n", "not a count"],
    ]) {
      writeFileSync(join(dir, "replicas"), count);
      const none = spawnSync("sh", ["-c", `${functions}\npods || echo unread`], {
        env: { PATH: process.env.PATH, REPLICAS_FILE: join(dir, "replicas") },
        encoding: "utf8",
      });
      assert.equal(none.stdout.trim(), "unread", why);
    }
  });

  it("gives every container the pods' names by ordinal, its own, and no primary to follow", async () => {
    const { container } = await build();
    for (const name of ["redis", "auth", "sentinel"]) {
      const env = envOf(container(name));
      assert.equal(env.POD_HOST, "$(POD_NAME).cache.data.svc.cluster.local", name);
      assert.equal(env.POD_HOST.replace("$(POD_NAME)", "cache-0"), env.PRIMARY_HOST, name);
      assert.equal(env.REDIS_PEER_NAME, "cache-{i}.cache.data.svc.cluster.local");
      assert.equal(env.SENTINEL_MASTER, "cache");
      assert.equal(env.REPLICAS_FILE, undefined, "the agent's file, at its default path");
      assert.ok(
        container(name).volumeMounts.some((m: Obj) => m.name === "agent"),
        `${name} reads the agent's replica count`,
      );
      // Kubernetes expands $(POD_NAME) only from a variable defined before.
      const order = container(name).env.map((e: Obj) => e.name);
      assert.ok(order.indexOf("POD_NAME") < order.indexOf("POD_HOST"));
    }
    const off = envOf((await build({ replicas: 2 })).container("redis"));
    assert.equal(off.SENTINEL_MASTER, undefined);
    assert.equal(off.POD_HOST, undefined);
  });

  it("hands the primary over in a preStop hook that ends well inside the grace period", async () => {
    const { pod, container } = await build();
    assert.deepEqual(container("redis").lifecycle, {
      preStop: { exec: { command: ["sh", "/etc/redis/prestop.sh"] } },
    });
    assert.ok(
      container("redis").volumeMounts.some((m: Obj) => m.mountPath === "/run/stateful"),
      "it writes the role of a primary that handed it over",
    );
    assert.equal(pod.terminationGracePeriodSeconds, DEFAULTS.redis.terminationGracePeriodSeconds);
    // The hook's deadline counts from its start; the server needs time to stop after it.
    assert.ok(FAILOVER_WAIT_SECONDS + 10 <= pod.terminationGracePeriodSeconds);
    const off = await build({ replicas: 2 });
    assert.equal(off.container("redis").lifecycle, undefined);
  });

  it("uses production timing: down after 10 s, a failover attempt of at most 60 s, one resync at a time", async () => {
    const { container } = await build();
    for (const name of ["redis", "auth", "sentinel"]) {
      const names = container(name).env.map((e: Obj) => e.name);
      for (const testOnly of [
        "SENTINEL_DOWN_AFTER_MS",
        "SENTINEL_FAILOVER_TIMEOUT_MS",
        "REDIS_FAILOVER_WAIT",
      ]) {
        assert.equal(names.includes(testOnly), false, `${name}: ${testOnly}`);
      }
    }
    const r = runWithSentinels(SENTINEL_SCRIPT, {}, { POD_HOST: NAME(1), POD_NAME: "cache-1" });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^sentinel down-after-milliseconds cache 10000$/m);
    assert.match(r.out, /^sentinel failover-timeout cache 60000$/m);
    assert.match(r.out, /^sentinel parallel-syncs cache 1$/m);
  });

  it("writes the Sentinel's config: names everywhere, the quorum, the password in the file only", () => {
    const r = runWithSentinels(SENTINEL_SCRIPT, {}, { POD_HOST: NAME(1), POD_NAME: "cache-1" });
    assert.equal(r.code, 0, r.out);
    const conf = join(r.dir, "sentinel", "sentinel.conf");
    assert.match(r.out, new RegExp(`^ARGS: ${conf} --sentinel$`, "m"));
    const text = readFileSync(conf, "utf8");
    for (const line of [
      "port 26379",
      "sentinel resolve-hostnames yes",
      "sentinel announce-hostnames yes",
      `sentinel announce-ip ${NAME(1)}`,
      "sentinel announce-port 26379",
      "requirepass s3cr3t",
      "sentinel sentinel-pass s3cr3t",
      `sentinel monitor cache ${NAME(0)} 6379 2`,
      "sentinel auth-pass cache s3cr3t",
      "sentinel config-epoch cache 0",
    ]) {
      assert.ok(text.split("\n").includes(line), line);
    }
    assert.ok(
      text.indexOf("resolve-hostnames") < text.indexOf("sentinel monitor"),
      "names resolve before the monitor line is read",
    );
    assert.equal(statSync(conf).mode & 0o777, 0o600);
    assert.equal(r.out.split("\n")[0].includes("s3cr3t"), false);
  });

  it("makes the Sentinel watch the primary the others elected after a failover", () => {
    const elected = masterReply(3, NAME(2));
    const r = runWithSentinels(
      SENTINEL_SCRIPT,
      { [NAME(1)]: elected, [NAME(2)]: elected },
      { POD_HOST: NAME(0), POD_NAME: "cache-0" },
    );
    assert.equal(r.code, 0, r.out);
    const text = readFileSync(join(r.dir, "sentinel", "sentinel.conf"), "utf8");
    assert.match(text, new RegExp(`^sentinel monitor cache ${NAME(2)} 6379 2$`, "m"));
    assert.match(text, /^sentinel config-epoch cache 3$/m);
    // It may have voted up to that election before it restarted: it votes only in later ones.
    assert.match(text, /^sentinel current-epoch 3$/m);
    assert.match(text, /^sentinel leader-epoch cache 3$/m);
  });

  describe("the start script asks the Sentinels", () => {
    const start = (
      replies: Record<string, string>,
      pod: number,
      timeout?: number,
      data?: Record<string, string>,
    ) =>
      runWithSentinels(
        REDIS_START_SCRIPT,
        replies,
        { POD_NAME: `cache-${pod}`, POD_HOST: NAME(pod) },
        timeout,
        data,
      );
    const lines = (out: string) => out.split("\n").filter((l) => /^(replicaof|replica-)/.test(l));

    it("starts even pod 0 as the replica of the primary they elected", () => {
      const elected = masterReply(2, NAME(2));
      const r = start({ [NAME(1)]: elected, [NAME(2)]: elected }, 0);
      assert.equal(r.code, 0, r.out);
      assert.deepEqual(lines(r.out), [
        `replica-announce-ip ${NAME(0)}`,
        `replicaof ${NAME(2)} 6379`,
      ]);
      assert.match(r.out, /the Sentinels name \S+ 6379 the primary: starting as its replica/);
    });

    it("starts the pod they name as the primary, unless its data directory is empty", () => {
      const elected = masterReply(2, NAME(2));
      const replies = { [NAME(0)]: elected, [NAME(1)]: elected };
      const r = start(replies, 2, 10000, { "dump.rdb": "REDIS" });
      assert.equal(r.code, 0, r.out);
      assert.deepEqual(lines(r.out), [`replica-announce-ip ${NAME(2)}`]);
      assert.match(r.out, /the Sentinels name this pod the primary: starting as the primary/);
      // Empty, it would make the replicas drop their data: it waits for them to elect another.
      const empty = start(replies, 2, 2500);
      assert.match(
        empty.out,
        /NOT STARTING: \S+ is empty but the Sentinels name this pod the primary/,
      );
      assert.match(empty.out, /The Sentinels elect another pod while this one does not answer/);
      assert.doesNotMatch(empty.out, /ARGS/, "no server started");
      assert.equal(readFileSync(join(empty.dir, "state", "held"), "utf8"), "", "alive while held");
    });

    it("follows the pod template when none has elected one (a first start)", () => {
      const first = masterReply(0, NAME(0));
      const replica = start({ [NAME(0)]: first, [NAME(2)]: first }, 1);
      assert.deepEqual(lines(replica.out), [
        `replica-announce-ip ${NAME(1)}`,
        `replicaof ${NAME(0)} 6379`,
      ]);
      const nobody = start({}, 2);
      assert.deepEqual(lines(nobody.out), [
        `replica-announce-ip ${NAME(2)}`,
        `replicaof ${NAME(0)} 6379`,
      ]);
    });

    it("prefers, of two answers of one epoch, the Sentinel that is not still failing the old primary over", () => {
      const r = start(
        {
          [NAME(0)]: masterReply(1, NAME(0), "master,s_down,o_down,failover_in_progress"),
          [NAME(1)]: masterReply(1, NAME(2)),
        },
        0,
      );
      assert.deepEqual(lines(r.out), [
        `replica-announce-ip ${NAME(0)}`,
        `replicaof ${NAME(2)} 6379`,
      ]);
    });

    it("waits while a Sentinel answers without naming the primary, rather than guess", () => {
      const r = start(
        { [NAME(1)]: "WRONGPASS invalid username-password pair or user is disabled." },
        0,
        2500,
      );
      assert.match(r.out, /a Sentinel answered without naming the primary .*: asking again/);
      assert.equal(r.out.split("\n").filter((l) => /asking again/.test(l)).length, 1);
      assert.doesNotMatch(r.out, /ARGS/, "no server started");
    });
  });

  describe("refuses Sentinel with fewer than 3 replicas, before registering anything", () => {
    refusesBeforeRegistering(
      (overrides: Partial<RedisArgs>) =>
        new Redis("cache", { namespace: "data", storage: { className: "s" }, ...overrides }),
      [
        [
          "2 replicas",
          { replicas: 2, sentinel: true },
          "Redis cache: sentinel: got true; must be false (or unset) with 2 replicas: one Sentinel runs in each pod and a majority of them must agree to elect a new primary, which needs at least 3 pods to survive losing one; set replicas to 3 or more, or leave sentinel out",
        ],
        [
          "1 replica",
          { replicas: 1, sentinel: true },
          /sentinel: got true; must be false \(or unset\) with 1 replica:/,
        ],
      ],
    );
  });

  it("refuses it in a stack file too, naming the key, and a value that is not a boolean", () => {
    const config = (workload: Obj) => ({
      target: { renderYamlToDirectory: "out" },
      storageClass: "standard",
      namespaces: [{ name: "data", workloads: [workload] }],
    });
    const problems = (workload: Obj) => {
      try {
        parseStackConfig(config(workload));
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.problems;
      }
    };
    assert.deepEqual(problems({ kind: "redis", name: "cache", replicas: 2, sentinel: true }), [
      "stateful:namespaces[0].workloads[0].sentinel: got true; must be false (or unset) with 2 replicas: one Sentinel runs in each pod and a majority of them must agree to elect a new primary, which needs at least 3 pods to survive losing one; set replicas to 3 or more, or leave sentinel out",
    ]);
    assert.deepEqual(problems({ kind: "redis", name: "cache", sentinel: "yes" }), [
      'stateful:namespaces[0].workloads[0].sentinel: got "yes"; must be true or false',
    ]);
    assert.deepEqual(problems({ kind: "postgres", name: "db", sentinel: true }), [
      "stateful:namespaces[0].workloads[0]: unknown key 'sentinel'; check the spelling against Pulumi.yaml",
    ]);
    assert.deepEqual(problems({ kind: "redis", name: "cache", replicas: 2, sentinel: false }), []);
    assert.deepEqual(problems({ kind: "redis", name: "cache", replicas: 3, sentinel: true }), []);
  });
});
