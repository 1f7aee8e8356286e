// Namespace quotas: the ResourceQuota and LimitRange objects, the API server's arithmetic they are
// checked with (LimitRanger defaults and bounds, a pod's charge), and every config that would not
// fit refused before anything exists, naming the namespace, the bound, the need and the quota.
import { strict as assert } from "assert";
import {
  ConfigError,
  parseStackConfig,
  RawNamespace,
  workloadDemands,
} from "../../components/config";
import {
  admitContainer,
  formatBytes,
  formatCpu,
  limitRangeItems,
  namespaceUsage,
  podCharge,
  resourceQuotaHard,
} from "../../components/quota";
import { deployStack } from "../../components/stack";
import { registered, setupMocks } from "../../harness/mocks";
import { validateObject } from "../../harness/schema";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const MI = 2 ** 20;
const NS = "stateful:namespaces[0]";
const ROLLOUT =
  "a StatefulSet replaces its pods one at a time, deleting each before creating it, so a rollout needs no room beyond this";

/**
 * One namespace with two nginx pods: each runs nginx (50m, 64Mi, limit 128Mi) after seed-content
 * (10m, 16Mi, limit 32Mi), and claims 1Gi of `standard`.
 */
function config(ns: Obj = {}, workload: Obj = {}): Obj {
  return {
    target: { renderYamlToDirectory: "out" },
    storageClass: "standard",
    namespaces: [
      {
        name: "web",
        workloads: [{ kind: "nginx", name: "site", replicas: 2, ...workload }],
        ...ns,
      },
    ],
  };
}

function problems(c: Obj): string[] {
  try {
    parseStackConfig(c);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.problems;
  }
}

