// Zones, node selectors, node affinity and tolerations: the pod spec they make, the quorum
// arithmetic, and every bad value refused with its key, from a stack file and from a direct caller.
import { strict as assert } from "assert";
import { Cassandra } from "../../components/cassandra";
import { ConfigError, parseStackConfig } from "../../components/config";
import { Nginx } from "../../components/nginx";
import {
  minorityOf,
  podPlacement,
  replicasForZones,
  survivesZoneLoss,
  zoneShare,
  zonesNeeded,
} from "../../components/placement";
import { Redis } from "../../components/redis";
import { podDisruptionAllowance } from "../../components/statefulWorkload";
import { resolveWorkloadArgs } from "../../components/workloadArgs";
import { WorkloadKind } from "../../components/defaults";
import { registered, setupMocks } from "../../harness/mocks";
import { validateObject } from "../../harness/schema";
import { only } from "../support/assertions";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const ZONE = "topology.kubernetes.io/zone";
const HOST = "kubernetes.io/hostname";
const SELECTOR = { app: "db" };

/** The problems of a stack config with one workload (and its extra keys), or []. */
function problems(workload: Obj): string[] {
  try {
    parseStackConfig({
      target: { renderYamlToDirectory: "out" },
      storageClass: "standard",
      namespaces: [{ name: "data", workloads: [{ name: "w", ...workload }] }],
    });
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.problems;
  }
}
const W = "stateful:namespaces[0].workloads[0]";

