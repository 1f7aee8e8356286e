import { strict as assert } from "assert";
import { ConfigError, loadStackConfig, parseStackConfig } from "../../components/config";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

function valid(): Obj {
  return {
    target: { renderYamlToDirectory: "out" },
    storageClass: "standard",
    namespaces: [
      {
        name: "data",
        workloads: [
          { kind: "nginx", name: "web", replicas: 2, storage: { size: "1Gi" } },
          {
            kind: "cassandra",
            name: "ring",
            replicas: 3,
            seeds: 2,
            resources: { requests: { cpu: "500m", memory: "2Gi" } },
          },
        ],
      },
    ],
  };
}

/** The problems a config produces, or [] when it is valid. */
function problems(config: Obj): string[] {
  try {
    parseStackConfig(config);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.problems;
  }
}

function mutated(mutate: (c: Obj) => void): string[] {
  const config = valid();
  mutate(config);
  return problems(config);
}

const W0 = "stateful:namespaces[0].workloads[0]";
const W1 = "stateful:namespaces[0].workloads[1]";

describe("stack config", () => {
  it("accepts a valid config and resolves the stack-wide storage class", () => {
    const config = parseStackConfig(valid());
    assert.deepEqual(
      config.workloads.map((w) => [w.namespace, w.name, w.kind, w.storage.className]),
      [
        ["data", "web", "nginx", "standard"],
        ["data", "ring", "cassandra", "standard"],
      ],
    );
    assert.deepEqual(config.namespaces, [{ name: "data", create: true, labels: {} }]);
  });

  it("accepts every kind with its own keys, Redis in Parallel included", () => {
    const c = valid();
    c.namespaces[0].workloads.push(
      { kind: "redis", name: "cache", replicas: 3, podManagementPolicy: "Parallel" },
      { kind: "postgres", name: "pg", replicas: 2, database: "orders", user: "shop" },
    );
    c.namespaces[0].workloads[1].heap = { max: "1Gi", newGen: "256Mi" };
    c.namespaces[0].workloads[1].clusterName = "Orders ring";
    assert.deepEqual(
      parseStackConfig(c).workloads.map((w) => w.kind),
      ["nginx", "cassandra", "redis", "postgres"],
    );
  });

  it("prefers a workload's own storage class over the stack's", () => {
    const c = valid();
    c.namespaces[0].workloads[0].storage.className = "fast";
    assert.equal(parseStackConfig(c).workloads[0].storage.className, "fast");
  });

  it("reads Pulumi's config map, JSON values and plain strings alike", () => {
    const config = loadStackConfig({
      "stateful:target": JSON.stringify({ context: "prod" }),
      "stateful:storageClass": "gp3",
      "stateful:namespaces": JSON.stringify(valid().namespaces),
      "kubernetes:context": "ignored: another package's key",
    });
    assert.equal(config.target.context, "prod");
    assert.equal(config.workloads[0].storage.className, "gp3");
    const numeric = loadStackConfig({
      "stateful:target": JSON.stringify({ context: "prod" }),
      "stateful:storageClass": "123",
      "stateful:namespaces": JSON.stringify(valid().namespaces),
    });
    assert.equal(numeric.workloads[0].storage.className, "123", "a plain string stays a string");
  });

  it("accepts images from a registry with a port, and pinned by tag and digest", () => {
    const digest = "a".repeat(64);
    for (const image of [
      "registry.local:5000/redis:7.4.2",
      "ghcr.io/org/team/nginx:1.27.4-alpine",
      `redis:7.4.2@sha256:${digest}`,
      `redis@sha256:${digest}`,
    ]) {
      assert.deepEqual(
        mutated((c) => (c.namespaces[0].workloads[0].image = image)),
        [],
        image,
      );
    }
    assert.notDeepEqual(
      mutated((c) => (c.namespaces[0].workloads[0].image = "registry.local:5000/redis")),
      [],
      "a registry port is not a tag",
    );
  });

  it("lists every problem at once, each naming the key, the value and what is allowed", () => {
    const found = mutated((c) => {
      c.namespaces[0].workloads[0].replicas = -1;
      c.namespaces[0].workloads[0].storage.size = "10GB";
    });
    assert.deepEqual(found, [
      `${W0}.replicas: got -1; must be a whole number from 1 to 1000`,
      `${W0}.storage.size: got "10GB"; must be the claim size, a quantity such as 512Mi or 10Gi`,
    ]);
    assert.throws(
      () => parseStackConfig({ ...valid(), clusterDomain: "UPPER" }),
      /Invalid stack configuration \(1 problem\):\n {2}- stateful:clusterDomain: got "UPPER"; must be a DNS domain/,
    );
  });

  const cases: [string, (c: Obj) => void, string | string[]][] = [
    [
      "a 512Mi heap in a 1Gi Cassandra container",
      (c) => {
        c.namespaces[0].workloads[1].resources = { requests: { cpu: "1", memory: "1Gi" } };
        c.namespaces[0].workloads[1].heap = { max: "512Mi", newGen: "128Mi" };
      },
      `${W1}.heap.max: got "512Mi"; must be at most 384Mi with 1Gi of container memory: half of it at most, leaving a quarter for direct memory and 384Mi for nodetool and the JVM's own overhead`,
    ],
    [
      "a CPU limit below the request",
      (c) =>
        (c.namespaces[0].workloads[0].resources = {
          requests: { cpu: "500m", memory: "64Mi" },
          limits: { cpu: "0.25" },
        }),
      `${W0}.resources.limits.cpu: got "0.25"; must be at least the CPU request (500m)`,
    ],
    [
      "a zero claim size",
      (c) => (c.namespaces[0].workloads[0].storage.size = "0"),
      `${W0}.storage.size: got "0"; must be the claim size, more than 0`,
    ],
    [
      "a label key with a space",
      (c) => (c.namespaces[0].workloads[0].allowFrom = [{ podLabels: { "my app": "x" } }]),
      `${W0}.allowFrom[0].podLabels.my app: got "my app"; label keys must be [prefix/]name: a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
    ],
    [
      "a label value too long",
      (c) => (c.namespaces[0].labels = { team: "x".repeat(64) }),
      `stateful:namespaces[0].labels.team: got "${"x".repeat(64)}"; label values must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
    ],
    [
      "Redis with too little memory",
      (c) =>
        c.namespaces[0].workloads.push({
          kind: "redis",
          name: "cache",
          resources: { requests: { cpu: "50m", memory: "16Mi" } },
        }),
      `stateful:namespaces[0].workloads[2].resources.requests.memory: got "16Mi"; must be at least 32Mi for redis`,
    ],
    [
      "a PostgreSQL database initdb already made",
      (c) =>
        c.namespaces[0].workloads.push({ kind: "postgres", name: "pg", database: "template1" }),
      `stateful:namespaces[0].workloads[2].database: got "template1"; must not be postgres, template0, template1: initdb creates those, so creating it again fails the first start`,
    ],
    [
      "a PostgreSQL role in the pg_ namespace",
      (c) => c.namespaces[0].workloads.push({ kind: "postgres", name: "pg", user: "pg_app" }),
      `stateful:namespaces[0].workloads[2].user: got "pg_app"; must not be postgres, replicator, public, none, current_user, session_user, current_role or start with pg_: those names are the superuser, the replication role or reserved by PostgreSQL`,
    ],
    [
      "zero replicas",
      (c) => (c.namespaces[0].workloads[0].replicas = 0),
      `${W0}.replicas: got 0; must be a whole number from 1 to 1000`,
    ],
    [
      "fractional replicas",
      (c) => (c.namespaces[0].workloads[0].replicas = 1.5),
      `${W0}.replicas: got 1.5; must be a whole number from 1 to 1000`,
    ],
    [
      "a replica count no StatefulSet is built for (a typo that would exhaust memory)",
      (c) => (c.namespaces[0].workloads[0].replicas = 100000000),
      `${W0}.replicas: got 100000000; must be a whole number from 1 to 1000`,
    ],
    [
      "an update partition beyond any replica count",
      (c) => (c.namespaces[0].workloads[0].updatePartition = 5000),
      [
        `${W0}.updatePartition: got 5000; must be a whole number from 0 to 1000`,
        `${W0}.updatePartition: got 5000; must be at most replicas (2): a partition above it updates no pod`,
      ],
    ],
    [
      "a startup budget of more than a day",
      (c) => (c.namespaces[0].workloads[0].startupSeconds = 86401),
      `${W0}.startupSeconds: got 86401; must be a whole number from 1 to 86400 (seconds one pod may take to become ready)`,
    ],
    [
      "a size in words",
      (c) => (c.namespaces[0].workloads[0].storage.size = "ten"),
      `${W0}.storage.size: got "ten"; must be the claim size, a quantity such as 512Mi or 10Gi`,
    ],
    [
      "an unknown kind",
      (c) => (c.namespaces[0].workloads[0].kind = "mysql"),
      `${W0}.kind: got "mysql"; must be one of nginx, redis, postgres, cassandra`,
    ],
    [
      "a missing kind",
      (c) => delete c.namespaces[0].workloads[0].kind,
      `${W0}.kind: got nothing; must be one of nginx, redis, postgres, cassandra`,
    ],
    [
      "a name that is not a DNS label",
      (c) => (c.namespaces[0].workloads[0].name = "Web_1"),
      `${W0}.name: got "Web_1"; must be a DNS label: lower-case letters, digits and '-', starting with a letter`,
    ],
    [
      "a name starting with a digit",
      (c) => (c.namespaces[0].workloads[0].name = "1web"),
      `${W0}.name: got "1web"; must be a DNS label: lower-case letters, digits and '-', starting with a letter`,
    ],
    [
      "a name too long for a StatefulSet",
      (c) => (c.namespaces[0].workloads[0].name = "w".repeat(53)),
      `${W0}.name: got "${"w".repeat(53)}"; must be at most 52 characters, so that pod names and the controller-revision-hash label stay valid`,
    ],
    [
      "a retention value other than Retain/Delete",
      (c) =>
        (c.namespaces[0].workloads[0].retention = { whenDeleted: "Keep", whenScaled: "Retain" }),
      `${W0}.retention.whenDeleted: got "Keep"; must be Retain or Delete`,
    ],
    [
      "half a retention policy",
      (c) => (c.namespaces[0].workloads[0].retention = { whenDeleted: "Retain" }),
      `${W0}.retention.whenScaled: is missing; it must be Retain or Delete`,
    ],
    [
      "duplicate names in one namespace",
      (c) => (c.namespaces[0].workloads[1].name = "web"),
      `${W1}.name: got "web"; duplicates namespaces[0].workloads[0].name: names must be unique in a namespace`,
    ],
    [
      "a missing storage class",
      (c) => {
        delete c.storageClass;
        c.namespaces[0].workloads[1].storage = { className: "fast" };
      },
      `${W0}.storage.className: is missing: name a StorageClass here or set stateful:storageClass for the whole stack (the cluster's implicit default is never used)`,
    ],
    [
      "an empty storage class",
      (c) => (c.namespaces[0].workloads[0].storage.className = ""),
      `${W0}.storage.className: got ""; must name a StorageClass (a non-empty string)`,
    ],
    [
      "an unknown pod management policy",
      (c) => (c.namespaces[0].workloads[0].podManagementPolicy = "Ordered"),
      `${W0}.podManagementPolicy: got "Ordered"; must be OrderedReady or Parallel`,
    ],
    [
      "a misspelt key",
      (c) => (c.namespaces[0].workloads[0].replica = 2),
      `${W0}: unknown key 'replica'; check the spelling against Pulumi.yaml`,
    ],
    [
      "an unknown top-level key",
      (c) => (c.storageclass = "x"),
      `stateful: unknown key 'storageclass'; check the spelling against Pulumi.yaml`,
    ],
    [
      "an image on latest",
      (c) => (c.namespaces[0].workloads[0].image = "nginx:latest"),
      `${W0}.image: got "nginx:latest"; must be pinned to a version: 'latest' moves under a running StatefulSet`,
    ],
    [
      "an untagged image",
      (c) => (c.namespaces[0].workloads[0].image = "nginx"),
      `${W0}.image: got "nginx"; must be an image reference pinned by tag or digest ([registry[:port]/]repo:1.2.3 or repo@sha256:...)`,
    ],
    [
      "a CPU quantity in words",
      (c) =>
        (c.namespaces[0].workloads[0].resources = { requests: { cpu: "half", memory: "1Gi" } }),
      `${W0}.resources.requests.cpu: got "half"; must be a CPU quantity such as 250m or 1`,
    ],
    [
      "a memory limit below the request",
      (c) =>
        (c.namespaces[0].workloads[0].resources = {
          requests: { cpu: "1", memory: "1Gi" },
          limits: { memory: "512Mi" },
        }),
      `${W0}.resources.limits.memory: got "512Mi"; must be at least the memory request (1Gi)`,
    ],
    [
      "a partition above replicas",
      (c) => (c.namespaces[0].workloads[0].updatePartition = 3),
      `${W0}.updatePartition: got 3; must be at most replicas (2): a partition above it updates no pod`,
    ],
    [
      "an empty peer",
      (c) => (c.namespaces[0].workloads[0].allowFrom = [{}]),
      `${W0}.allowFrom[0]: got {}; must set podLabels, namespaceLabels or both`,
    ],
    [
      "both render and context",
      (c) => (c.target.context = "prod"),
      `stateful:target: got {"renderYamlToDirectory":"out","context":"prod"}; set exactly one of renderYamlToDirectory (write manifests, no cluster) or context (deploy to that kubeconfig context)`,
    ],
    [
      "no target",
      (c) => delete c.target,
      `stateful:target: is missing; it must be a map with renderYamlToDirectory, or context and optional kubeconfig`,
    ],
    [
      "no namespaces",
      (c) => (c.namespaces = []),
      `stateful:namespaces: got []; must list at least one namespace`,
    ],
    [
      "a bad namespace name",
      (c) => (c.namespaces[0].name = "Data"),
      `stateful:namespaces[0].name: got "Data"; must be a DNS label: lower-case letters, digits and '-'`,
    ],
    [
      "a namespace listed twice",
      (c) => c.namespaces.push({ name: "data", workloads: [] }),
      `stateful:namespaces[1].name: got "data"; duplicates namespaces[0].name: list each namespace once`,
    ],
    [
      "Cassandra seeds above replicas",
      (c) => (c.namespaces[0].workloads[1].seeds = 4),
      `${W1}.seeds: got 4; must be at most replicas (3): seeds are the first pods of the ring`,
    ],
    [
      "zero Cassandra seeds",
      (c) => (c.namespaces[0].workloads[1].seeds = 0),
      `${W1}.seeds: got 0; must be a whole number from 1 to 1000`,
    ],
    [
      "seeds above the default replica count",
      (c) => {
        delete c.namespaces[0].workloads[1].replicas;
        c.namespaces[0].workloads[1].seeds = 5;
      },
      `${W1}.seeds: got 5; must be at most replicas (3): seeds are the first pods of the ring`,
    ],
    [
      "a Cassandra heap larger than memory allows",
      (c) => (c.namespaces[0].workloads[1].heap = { max: "2Gi", newGen: "200Mi" }),
      `${W1}.heap.max: got "2Gi"; must be at most 1024Mi with 2Gi of container memory: half of it at most, leaving a quarter for direct memory and 384Mi for nodetool and the JVM's own overhead`,
    ],
    [
      "a young generation as large as the heap",
      (c) => (c.namespaces[0].workloads[1].heap = { max: "1Gi", newGen: "1Gi" }),
      `${W1}.heap.newGen: got "1Gi"; must be less than heap.max (1Gi)`,
    ],
    [
      "a heap in words",
      (c) => (c.namespaces[0].workloads[1].heap = { max: "lots", newGen: "1Gi" }),
      `${W1}.heap.max: got "lots"; must be the maximum heap, a quantity such as 512Mi or 10Gi`,
    ],
    [
      "Cassandra with too little memory",
      (c) => (c.namespaces[0].workloads[1].resources = { requests: { cpu: "1", memory: "512Mi" } }),
      `${W1}.resources.requests.memory: got "512Mi"; must be at least 1Gi for Cassandra: the JVM heap and off-heap memory need it`,
    ],
    [
      "Cassandra in Parallel",
      (c) => (c.namespaces[0].workloads[1].podManagementPolicy = "Parallel"),
      `${W1}.podManagementPolicy: got "Parallel"; must be OrderedReady for cassandra: nodes must join the ring one at a time`,
    ],
    [
      "PostgreSQL in Parallel",
      (c) =>
        c.namespaces[0].workloads.push({
          kind: "postgres",
          name: "pg",
          podManagementPolicy: "Parallel",
        }),
      `stateful:namespaces[0].workloads[2].podManagementPolicy: got "Parallel"; must be OrderedReady for postgres: replicas clone the primary, which must be ready first`,
    ],
    [
      "a PostgreSQL database name with capitals",
      (c) => c.namespaces[0].workloads.push({ kind: "postgres", name: "pg", database: "App" }),
      `stateful:namespaces[0].workloads[2].database: got "App"; must be a PostgreSQL identifier: lower-case letters, digits and '_', at most 63`,
    ],
    [
      "a two-node Cassandra ring",
      (c) => {
        c.namespaces[0].workloads[1].replicas = 2;
        c.namespaces[0].workloads[1].seeds = 1;
      },
      `${W1}.replicas: got 2; must not be 2 for Cassandra: a two-node ring cannot lose a node without losing quorum, so no disruption budget is both safe and drainable; use 1 (development) or 3 or more`,
    ],
    [
      "a Cassandra seed count beyond any ring",
      (c) => (c.namespaces[0].workloads[1].seeds = 5000),
      [
        `${W1}.seeds: got 5000; must be a whole number from 1 to 1000`,
        `${W1}.seeds: got 5000; must be at most replicas (3): seeds are the first pods of the ring`,
      ],
    ],
    [
      "a Cassandra decommission mark that is not the replica count",
      (c) => (c.namespaces[0].workloads[1].decommissionedFrom = 2),
      `${W1}.decommissionedFrom: got 2; must equal replicas (3): it confirms that the nodes from that ordinal up were decommissioned; remove it once the ring is scaled down`,
    ],
    [
      "a fractional Cassandra seed count",
      (c) => (c.namespaces[0].workloads[1].seeds = 1.5),
      `${W1}.seeds: got 1.5; must be a whole number from 1 to 1000`,
    ],
    [
      "a Cassandra heap below 256Mi",
      (c) => (c.namespaces[0].workloads[1].heap = { max: "128Mi", newGen: "32Mi" }),
      `${W1}.heap.max: got "128Mi"; must be at least 256Mi`,
    ],
    [
      "a Cassandra memory limit below 1Gi",
      (c) =>
        (c.namespaces[0].workloads[1].resources = {
          requests: { cpu: "1", memory: "512Mi" },
          limits: { memory: "768Mi" },
        }),
      `${W1}.resources.limits.memory: got "768Mi"; must be at least 1Gi for Cassandra: the JVM heap and off-heap memory need it`,
    ],
    [
      "a Cassandra heap measured against a smaller limit",
      (c) => {
        c.namespaces[0].workloads[1].resources = {
          requests: { cpu: "1", memory: "2Gi" },
          limits: { memory: "2Gi" },
        };
        c.namespaces[0].workloads[1].heap = { max: "1600Mi", newGen: "400Mi" };
      },
      `${W1}.heap.max: got "1600Mi"; must be at most 1024Mi with 2Gi of container memory: half of it at most, leaving a quarter for direct memory and 384Mi for nodetool and the JVM's own overhead`,
    ],
    [
      "the PostgreSQL superuser as the application user",
      (c) => c.namespaces[0].workloads.push({ kind: "postgres", name: "pg", user: "postgres" }),
      `stateful:namespaces[0].workloads[2].user: got "postgres"; must not be postgres, replicator, public, none, current_user, session_user, current_role or start with pg_: those names are the superuser, the replication role or reserved by PostgreSQL`,
    ],
    [
      "the replication role as the application user",
      (c) => c.namespaces[0].workloads.push({ kind: "postgres", name: "pg", user: "replicator" }),
      `stateful:namespaces[0].workloads[2].user: got "replicator"; must not be postgres, replicator, public, none, current_user, session_user, current_role or start with pg_: those names are the superuser, the replication role or reserved by PostgreSQL`,
    ],
    [
      "a Redis memory limit below its request",
      (c) =>
        c.namespaces[0].workloads.push({
          kind: "redis",
          name: "cache",
          resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "256Mi" } },
        }),
      `stateful:namespaces[0].workloads[2].resources.limits.memory: got "256Mi"; must be at least the memory request (1Gi)`,
    ],
    [
      "a PostgreSQL-only key on Redis",
      (c) => c.namespaces[0].workloads.push({ kind: "redis", name: "cache", database: "x" }),
      `stateful:namespaces[0].workloads[2]: unknown key 'database'; check the spelling against Pulumi.yaml`,
    ],
    [
      "a heap on PostgreSQL",
      (c) =>
        c.namespaces[0].workloads.push({
          kind: "postgres",
          name: "pg",
          heap: { max: "1Gi", newGen: "256Mi" },
        }),
      `stateful:namespaces[0].workloads[2]: unknown key 'heap'; check the spelling against Pulumi.yaml`,
    ],
    [
      "a Cassandra-only key on nginx",
      (c) => (c.namespaces[0].workloads[0].seeds = 1),
      `${W0}: unknown key 'seeds'; check the spelling against Pulumi.yaml`,
    ],
  ];

  for (const [what, mutate, expected] of cases) {
    it(`rejects ${what}`, () => {
      assert.deepEqual(mutated(mutate), Array.isArray(expected) ? expected : [expected]);
    });
  }
});