describe("namespace quotas", () => {
  describe("the objects", () => {
    it("maps the quota's keys to ResourceQuota resource names", () => {
      assert.deepEqual(
        resourceQuotaHard({
          requests: { cpu: "4", memory: "8Gi", storage: "100Gi" },
          limits: { cpu: "8", memory: "16Gi" },
          pods: 20,
          persistentVolumeClaims: 10,
          storageClasses: { "fast-ssd": { storage: "50Gi", persistentVolumeClaims: 4 } },
        }),
        {
          "requests.cpu": "4",
          "requests.memory": "8Gi",
          "requests.storage": "100Gi",
          "limits.cpu": "8",
          "limits.memory": "16Gi",
          pods: "20",
          persistentvolumeclaims: "10",
          "fast-ssd.storageclass.storage.k8s.io/requests.storage": "50Gi",
          "fast-ssd.storageclass.storage.k8s.io/persistentvolumeclaims": "4",
        },
      );
    });

    it("maps the LimitRange's keys to a Container and a PersistentVolumeClaim item", () => {
      assert.deepEqual(
        limitRangeItems({
          container: {
            min: { memory: "16Mi" },
            default: { cpu: "500m" },
            maxLimitRequestRatio: { memory: 4 },
          },
          persistentVolumeClaim: { max: "1Ti" },
        }),
        [
          {
            type: "Container",
            min: { memory: "16Mi" },
            default: { cpu: "500m" },
            maxLimitRequestRatio: { memory: "4" },
          },
          { type: "PersistentVolumeClaim", max: { storage: "1Ti" } },
        ],
      );
    });

    it("are created in the namespace before its workloads, valid against the Kubernetes schema", async () => {
      await setupMocks();
      deployStack(
        parseStackConfig(
          config({
            quota: { requests: { cpu: "1", memory: "1Gi", storage: "10Gi" }, pods: 4 },
            limitRange: { container: { max: { memory: "1Gi" } } },
          }),
        ),
      );
      const resources = await registered();
      const quota = resources.find((r) => r.type === "kubernetes:core/v1:ResourceQuota")!;
      const limits = resources.find((r) => r.type === "kubernetes:core/v1:LimitRange")!;
      assert.deepEqual(quota.inputs, {
        apiVersion: "v1",
        kind: "ResourceQuota",
        metadata: { name: "stateful-workloads", namespace: "web" },
        spec: {
          hard: {
            "requests.cpu": "1",
            "requests.memory": "1Gi",
            "requests.storage": "10Gi",
            pods: "4",
          },
        },
      });
      assert.deepEqual(limits.inputs, {
        apiVersion: "v1",
        kind: "LimitRange",
        metadata: { name: "stateful-workloads", namespace: "web" },
        spec: { limits: [{ type: "Container", max: { memory: "1Gi" } }] },
      });
      for (const r of [quota, limits]) {
        validateObject(r.inputs);
      }
      const namespace = resources.find((r) => r.type === "kubernetes:core/v1:Namespace")!;
      assert.deepEqual(quota.options.dependsOn, [namespace.urn]);
      const nginx = resources.find((r) => r.type === "stateful:workloads:Nginx")!;
      assert.deepEqual(
        [...nginx.options.dependsOn].sort(),
        [namespace.urn, quota.urn, limits.urn].sort(),
        "the LimitRange's defaults apply only to pods created after it",
      );
    });

    it("are not made for a namespace without them", async () => {
      await setupMocks();
      deployStack(parseStackConfig(config()));
      const types = (await registered()).map((r) => r.type);
      assert.ok(!types.includes("kubernetes:core/v1:ResourceQuota"));
      assert.ok(!types.includes("kubernetes:core/v1:LimitRange"));
      assert.deepEqual(parseStackConfig(config()).namespaces, [
        { name: "web", create: true, labels: {} },
      ]);
    });
  });

  describe("the API server's arithmetic", () => {
    it("defaults a request from the limit, then the LimitRange's default limit and request", () => {
      const { admitted } = admitContainer(
        { name: "c", limits: { memory: "256Mi" }, requests: { cpu: "100m" } },
        false,
        { container: { default: { cpu: "400m" }, defaultRequest: { memory: "64Mi" } } },
      );
      assert.deepEqual(admitted.requests, { cpu: 100, memory: 256 * MI });
      assert.deepEqual(admitted.limits, { cpu: 400, memory: 256 * MI });
      // `max` is the default limit where none is given; the default request follows it, else min.
      const fromMax = admitContainer({ name: "c" }, false, {
        container: { max: { cpu: "2" }, min: { memory: "32Mi" } },
      }).admitted;
      assert.deepEqual(fromMax.limits, { cpu: 2000 });
      assert.deepEqual(fromMax.requests, { cpu: 2000, memory: 32 * MI });
    });

    it("refuses requests and limits outside the bounds, and ratios above the maximum", () => {
      const refused = (c: Obj, l: Obj) =>
        admitContainer({ name: "c", ...c }, false, { container: l }).refusals.map((r) => [
          r.path.join("."),
          r.has,
          r.fix,
          r.to,
        ]);
      assert.deepEqual(refused({ requests: { memory: "16Mi" } }, { min: { memory: "32Mi" } }), [
        ["limitRange.container.min.memory", "requests 16Mi of memory", "lower", 16 * MI],
      ]);
      assert.deepEqual(
        refused(
          { requests: { memory: "64Mi" }, limits: { memory: "2Gi" } },
          { max: { memory: "1Gi" } },
        ),
        [["limitRange.container.max.memory", "limits memory to 2Gi", "raise", 2048 * MI]],
      );
      assert.deepEqual(
        refused({ requests: { cpu: "100m" } }, { maxLimitRequestRatio: { cpu: 2 } }),
        [
          [
            "limitRange.container.maxLimitRequestRatio.cpu",
            "sets no cpu limit",
            "remove",
            undefined,
          ],
        ],
      );
      assert.deepEqual(
        refused(
          { requests: { memory: "100Mi" }, limits: { memory: "250Mi" } },
          { maxLimitRequestRatio: { memory: 2 } },
        ),
        [
          [
            "limitRange.container.maxLimitRequestRatio.memory",
            "limits memory to 250Mi for a request of 100Mi (2.5)",
            "raise",
            2.5,
          ],
        ],
      );
      assert.deepEqual(refused({ requests: { cpu: "500m" } }, { default: { cpu: "200m" } }), [
        [
          "limitRange.container.default.cpu",
          "requests 500m of cpu, above the default limit it gets",
          "raise",
          500,
        ],
      ]);
      assert.deepEqual(refused({ requests: { cpu: "500m" } }, { max: { cpu: "1" } }), []);
    });

    it("charges a pod the sum of its containers, or its largest init container if more", () => {
      const pod = (init: Obj[], main: Obj[]) => [
        ...init.map((c) => admitContainer(c, true, undefined).admitted),
        ...main.map((c) => admitContainer(c, false, undefined).admitted),
      ];
      const a = { name: "a", requests: { cpu: "100m", memory: "64Mi" } };
      const b = { name: "b", requests: { cpu: "50m", memory: "32Mi" } };
      const big = { name: "i", requests: { cpu: "1", memory: "16Mi" } };
      assert.deepEqual(podCharge(pod([big], [a, b]), "requests"), { cpu: 1000, memory: 96 * MI });
      // A sidecar (restartPolicy Always) runs alongside: it adds to the sum and to later inits.
      const sidecar = { ...b, name: "s", restartPolicy: "Always" as const };
      assert.deepEqual(podCharge(pod([sidecar, big], [a]), "requests"), {
        cpu: 1050,
        memory: 96 * MI,
      });
      assert.deepEqual(podCharge(pod([], [a]), "limits"), { cpu: 0, memory: 0 });
    });

    it("adds up what a namespace's workloads use of each quota resource", () => {
      const demand = {
        label: "a (nginx)",
        index: 0,
        replicas: 2,
        pod: {
          initContainers: [{ name: "i", requests: { cpu: "1" } }],
          containers: [
            { name: "c", requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
          ],
        },
        claim: { className: "fast", size: "1Gi" },
      };
      assert.deepEqual(namespaceUsage(undefined, [demand]), {
        "requests.cpu": 2000,
        "requests.memory": 128 * MI,
        "limits.cpu": 0,
        "limits.memory": 256 * MI,
        pods: 2,
        persistentvolumeclaims: 2,
        "requests.storage": 2 * 2 ** 30,
        "fast.storageclass.storage.k8s.io/requests.storage": 2 * 2 ** 30,
        "fast.storageclass.storage.k8s.io/persistentvolumeclaims": 2,
      });
    });

    it("shows quantities as Kubernetes writes them", () => {
      assert.deepEqual(
        [formatBytes(2 ** 30), formatBytes(1536 * MI), formatBytes(1.5 * MI + 1), formatBytes(512)],
        ["1Gi", "1536Mi", "2Mi", "512"],
      );
      assert.deepEqual([formatCpu(2000), formatCpu(2500), formatCpu(0.5)], ["2", "2500m", "1m"]);
    });
  });

  describe("the workloads must fit, or nothing is deployed", () => {
    it("passes a quota the workloads fill exactly, and refuses one a little smaller", () => {
      // Two pods: requests 2 x max(50m + nothing, 10m) = 100m and 2 x 64Mi; limits 2 x 128Mi.
      const exact = {
        requests: { cpu: "100m", memory: "128Mi", storage: "2Gi" },
        limits: { memory: "256Mi" },
        pods: 2,
        persistentVolumeClaims: 2,
        storageClasses: { standard: { storage: "2Gi", persistentVolumeClaims: 2 } },
      };
      assert.deepEqual(problems(config({ quota: exact })), []);
      assert.deepEqual(
        problems(config({ quota: { ...exact, requests: { ...exact.requests, memory: "127Mi" } } })),
        [
          `${NS}.quota.requests.memory: got "127Mi"; namespace "web" needs 128Mi of requests.memory (site (nginx) 2 × 64Mi), more than this quota; raise it to at least 128Mi, or lower the workloads' replicas or resources (${ROLLOUT})`,
        ],
      );
      assert.deepEqual(problems(config({ quota: { ...exact, pods: 1 } })), [
        `${NS}.quota.pods: got 1; namespace "web" needs 2 pods (site (nginx) 2), more than this quota; raise it to at least 2, or lower replicas (${ROLLOUT})`,
      ]);
      assert.deepEqual(
        problems(
          config({ quota: { ...exact, limits: { memory: "255Mi" }, requests: { cpu: "99m" } } }),
        ),
        [
          `${NS}.quota.requests.cpu: got "99m"; namespace "web" needs 100m of requests.cpu (site (nginx) 2 × 50m), more than this quota; raise it to at least 100m, or lower the workloads' replicas or resources (${ROLLOUT})`,
          `${NS}.quota.limits.memory: got "255Mi"; namespace "web" needs 256Mi of limits.memory (site (nginx) 2 × 128Mi), more than this quota; raise it to at least 256Mi, or lower the workloads' replicas or resources (${ROLLOUT})`,
        ],
      );
    });

    it("decides on namespaceUsage, the totals the cluster test compares with the API server's", () => {
      const limitRange = { container: { default: { cpu: "500m" } } };
      const ns = {
        name: "web",
        limitRange,
        workloads: [
          { kind: "nginx", name: "site", replicas: 2 },
          {
            kind: "redis",
            name: "cache",
            metrics: { scrapers: [{ podLabels: { app: "prometheus" } }] },
          },
          {
            kind: "postgres",
            name: "db",
            replicas: 2,
            storage: { className: "fast", size: "5Gi" },
          },
        ],
      };
      const used = namespaceUsage(limitRange, workloadDemands(ns as RawNamespace, "standard"));
      const cls = (c: string, what: string) => `${c}.storageclass.storage.k8s.io/${what}`;
      const quotaOf = (u: Record<string, number>) => ({
        requests: {
          cpu: formatCpu(u["requests.cpu"]),
          memory: formatBytes(u["requests.memory"]),
          storage: formatBytes(u["requests.storage"]),
        },
        limits: { cpu: formatCpu(u["limits.cpu"]), memory: formatBytes(u["limits.memory"]) },
        pods: u.pods,
        persistentVolumeClaims: u.persistentvolumeclaims,
        storageClasses: Object.fromEntries(
          ["standard", "fast"].map((c) => [
            c,
            {
              storage: formatBytes(u[cls(c, "requests.storage")]),
              persistentVolumeClaims: u[cls(c, "persistentvolumeclaims")],
            },
          ]),
        ),
      });
      const withQuota = (u: Record<string, number>) =>
        problems({ ...config(), namespaces: [{ ...ns, quota: quotaOf(u) }] });
      assert.deepEqual(withQuota(used), [], "a quota of exactly the usage fits");
      const less = Object.fromEntries(
        Object.entries(used).map(([k, v]) => [k, v - (/memory|storage$/.test(k) ? MI : 1)]),
      );
      const refused = withQuota(less);
      assert.equal(refused.length, Object.keys(used).length, refused.join("\n"));
      for (const [k, v] of Object.entries(used)) {
        const at = k.endsWith("cpu")
          ? formatCpu(v)
          : /memory|storage$/.test(k)
            ? formatBytes(v)
            : v;
        assert.ok(
          refused.some((m) => m.includes(`; raise it to at least ${at}, or`)),
          `${k}: refused at ${at}`,
        );
      }
    });

    it("counts claims in total and per StorageClass", () => {
      const quota = {
        requests: { storage: "3Gi" },
        persistentVolumeClaims: 1,
        storageClasses: {
          standard: { storage: "1Gi", persistentVolumeClaims: 1 },
          "fast-ssd": { storage: "0", persistentVolumeClaims: 0 },
        },
      };
      assert.deepEqual(problems(config({ quota })), [
        `${NS}.quota.persistentVolumeClaims: got 1; namespace "web" needs 2 claims, one per pod (a scale-down under whenScaled Retain keeps them) (site (nginx) 2), more than this quota; raise it to at least 2, or lower replicas (${ROLLOUT})`,
        `${NS}.quota.storageClasses.standard.storage: got "1Gi"; namespace "web" needs 2Gi of claims of StorageClass standard (site (nginx) 2 × 1Gi), more than this quota; raise it to at least 2Gi, or lower the workloads' replicas or storage.size, or use another class (${ROLLOUT})`,
        `${NS}.quota.storageClasses.standard.persistentVolumeClaims: got 1; namespace "web" needs 2 claims of StorageClass standard (site (nginx) 2), more than this quota; raise it to at least 2, or lower replicas, or use another class (${ROLLOUT})`,
      ]);
      // The class a workload names wins over the stack's.
      const ssd = problems(config({ quota }, { storage: { className: "fast-ssd", size: "1Gi" } }));
      assert.deepEqual(ssd, [
        `${NS}.quota.persistentVolumeClaims: got 1; namespace "web" needs 2 claims, one per pod (a scale-down under whenScaled Retain keeps them) (site (nginx) 2), more than this quota; raise it to at least 2, or lower replicas (${ROLLOUT})`,
        `${NS}.quota.storageClasses.fast-ssd.storage: got "0"; namespace "web" needs 2Gi of claims of StorageClass fast-ssd (site (nginx) 2 × 1Gi), more than this quota; raise it to at least 2Gi, or lower the workloads' replicas or storage.size, or use another class (${ROLLOUT})`,
        `${NS}.quota.storageClasses.fast-ssd.persistentVolumeClaims: got 0; namespace "web" needs 2 claims of StorageClass fast-ssd (site (nginx) 2), more than this quota; raise it to at least 2, or lower replicas, or use another class (${ROLLOUT})`,
      ]);
    });

    it("refuses a CPU limit quota while containers set no CPU limit, until the LimitRange gives one", () => {
      assert.deepEqual(problems(config({ quota: { limits: { cpu: "1" } } })), [
        `${NS}.quota.limits.cpu: got "1"; namespace "web": a quota of limits.cpu makes the API server refuse a pod with a container that sets no cpu limit, and these set none: site (nginx): seed-content, nginx; set limitRange.container.default.cpu, the limit of every container that sets none`,
      ]);
      // With a default limit of 100m, each pod is charged max(100m, 100m): 200m for two.
      const limitRange = { container: { default: { cpu: "100m" } } };
      assert.deepEqual(problems(config({ quota: { limits: { cpu: "200m" } }, limitRange })), []);
      assert.equal(problems(config({ quota: { limits: { cpu: "199m" } }, limitRange })).length, 1);
      // The main container's own limit counts as given.
      assert.deepEqual(
        problems(
          config(
            {
              quota: { limits: { cpu: "1" } },
              limitRange: { container: { default: { cpu: "10m" } } },
            },
            { resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "300m" } } },
          ),
        ),
        [],
      );
    });

    it("refuses a LimitRange that would refuse the kinds' containers, naming the fix", () => {
      assert.deepEqual(
        problems(config({ limitRange: { container: { min: { memory: "32Mi" } } } })),
        [
          `${NS}.limitRange.container.min.memory: got "32Mi"; namespace "web": the API server would refuse the pods where site (nginx) container "seed-content" requests 16Mi of memory; lower it to at most 16Mi (the kinds' own containers have fixed resources)`,
        ],
      );
      assert.deepEqual(
        problems(config({ limitRange: { container: { max: { memory: "64Mi" } } } })),
        [
          `${NS}.limitRange.container.max.memory: got "64Mi"; namespace "web": the API server would refuse the pods where site (nginx) container "nginx" limits memory to 128Mi; raise it to at least 128Mi (or change resources.limits.memory of workloads[0]; the kinds' other containers have fixed resources)`,
        ],
      );
      assert.deepEqual(
        problems(config({ limitRange: { container: { default: { cpu: "20m" } } } })),
        [
          `${NS}.limitRange.container.default.cpu: got "20m"; namespace "web": the API server would refuse the pods where site (nginx) container "nginx" requests 50m of cpu, above the default limit it gets; raise it to at least 50m (or change resources.limits.cpu of workloads[0]; the kinds' other containers have fixed resources)`,
        ],
      );
      assert.deepEqual(
        problems(config({ limitRange: { container: { maxLimitRequestRatio: { memory: 1.5 } } } })),
        [
          `${NS}.limitRange.container.maxLimitRequestRatio.memory: got 1.5; namespace "web": the API server would refuse the pods where site (nginx) container "seed-content" limits memory to 32Mi for a request of 16Mi (2); site (nginx) container "nginx" limits memory to 128Mi for a request of 64Mi (2); raise it to at least 2 (or change resources.limits.memory of workloads[0]; the kinds' other containers have fixed resources)`,
        ],
      );
      assert.deepEqual(
        problems(config({ limitRange: { persistentVolumeClaim: { min: "2Gi", max: "10Gi" } } })),
        [
          `${NS}.limitRange.persistentVolumeClaim.min: got "2Gi"; namespace "web": the API server would refuse the claims of site (nginx) (1Gi); lower it to at most 1Gi, or raise storage.size of workloads[0]`,
        ],
      );
      assert.deepEqual(
        problems(config({ limitRange: { persistentVolumeClaim: { max: "512Mi" } } })),
        [
          `${NS}.limitRange.persistentVolumeClaim.max: got "512Mi"; namespace "web": the API server would refuse the claims of site (nginx) (1Gi); raise it to at least 1Gi, or lower storage.size of workloads[0]`,
        ],
      );
    });

    it("refuses a LimitRange whose bounds cross, as the API server does", () => {
      assert.deepEqual(
        problems(
          config({
            limitRange: { container: { min: { memory: "1Gi" }, max: { memory: "512Mi" } } },
          }),
        ),
        [
          `${NS}.limitRange.container.max.memory: got "512Mi"; must be at least limitRange.container.min.memory (1Gi): the API server refuses a LimitRange whose memory bounds cross`,
        ],
      );
      assert.deepEqual(
        problems(
          config({
            limitRange: {
              container: {
                min: { cpu: "100m" },
                max: { cpu: "1" },
                maxLimitRequestRatio: { cpu: 20 },
              },
            },
          }),
        ),
        [
          `${NS}.limitRange.container.maxLimitRequestRatio.cpu: got 20; must be at most max / min (10) for cpu: the API server refuses a larger ratio`,
        ],
      );
      assert.deepEqual(
        problems(config({ limitRange: { persistentVolumeClaim: { min: "2Gi", max: "1Gi" } } })),
        [
          `${NS}.limitRange.persistentVolumeClaim.max: got "1Gi"; must be at least limitRange.persistentVolumeClaim.min (2Gi)`,
        ],
      );
    });

    it("sets quotas only on namespaces the stack creates", () => {
      assert.deepEqual(
        problems(config({ create: false, quota: { pods: 10 }, limitRange: { container: {} } })),
        [
          `${NS}.quota: needs create: true: the stack sets a quota and a LimitRange only on namespaces it creates (one it does not own may hold other pods and quotas)`,
          `${NS}.limitRange: needs create: true: the stack sets a quota and a LimitRange only on namespaces it creates (one it does not own may hold other pods and quotas)`,
        ],
      );
    });

    it("refuses malformed quota and LimitRange values, naming the key", () => {
      const cases: [Obj, string][] = [
        [{ quota: {} }, `${NS}.quota: got {}; must set at least one bound (or be left out)`],
        [
          { quota: { requests: { memory: "lots" } } },
          `${NS}.quota.requests.memory: got "lots"; must be the pods' total memory request, a quantity such as 100Gi`,
        ],
        [
          { quota: { requests: { cpu: "two" } } },
          `${NS}.quota.requests.cpu: got "two"; must be a CPU quantity such as 250m or 1`,
        ],
        [
          { quota: { pods: -1 } },
          `${NS}.quota.pods: got -1; must be a whole number from 0 to 100000`,
        ],
        [
          { quota: { storageClasses: { Fast_SSD: { storage: "1Gi" } } } },
          `${NS}.quota.storageClasses.Fast_SSD: got "Fast_SSD"; StorageClass names must be DNS subdomains (lower-case letters, digits, '-' and '.') of at most 225 characters`,
        ],
        [
          { quota: { storageClasses: { ["a".repeat(226)]: { storage: "1Gi" } } } },
          `${NS}.quota.storageClasses.${"a".repeat(226)}: got "${"a".repeat(76)}...; StorageClass names must be DNS subdomains (lower-case letters, digits, '-' and '.') of at most 225 characters`,
        ],
        [
          { quota: { storage: "1Gi" } },
          `${NS}.quota: unknown key 'storage'; check the spelling against Pulumi.yaml`,
        ],
        [
          { limitRange: { container: { maxLimitRequestRatio: { cpu: 0.5 } } } },
          `${NS}.limitRange.container.maxLimitRequestRatio.cpu: got 0.5; must be a number of at least 1 (the largest limit / request)`,
        ],
        [
          { limitRange: { container: { min: { memory: "0" } } } },
          `${NS}.limitRange.container.min.memory: got "0"; must be the least memory, more than 0`,
        ],
        [
          { limitRange: { pod: {} } },
          `${NS}.limitRange: unknown key 'pod'; check the spelling against Pulumi.yaml`,
        ],
      ];
      for (const [ns, message] of cases) assert.deepEqual(problems(config(ns)), [message]);
      const longest = "a".repeat(225);
      assert.deepEqual(
        problems(config({ quota: { storageClasses: { [longest]: { pods: 1 } } } })),
        [
          `${NS}.quota.storageClasses.${longest}: unknown key 'pods'; check the spelling against Pulumi.yaml`,
        ],
        "a 225-character name is a StorageClass name",
      );
    });
  });
});
