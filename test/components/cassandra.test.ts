import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "fs";
import { createServer } from "net";
import { tmpdir } from "os";
import { join } from "path";
import { RecordedResource, registered, setupMocks } from "../../harness/mocks";
import { validateObject } from "../../harness/schema";
import { only, valueOf, refusesBeforeRegistering } from "../support/assertions";
import {
  Cassandra,
  CassandraArgs,
  cassandraHeap,
  cassandraMemory,
  CASSANDRA_READINESS_SCRIPT,
  CASSANDRA_SCALE_DOWN,
  CASSANDRA_START_SCRIPT,
  CQL_PORT,
  JOINED_MARKER,
} from "../../components/cassandra";
import { DEFAULTS } from "../../components/defaults";
import { mebibytes } from "../../components/quantity";
import { podDisruptionAllowance } from "../../components/statefulWorkload";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const STS = "kubernetes:apps/v1:StatefulSet";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const SVC = "kubernetes:core/v1:Service";

const base: CassandraArgs = { namespace: "data", storage: { className: "standard" } };

async function build(overrides: Partial<CassandraArgs> = {}) {
  await setupMocks();
  const ring = new Cassandra("ring", { ...base, ...overrides });
  const resources = await registered();
  const sts = only(resources, STS);
  const pod = (sts.inputs as Obj).spec.template.spec;
  return {
    ring,
    resources,
    sts,
    spec: (sts.inputs as Obj).spec,
    pod,
    container: pod.containers[0],
  };
}

const env = (container: Obj, name: string) => container.env.find((e: Obj) => e.name === name);