describe("placement", () => {
  describe("the pod spec", () => {
    it("spreads over nodes and zones, and by default never leaves a pod Pending for a zone", () => {
      const p = podPlacement({}, SELECTOR);
      assert.deepEqual(p.topologySpreadConstraints, [
        {
          maxSkew: 1,
          topologyKey: HOST,
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: SELECTOR },
        },
        {
          maxSkew: 1,
          topologyKey: ZONE,
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: SELECTOR },
        },
      ]);
      assert.deepEqual(p.affinity, {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: { topologyKey: HOST, labelSelector: { matchLabels: SELECTOR } },
            },
          ],
        },
      });
      assert.ok(!("nodeSelector" in p) && !("tolerations" in p));
    });

    it("pins named zones with required node affinity, and a required spread needs every one (minDomains)", () => {
      const p = podPlacement(
        {
          zones: ["a", "b", "c"],
          zoneSpread: "DoNotSchedule",
          nodeAffinity: {
            required: [{ key: "pool", operator: "In", values: ["db"] }],
            preferred: [{ weight: 20, key: "disk", operator: "Exists" }],
          },
        },
        SELECTOR,
      );
      assert.deepEqual(p.topologySpreadConstraints[1], {
        maxSkew: 1,
        topologyKey: ZONE,
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: SELECTOR },
        minDomains: 3,
      });
      assert.deepEqual(p.affinity.nodeAffinity, {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: ZONE, operator: "In", values: ["a", "b", "c"] },
                { key: "pool", operator: "In", values: ["db"] },
              ],
            },
          ],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 20, preference: { matchExpressions: [{ key: "disk", operator: "Exists" }] } },
        ],
      });
      // Without a required spread, named zones bound where pods go but set no minDomains.
      const soft = podPlacement({ zones: ["a", "b"] }, SELECTOR);
      assert.ok(!("minDomains" in soft.topologySpreadConstraints[1]));
    });

    it("passes the node selector and tolerations on, leaving out what is unset", () => {
      const p = podPlacement(
        {
          nodeSelector: { pool: "db" },
          tolerations: [
            { key: "dedicated", operator: "Equal", value: "db", effect: "NoSchedule" },
            { operator: "Exists", effect: "NoExecute", tolerationSeconds: 600 },
          ],
        },
        SELECTOR,
      );
      assert.deepEqual(p.nodeSelector, { pool: "db" });
      assert.deepEqual(p.tolerations, [
        { key: "dedicated", operator: "Equal", value: "db", effect: "NoSchedule" },
        { operator: "Exists", effect: "NoExecute", tolerationSeconds: 600 },
      ]);
    });

    it("reaches the StatefulSet of every kind from its args, valid against the Kubernetes schema", async () => {
      await setupMocks();
      new Nginx("web", {
        namespace: "site",
        storage: { className: "standard" },
        zones: ["eu-1a", "eu-1b"],
        zoneSpread: "DoNotSchedule",
        nodeSelector: { pool: "web" },
        tolerations: [{ key: "dedicated", value: "web", effect: "NoSchedule" }],
      });
      const sts = only(await registered(), "kubernetes:apps/v1:StatefulSet").inputs as Obj;
      const pod = sts.spec.template.spec;
      assert.deepEqual(pod.nodeSelector, { pool: "web" });
      assert.deepEqual(pod.tolerations, [{ key: "dedicated", value: "web", effect: "NoSchedule" }]);
      // Both spreads, over nodes and zones, whatever else the placement says.
      assert.deepEqual(
        pod.topologySpreadConstraints.map((c: Obj) => c.topologyKey),
        [HOST, ZONE],
      );
      assert.equal(pod.topologySpreadConstraints[1].minDomains, 2);
      assert.deepEqual(
        pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
        [{ matchExpressions: [{ key: ZONE, operator: "In", values: ["eu-1a", "eu-1b"] }] }],
      );
      validateObject({ apiVersion: "apps/v1", kind: "StatefulSet", ...sts });
    });
  });

  describe("a quorum through the loss of a zone", () => {
    it("holds while one zone's share, ceil(N/Z), is a minority, floor((N-1)/2)", () => {
      const table = [
        // replicas, zones, share, survives
        [3, 3, 1, true],
        [3, 2, 2, false],
        [4, 3, 2, false],
        [4, 4, 1, true],
        [5, 3, 2, true],
        [6, 3, 2, true],
        [7, 3, 3, true],
        [5, 2, 3, false],
        [9, 3, 3, true],
      ] as const;
      for (const [n, z, share, ok] of table) {
        assert.equal(zoneShare(n, z), share, `share of ${n} over ${z}`);
        assert.equal(survivesZoneLoss(n, z), ok, `${n} over ${z}`);
      }
      assert.deepEqual([3, 4, 5, 6, 7].map(minorityOf), [1, 1, 2, 2, 3]);
      assert.deepEqual([3, 4, 5, 6, 7].map(zonesNeeded), [3, 4, 3, 3, 3]);
      assert.equal(replicasForZones(4, 3), 5);
      assert.equal(replicasForZones(3, 4), 3);
      assert.equal(replicasForZones(3, 2), undefined, "two zones never keep a majority");
    });

    it("refuses too few zones for Cassandra, and for Redis with Sentinel", () => {
      assert.deepEqual(problems({ kind: "cassandra", replicas: 3, zones: ["a", "b"] }), [
        `${W}.zones: got ["a","b"]; 2 zones for the 3 pods of cassandra (a quorum system): one zone holds up to 2, and losing it leaves 1, no majority (a quorum survives losing 1); name at least 3 zones`,
      ]);
      assert.deepEqual(problems({ kind: "cassandra", replicas: 4, zones: ["a", "b", "c"] }), [
        `${W}.zones: got ["a","b","c"]; 3 zones for the 4 pods of cassandra (a quorum system): one zone holds up to 2, and losing it leaves 2, no majority (a quorum survives losing 1); name at least 4 zones or run 5 replicas`,
      ]);
      // Redis runs Sentinel from 3 replicas unless told otherwise.
      assert.equal(problems({ kind: "redis", replicas: 3, zones: ["a", "b"] }).length, 1);
      assert.match(
        problems({ kind: "redis", replicas: 3, zones: ["a", "b"] })[0],
        /redis with Sentinel/,
      );
      assert.deepEqual(problems({ kind: "redis", replicas: 3, sentinel: false, zones: ["a"] }), []);
      assert.deepEqual(problems({ kind: "postgres", replicas: 3, zones: ["a", "b"] }), []);
      assert.deepEqual(problems({ kind: "cassandra", replicas: 5, zones: ["a", "b", "c"] }), []);
      assert.deepEqual(problems({ kind: "cassandra", replicas: 1, zones: ["a"] }), []);
    });

    it("refuses a required zone spread of a quorum system whose zones are not named", () => {
      assert.deepEqual(problems({ kind: "cassandra", replicas: 5, zoneSpread: "DoNotSchedule" }), [
        `${W}.zones: is missing: zoneSpread DoNotSchedule on cassandra (a quorum system) keeps a majority of its 5 pods through the loss of a zone only over zones that are named (at least 3, so that one holds at most 2); name them, or use ScheduleAnyway`,
      ]);
      assert.deepEqual(problems({ kind: "nginx", replicas: 4, zoneSpread: "DoNotSchedule" }), []);
      assert.deepEqual(
        problems({
          kind: "cassandra",
          replicas: 3,
          zoneSpread: "DoNotSchedule",
          zones: ["a", "b", "c"],
        }),
        [],
      );
    });

    it("is checked for a component built without a stack file", async () => {
      await setupMocks();
      assert.throws(
        () =>
          new Cassandra("ring", {
            namespace: "data",
            storage: { className: "standard" },
            replicas: 3,
            zones: ["a", "b"],
          }),
        /^Error: Cassandra ring: zones: got \["a","b"\]; 2 zones for the 3 pods of cassandra/,
      );
      assert.throws(
        () =>
          new Redis("cache", {
            namespace: "data",
            storage: { className: "standard" },
            tolerations: [{ key: "x", effect: "NoSchedule", tolerationSeconds: 90000 }],
          }),
        (err: Error) =>
          err.message.includes(
            "tolerations.0.tolerationSeconds: got 90000; must be a whole number from 0 to 86400 (a day); leave it out to tolerate the taint for ever",
          ) &&
          err.message.includes(
            "tolerations.0.tolerationSeconds: got 90000; goes with effect NoExecute only: other effects never evict a running pod",
          ),
      );
      assert.deepEqual(await registered(), [], "nothing registered");
    });

    it("is checked once, by the kind's workload rules, which every StatefulWorkload is built through", async () => {
      await setupMocks();
      assert.throws(
        () =>
          new Nginx("web", {
            namespace: "data",
            storage: { className: "fast" },
            zones: [],
            nodeAffinity: { required: [{ key: "cpus", operator: "Lt", values: ["1", "2"] }] },
          }),
        {
          message:
            'Nginx web: zones: got []; must name at least one zone; nodeAffinity.required.0.values: got ["1","2"]; must be one whole number for operator Lt, such as ["4"]',
        },
      );
      assert.deepEqual(await registered(), [], "nothing registered");
    });
  });

  describe("a majority system's disruption budget", () => {
    it("is bounded by the same minority that its zones must hold", () => {
      for (const n of [1, 2, 3, 4, 5, 6, 7, 9]) {
        assert.equal(podDisruptionAllowance(n, n, true), Math.max(0, minorityOf(n)), `${n} pods`);
      }
    });

    it("covers every workload the zone rules count as one: Cassandra, and Redis with Sentinel", () => {
      const quorum = (kind: WorkloadKind, extra: Obj = {}) =>
        resolveWorkloadArgs(kind, "w", {
          namespace: "data",
          storage: { className: "standard" },
          ...extra,
        }).quorum;
      assert.equal(quorum("cassandra"), true);
      assert.equal(quorum("redis"), true, "3 pods run Sentinel by default");
      assert.equal(quorum("redis", { sentinel: false }), false);
      assert.equal(quorum("redis", { replicas: 2 }), false, "no Sentinel below 3 pods");
      assert.equal(quorum("postgres", { replicas: 3 }), false);
      assert.equal(quorum("nginx", { replicas: 3 }), false);
    });

    it("lets a disruption take one of three Redis pods under Sentinel", async () => {
      await setupMocks();
      new Redis("cache", { namespace: "data", storage: { className: "standard" } });
      const pdb = only(await registered(), "kubernetes:policy/v1:PodDisruptionBudget");
      assert.equal((pdb.inputs.spec as Obj).maxUnavailable, 1);
    });
  });

  describe("bad values, each named by its key", () => {
    const cases: [string, Obj, string[]][] = [
      ["an empty zone list", { zones: [] }, [`${W}.zones: got []; must name at least one zone`]],
      [
        "a zone named twice",
        { zones: ["a", "a"] },
        [`${W}.zones[1]: got "a"; is named twice: name each zone once`],
      ],
      [
        "a zone that is no label value",
        { zones: ["eu west"] },
        [
          `${W}.zones[0]: got "eu west"; must be a zone name: a label value of topology.kubernetes.io/zone`,
        ],
      ],
      [
        "an unknown zone spread",
        { zoneSpread: "Always" },
        [`${W}.zoneSpread: got "Always"; must be ScheduleAnyway or DoNotSchedule`],
      ],
      [
        "the zone in the node selector",
        { nodeSelector: { [ZONE]: "a" } },
        [
          `${W}.nodeSelector.topology.kubernetes.io/zone: got "a"; must not be set: name zones in zones, which also sizes the spread over them`,
        ],
      ],
      [
        "a node selector key that is no label key",
        { nodeSelector: { "-pool": "db" } },
        [
          `${W}.nodeSelector.-pool: got "-pool"; label keys must be [prefix/]name: a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
        ],
      ],
      [
        "a toleration operator",
        { tolerations: [{ key: "k", operator: "In" }] },
        [`${W}.tolerations[0].operator: got "In"; must be Equal or Exists`],
      ],
      [
        "a toleration effect",
        { tolerations: [{ key: "k", effect: "NoRun" }] },
        [
          `${W}.tolerations[0].effect: got "NoRun"; must be NoSchedule, PreferNoSchedule or NoExecute`,
        ],
      ],
      [
        "a toleration of every key that is not Exists",
        { tolerations: [{ effect: "NoSchedule" }] },
        [
          `${W}.tolerations[0].operator: must be Exists when key is empty (a toleration of every taint)`,
        ],
      ],
      [
        "a value with Exists",
        { tolerations: [{ key: "k", operator: "Exists", value: "v" }] },
        [`${W}.tolerations[0].value: got "v"; must be empty with operator Exists`],
      ],
      [
        "negative tolerationSeconds",
        { tolerations: [{ key: "k", effect: "NoExecute", tolerationSeconds: -1 }] },
        [
          `${W}.tolerations[0].tolerationSeconds: got -1; must be a whole number from 0 to 86400 (a day); leave it out to tolerate the taint for ever`,
        ],
      ],
      [
        "tolerationSeconds beyond a day",
        { tolerations: [{ key: "k", effect: "NoExecute", tolerationSeconds: 86401 }] },
        [
          `${W}.tolerations[0].tolerationSeconds: got 86401; must be a whole number from 0 to 86400 (a day); leave it out to tolerate the taint for ever`,
        ],
      ],
      [
        "tolerationSeconds without NoExecute",
        { tolerations: [{ key: "k", effect: "NoSchedule", tolerationSeconds: 60 }] },
        [
          `${W}.tolerations[0].tolerationSeconds: got 60; goes with effect NoExecute only: other effects never evict a running pod`,
        ],
      ],
      [
        "a toleration key that is no label key",
        { tolerations: [{ key: "a b", operator: "Exists" }] },
        [
          `${W}.tolerations[0].key: got "a b"; must be a label key, [prefix/]name: a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
        ],
      ],
      [
        "a node requirement on the zone",
        { nodeAffinity: { required: [{ key: ZONE, operator: "In", values: ["a"] }] } },
        [
          `${W}.nodeAffinity.required[0].key: got "${ZONE}"; must not be topology.kubernetes.io/zone: name zones in zones, which also sizes the spread over them`,
        ],
      ],
      [
        "In without values",
        { nodeAffinity: { required: [{ key: "pool", operator: "In" }] } },
        [`${W}.nodeAffinity.required[0].values: must list at least one value for operator In`],
      ],
      [
        "Exists with values",
        {
          nodeAffinity: {
            preferred: [{ weight: 1, key: "pool", operator: "Exists", values: ["x"] }],
          },
        },
        [`${W}.nodeAffinity.preferred[0].values: got ["x"]; must be empty for operator Exists`],
      ],
      [
        "Gt with a word",
        { nodeAffinity: { required: [{ key: "cpus", operator: "Gt", values: ["many"] }] } },
        [
          `${W}.nodeAffinity.required[0].values: got ["many"]; must be one whole number for operator Gt, such as ["4"]`,
        ],
      ],
      [
        "an unknown node operator",
        { nodeAffinity: { required: [{ key: "pool", operator: "Like", values: ["x"] }] } },
        [
          `${W}.nodeAffinity.required[0].operator: got "Like"; must be In, NotIn, Exists, DoesNotExist, Gt or Lt`,
        ],
      ],
      [
        "a weight out of range",
        { nodeAffinity: { preferred: [{ weight: 101, key: "pool", operator: "Exists" }] } },
        [`${W}.nodeAffinity.preferred[0].weight: got 101; must be a whole number from 1 to 100`],
      ],
      [
        "an unknown node affinity key",
        { nodeAffinity: { requiredTerms: [] } },
        [`${W}.nodeAffinity: unknown key 'requiredTerms'; check the spelling against Pulumi.yaml`],
      ],
    ];
    for (const [what, extra, expected] of cases) {
      it(`refuses ${what}`, () => {
        assert.deepEqual(problems({ kind: "nginx", ...extra }), expected);
      });
    }

    it("accepts a full placement", () => {
      assert.deepEqual(
        problems({
          kind: "cassandra",
          replicas: 3,
          zones: ["eu-1a", "eu-1b", "eu-1c"],
          zoneSpread: "DoNotSchedule",
          nodeSelector: { "node.example.com/pool": "data" },
          tolerations: [
            { key: "dedicated", operator: "Equal", value: "data", effect: "NoSchedule" },
            {
              key: "node.kubernetes.io/unreachable",
              operator: "Exists",
              effect: "NoExecute",
              tolerationSeconds: 600,
            },
          ],
          nodeAffinity: {
            required: [{ key: "node.example.com/disk", operator: "In", values: ["ssd"] }],
            preferred: [
              { weight: 50, key: "node.example.com/cpus", operator: "Gt", values: ["8"] },
            ],
          },
        }),
        [],
      );
    });
  });
});