describe("Cassandra", () => {
  it("runs the pinned official image as uid 999, OrderedReady, data on the claim", async () => {
    const { spec, pod, container } = await build();
    assert.equal(container.image, DEFAULTS.cassandra.image);
    assert.doesNotMatch(container.image, /:latest$/);
    assert.equal(spec.podManagementPolicy, "OrderedReady");
    assert.equal(spec.replicas, 3);
    assert.equal(pod.securityContext.runAsUser, 999);
    assert.deepEqual(container.volumeMounts, [{ name: "data", mountPath: "/var/lib/cassandra" }]);
    assert.deepEqual(
      container.ports.map((p: Obj) => [p.name, p.containerPort]),
      [
        ["cql", 9042],
        ["intra-node", 7000],
      ],
    );
  });

  it("computes the seeds from the first pods' stable DNS names", async () => {
    const five = await build({ replicas: 5, seeds: 3 });
    const ring = five.ring;
    let container = five.container;
    assert.equal(
      env(container, "CASSANDRA_SEEDS").value,
      [0, 1, 2].map((i) => `ring-${i}.ring.data.svc.cluster.local`).join(","),
    );
    assert.deepEqual(await valueOf(ring.seeds), [
      "ring-0.ring.data.svc.cluster.local",
      "ring-1.ring.data.svc.cluster.local",
      "ring-2.ring.data.svc.cluster.local",
    ]);
    ({ container } = await build());
    assert.equal(
      env(container, "CASSANDRA_SEEDS").value,
      "ring-0.ring.data.svc.cluster.local,ring-1.ring.data.svc.cluster.local",
      "two seeds by default",
    );
    ({ container } = await build({ replicas: 1 }));
    assert.equal(
      env(container, "CASSANDRA_SEEDS").value,
      "ring-0.ring.data.svc.cluster.local",
      "never more seeds than pods",
    );
  });

  it("names the cluster, datacenter and rack through the gossiping snitch", async () => {
    let { container } = await build();
    const value = (name: string) => env(container, name).value;
    assert.equal(value("CASSANDRA_ENDPOINT_SNITCH"), "GossipingPropertyFileSnitch");
    assert.equal(value("CASSANDRA_CLUSTER_NAME"), "stateful");
    assert.equal(value("CASSANDRA_DC"), "dc1");
    assert.equal(value("CASSANDRA_RACK"), "rack1");
    assert.deepEqual(env(container, "POD_IP").valueFrom, {
      fieldRef: { fieldPath: "status.podIP" },
    });
    assert.equal(value("CASSANDRA_LISTEN_ADDRESS"), "$(POD_IP)");
    ({ container } = await build({ clusterName: "Orders", datacenter: "eu-west", rack: "az1" }));
    assert.equal(value("CASSANDRA_CLUSTER_NAME"), "Orders");
    assert.equal(value("CASSANDRA_DC"), "eu-west");
    assert.equal(value("CASSANDRA_RACK"), "az1");
  });

  it("sizes the heap by Cassandra's own rule from the memory request, or takes it as given", async () => {
    assert.deepEqual(cassandraHeap(1024), { maxMiB: 512, newGenMiB: 128 });
    assert.deepEqual(cassandraHeap(2048), { maxMiB: 1024, newGenMiB: 256 });
    assert.deepEqual(cassandraHeap(8192), { maxMiB: 2048, newGenMiB: 512 });
    assert.deepEqual(cassandraHeap(64 * 1024), { maxMiB: 8192, newGenMiB: 2048 });
    let { container } = await build();
    assert.equal(env(container, "MAX_HEAP_SIZE").value, "1024M", "2Gi request");
    assert.equal(env(container, "HEAP_NEWSIZE").value, "256M");
    ({ container } = await build({
      resources: { requests: { cpu: "1", memory: "4Gi" } },
      heap: { max: "2Gi", newGen: "600Mi" },
    }));
    assert.equal(env(container, "MAX_HEAP_SIZE").value, "2048M");
    assert.equal(env(container, "HEAP_NEWSIZE").value, "600M");
  });

  it("caps direct memory at a quarter of the limit, and heap, direct memory and nodetool fit in it", async () => {
    /** What the rendered container can take at most, MiB: server heap, direct memory, nodetool. */
    const budget = (container: Obj) => {
      const mib = (text: string) => mebibytes(text.replace(/M$/, "Mi"))!;
      const direct = /^-XX:MaxDirectMemorySize=(\d+M)$/.exec(
        env(container, "JVM_EXTRA_OPTS")?.value,
      );
      assert.ok(direct, "JVM_EXTRA_OPTS caps direct memory");
      // nodetool runs in the preStop hook (drain), in the container's memory limit
      const nodetool = /^MAX_HEAP_SIZE=(\d+M) /.exec(container.lifecycle.preStop.exec.command[2]);
      return {
        limit: mebibytes(container.resources.limits.memory)!,
        heap: mib(env(container, "MAX_HEAP_SIZE").value),
        direct: mib(direct[1]),
        nodetool: mib(nodetool![1]),
      };
    };
    // Beyond those, estimates: nodetool's metaspace, code cache and threads (64 MiB), and the
    // server JVM's own metaspace, code cache, thread stacks and GC structures (192 MiB).
    const overhead = 64 + 192;
    const cases: [string, CassandraArgs["resources"], Record<string, number>][] = [
      ["the default 2Gi", undefined, { limit: 2048, heap: 1024, direct: 512, nodetool: 128 }],
      [
        "the dev stack's 1Gi",
        { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "1Gi" } },
        { limit: 1024, heap: 384, direct: 256, nodetool: 128 },
      ],
      [
        "a 2Gi request under a 4Gi limit",
        { requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "4Gi" } },
        { limit: 4096, heap: 1024, direct: 1024, nodetool: 128 },
      ],
      [
        "the prod stack's 8Gi",
        { requests: { cpu: "2", memory: "8Gi" }, limits: { memory: "8Gi" } },
        { limit: 8192, heap: 2048, direct: 2048, nodetool: 128 },
      ],
    ];
    for (const [what, resources, expected] of cases) {
      const { container } = await build({ resources });
      const b = budget(container);
      assert.deepEqual(b, expected, what);
      assert.ok(b.heap <= b.limit / 2, `${what}: heap at most half the limit`);
      assert.ok(
        b.heap + b.direct + b.nodetool + overhead <= b.limit,
        `${what}: ${b.heap} + ${b.direct} + ${b.nodetool} + ${overhead} <= ${b.limit}`,
      );
    }
    // Every memory the config accepts (at least 1Gi, limit at least the request).
    for (let request = 1024; request <= 64 * 1024; request += 256) {
      for (const limit of [request, request + 512, request * 2]) {
        const m = cassandraMemory(request, limit);
        const at = `request ${request}, limit ${limit}`;
        assert.ok(m.maxMiB <= limit / 2, `${at}: heap at most half the limit`);
        assert.ok(m.maxMiB <= cassandraHeap(request).maxMiB, `${at}: never above Cassandra's rule`);
        assert.ok(m.maxMiB >= 256, `${at}: a heap Cassandra runs with`);
        assert.equal(m.directMiB, Math.floor(limit / 4), at);
        assert.ok(m.maxMiB + m.directMiB + 128 + overhead <= limit, at);
      }
    }
    assert.deepEqual(cassandraMemory(1024, 1024, { maxMiB: 300, newGenMiB: 60 }), {
      maxMiB: 300,
      newGenMiB: 60,
      directMiB: 256,
    });
  });

  describe("healing", () => {
    const marker = () => join(mkdtempSync(join(tmpdir(), "cassandra-")), ".joined");
    const run = (script: string, env: Record<string, string>) => {
      try {
        const out = execFileSync("bash", ["-c", script], {
          env,
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        });
        return { ok: true, out };
      } catch (err) {
        return { ok: false, out: String((err as { stdout?: string }).stdout ?? "") };
      }
    };

    it("is ready when the CQL port listens, without starting a JVM, and marks the node joined", async () => {
      const { container } = await build();
      const probe = container.readinessProbe;
      assert.deepEqual(probe.exec.command, ["bash", "-c", CASSANDRA_READINESS_SCRIPT]);
      assert.doesNotMatch(CASSANDRA_READINESS_SCRIPT, /nodetool|java/);
      assert.ok(probe.timeoutSeconds < probe.periodSeconds);

      const joined = marker();
      const script = CASSANDRA_READINESS_SCRIPT.replaceAll(JOINED_MARKER, joined);
      const env = { PATH: process.env.PATH! };
      const closed = run(script, env);
      assert.equal(closed.ok, false, "nothing listens on 9042");
      assert.match(closed.out, /CQL port 9042 not listening yet/);
      assert.equal(existsSync(joined), false, "not joined yet");

      const server = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(CQL_PORT, "127.0.0.1", resolve);
      });
      try {
        assert.equal(run(script, env).ok, true, "the port listens");
        assert.equal(existsSync(joined), true, "the node is marked as joined");
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it("adds its own address to the seeds once it has joined, so it restarts with no seed reachable", async () => {
      const { container } = await build({ auth: false });
      assert.deepEqual(container.command, ["bash", "-c", CASSANDRA_START_SCRIPT]);
      const bin = mkdtempSync(join(tmpdir(), "entrypoint-"));
      writeFileSync(
        join(bin, "docker-entrypoint.sh"),
        '#!/bin/sh\necho "seeds=$CASSANDRA_SEEDS args=$*"\n',
      );
      chmodSync(join(bin, "docker-entrypoint.sh"), 0o755);
      const joined = marker();
      const script = CASSANDRA_START_SCRIPT.replaceAll(JOINED_MARKER, joined);
      const env = {
        PATH: `${bin}:${process.env.PATH}`,
        POD_IP: "10.0.0.12",
        CASSANDRA_SEEDS: "ring-0.ring.data.svc.cluster.local,ring-1.ring.data.svc.cluster.local",
      };
      const first = run(script, env);
      assert.equal(first.ok, true);
      assert.match(
        first.out,
        /^seeds=ring-0\.ring\.data\.svc\.cluster\.local,ring-1\.ring\.data\.svc\.cluster\.local args=cassandra -f$/m,
        "a new node never makes itself a seed: it must bootstrap",
      );
      writeFileSync(joined, "");
      const again = run(script, env);
      assert.match(
        again.out,
        /^seeds=ring-0\.ring\.data\.svc\.cluster\.local,ring-1\.ring\.data\.svc\.cluster\.local,10\.0\.0\.12 args=cassandra -f$/m,
      );
      assert.match(again.out, /adding its own address 10\.0\.0\.12 to the seeds/);
    });
  });

  it("gives a joining node a patient liveness check and the boot a startup budget", async () => {
    const { container } = await build({ startupSeconds: 900 });
    const { startupProbe: start, readinessProbe: ready, livenessProbe: live } = container;
    assert.deepEqual(live.tcpSocket, { port: "intra-node" });
    assert.ok(
      live.periodSeconds * live.failureThreshold > ready.periodSeconds * ready.failureThreshold,
    );
    assert.deepEqual(start.tcpSocket, { port: "intra-node" });
    assert.equal(start.periodSeconds * start.failureThreshold, 900);
  });

  it("drains before it stops, with a grace period long enough for it", async () => {
    const { container, pod } = await build();
    assert.deepEqual(container.lifecycle.preStop.exec.command, [
      "sh",
      "-c",
      "MAX_HEAP_SIZE=128M nodetool drain",
    ]);
    assert.equal(pod.terminationGracePeriodSeconds, 180);
  });

  it("publishes pods before they are ready, for peer discovery", async () => {
    const { resources } = await build();
    const svc = (only(resources, SVC).inputs as Obj).spec;
    assert.equal(svc.clusterIP, "None");
    assert.equal(svc.publishNotReadyAddresses, true);
  });

  it("never lets a disruption break quorum", async () => {
    for (const [replicas, allowed] of [
      [3, 1],
      [5, 1],
    ]) {
      const { resources } = await build({ replicas, seeds: 1 });
      assert.equal(
        (only(resources, PDB).inputs as Obj).spec.maxUnavailable,
        allowed,
        `${replicas} replicas`,
      );
    }
    // The rule the budget follows: never more than a minority, whatever is asked.
    assert.equal(podDisruptionAllowance(5, 3, true), 2);
    assert.equal(podDisruptionAllowance(4, 3, true), 1);
    assert.equal(podDisruptionAllowance(2, 1, true), 0, "why a two-node ring is refused");
    assert.equal(podDisruptionAllowance(2, 1, false), 1);
    const { resources } = await build({ replicas: 1 });
    assert.equal(resources.filter((r) => r.type === PDB).length, 0, "no budget for one node");
  });

  it("waits for the whole ring to join, one node at a time, streaming a claim's worth each", async () => {
    const { sts } = await build({ replicas: 3 });
    // per node: 600 s startup + 10Gi streamed at 50 MiB/s (205 s) + 10 s min ready = 815 s
    // 3 nodes x 815 s + 120 s margin
    assert.equal(sts.options.customTimeouts!.create, "2565s");
    // 3 nodes x (815 s + 180 s drain) + 120 s margin
    assert.equal(sts.options.customTimeouts!.update, "3105s");
    const { sts: large } = await build({
      replicas: 3,
      storage: { className: "fast", size: "100Gi" },
    });
    // per node: 600 s + 100Gi at 50 MiB/s (2048 s) + 10 s = 2658 s; x 3 + 120 s
    assert.equal(large.options.customTimeouts!.create, "8094s");
    const { sts: explicit } = await build({ replicas: 3, startupSeconds: 100 });
    // an explicit budget is taken as it is: 3 x (100 s + 10 s) + 120 s, never under 600 s
    assert.equal(explicit.options.customTimeouts!.create, "600s");
  });

  it("keeps the ring's identity fixed and refuses a scale-down without decommission, at preview", async () => {
    const guard = (resources: RecordedResource[]) =>
      only(resources, "pulumi-nodejs:dynamic/stateful:WorkloadGuard").inputs as Obj;
    const { resources } = await build({ datacenter: "eu", rack: "r2" });
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(guard(resources).fixed).map(([k, v]) => [k, (v as Obj).value]),
      ),
      { clusterName: "stateful", datacenter: "eu", rack: "r2" },
    );
    assert.equal(guard(resources).scaleDown, CASSANDRA_SCALE_DOWN);
    assert.match(CASSANDRA_SCALE_DOWN, /nodetool decommission/);
    const { resources: confirmed } = await build({ replicas: 3, decommissionedFrom: 3 });
    assert.equal(guard(confirmed).scaleDown, undefined, "decommissionedFrom lifts the refusal");
  });

  it("renders only schema-valid objects", async () => {
    const { resources } = await build();
    const objects = resources.filter((r) => r.type.startsWith("kubernetes:"));
    assert.equal(objects.length, 8, "Service, StatefulSet, PDB, NetworkPolicy, Secret, 3 claims");
    for (const r of objects) validateObject(r.inputs);
  });

  describe("refuses args that cannot work, before registering anything", () => {
    const memory = (m: string) => ({ requests: { cpu: "1", memory: m } });
    // The memory messages are config.ts's (and test/components/config.test.ts's) business.
    const cases: [string, Partial<CassandraArgs>, string | RegExp][] = [
      [
        "more seeds than replicas",
        { replicas: 3, seeds: 4 },
        "Cassandra ring: seeds: got 4; must be at most replicas (3): seeds are the first pods of the ring",
      ],
      [
        "more seeds than the default replicas",
        { seeds: 5 },
        "Cassandra ring: seeds: got 5; must be at most replicas (3): seeds are the first pods of the ring",
      ],
      [
        "no seeds",
        { seeds: 0 },
        "Cassandra ring: seeds: got 0; must be a whole number from 1 to 1000",
      ],
      [
        "a fractional seed count",
        { seeds: 1.5 },
        "Cassandra ring: seeds: got 1.5; must be a whole number from 1 to 1000",
      ],
      [
        "a heap as large as memory",
        { heap: { max: "2Gi", newGen: "200Mi" } },
        /^Cassandra ring: heap\.max: got "2Gi"; must be at most /,
      ],
      [
        "a heap below 256Mi",
        { heap: { max: "128Mi", newGen: "32Mi" } },
        'Cassandra ring: heap.max: got "128Mi"; must be at least 256Mi',
      ],
      [
        "a young generation as large as the heap",
        { heap: { max: "1Gi", newGen: "1Gi" } },
        'Cassandra ring: heap.newGen: got "1Gi"; must be less than heap.max (1Gi)',
      ],
      [
        "a heap in words",
        { heap: { max: "lots", newGen: "256Mi" } },
        'Cassandra ring: heap.max: got "lots"; must be a quantity such as 512Mi or 10Gi',
      ],
      [
        "less than 1Gi of memory",
        { resources: memory("512Mi") },
        /^Cassandra ring: resources\.requests\.memory: got "512Mi"; must be at least 1/,
      ],
      [
        "Parallel pod management",
        { podManagementPolicy: "Parallel" },
        'Cassandra ring: podManagementPolicy: got "Parallel"; must be OrderedReady for cassandra: nodes must join the ring one at a time',
      ],
    ];
    refusesBeforeRegistering(
      (overrides) => new Cassandra("ring", { ...base, ...overrides }),
      cases,
    );
  });
});
