// The CLI keeps of each object only what the stack rules read (`kept`): over the objects of the
// rules' own tests (metrics, snapshots, restores, zones, certificates), the findings are the same with and
// without that projection.
import * as assert from "assert";
import { kept } from "../../policies/cli";
import type { KubeObject } from "../../policies/kube/objects";
import { RULES } from "../../policies/rules";
import { analyzeObjects } from "../../policies/runner";
import {
  defaultConfig,
  networkPolicy,
  stackObjects,
  statefulSet,
  stsWith,
  withField,
} from "./fixtures";
import { monitor, scrapedService, scrapedStack } from "./metricsFixtures";
import { restoredClaim, volumeSnapshot } from "./restoreFixtures";
import { certificateFor, tlsStack, tlsStatefulSet } from "./tlsFixtures";
import { POD, ZONE, zoned } from "./zoneFixtures";

const BETA = "volume.beta.kubernetes.io/storage-class";
const ENDPOINT = ["spec", "endpoints", 0];

function metricsStacks(): Record<string, KubeObject[]> {
  const withMonitor = (path: (string | number)[], value: unknown) =>
    scrapedStack({ monitor: withField(monitor(), path, value) }).objects;
  const withService = (path: (string | number)[], value: unknown) =>
    scrapedStack({ service: withField(scrapedService(), path, value) }).objects;
  const base = scrapedStack().objects;
  return {
    scraped: base,
    "monitor port the Service lacks": withMonitor([...ENDPOINT, "port"], "http-metrics"),
    "monitor targetPort by number": withMonitor(ENDPOINT, { targetPort: 9121 }),
    "monitor targetPort undeclared": withMonitor(ENDPOINT, { targetPort: "exporter" }),
    "scrapeTimeout over interval": withMonitor([...ENDPOINT, "scrapeTimeout"], "1m"),
    "Service targetPort undeclared": withService(["spec", "ports", 1, "targetPort"], "exporter"),
    "policy admitting only own pods": [
      ...base.filter((o) => o.kind !== "NetworkPolicy"),
      networkPolicy(),
    ],
    "policy for Egress only": [
      ...base.filter((o) => o.kind !== "NetworkPolicy"),
      withField(networkPolicy(), ["spec", "policyTypes"], ["Egress"]),
    ],
  };
}

function storageStacks(): Record<string, KubeObject[]> {
  const sts = statefulSet();
  const claims = [0, 1, 2].map((i) => restoredClaim(i));
  const noClass = withField(volumeSnapshot(), ["spec", "volumeSnapshotClassName"], undefined);
  return {
    "every claim restored": [...stackObjects(sts), ...claims],
    "partial restore": [...stackObjects(sts), ...claims.slice(0, 2)],
    "restore beyond the replicas": [...stackObjects(stsWith(["spec", "replicas"], 2)), ...claims],
    "claim of another class": [
      ...stackObjects(sts),
      withField(claims[0], ["spec", "storageClassName"], "slow"),
    ],
    "claim annotated with another class": [
      ...stackObjects(sts),
      withField(claims[0], ["metadata", "annotations"], { [BETA]: "slow" }),
    ],
    "template annotated with another class": [
      ...stackObjects(
        stsWith(["spec", "volumeClaimTemplates", 0, "metadata", "annotations"], { [BETA]: "x" }),
      ),
      claims[0],
    ],
    "smaller claim, other modes": [
      ...stackObjects(sts),
      withField(
        withField(claims[0], ["spec", "resources", "requests", "storage"], "512Mi"),
        ["spec", "accessModes"],
        ["ReadWriteOncePod"],
      ),
    ],
    "restored through dataSourceRef": [
      ...stackObjects(sts),
      ...claims.slice(0, 2),
      withField(
        withField(claims[2], ["spec", "dataSourceRef"], claims[2].spec),
        ["spec", "dataSource"],
        undefined,
      ),
    ],
    "snapshot with a class": [...stackObjects(sts), volumeSnapshot()],
    "snapshot without a class": [...stackObjects(sts), noClass],
  };
}

function zoneStacks(): Record<string, KubeObject[]> {
  const minDomains = (sts: KubeObject) =>
    withField(sts, [...POD, "topologySpreadConstraints", 0, "minDomains"], 4);
  return {
    "three zones": stackObjects(zoned(3, ["a", "b", "c"])),
    "two zones for a quorum of three": stackObjects(zoned(3, ["a", "b"])),
    "minDomains above the zones": stackObjects(minDomains(zoned(5, ["a", "b", "c"]))),
    "zone label ruled out": stackObjects(
      withField(
        zoned(3, ["a"]),
        [
          ...POD,
          "affinity",
          "nodeAffinity",
          "requiredDuringSchedulingIgnoredDuringExecution",
          "nodeSelectorTerms",
          0,
          "matchExpressions",
        ],
        [{ key: ZONE, operator: "DoesNotExist" }],
      ),
    ),
  };
}

function certificateStacks(): Record<string, KubeObject[]> {
  const svc = "redis.cache.svc.cluster.local";
  return {
    "certificate for every pod": tlsStack(),
    "certificate without the pods": tlsStack(tlsStatefulSet(), certificateFor([svc])),
    "certificate of another namespace": tlsStack(
      tlsStatefulSet(),
      withField(certificateFor([svc]), ["metadata", "namespace"], "web"),
    ),
  };
}

const analyze = (objects: KubeObject[]) =>
  analyzeObjects(objects, RULES, defaultConfig(), { source: "manifests" });

describe("stateful-policy check keeps what the stack rules read", () => {
  const stacks = {
    ...metricsStacks(),
    ...storageStacks(),
    ...zoneStacks(),
    ...certificateStacks(),
  };

  for (const [name, objects] of Object.entries(stacks)) {
    it(`finds the same with and without the projection: ${name}`, () => {
      const projected = objects
        .map((o) => kept(structuredClone(o)))
        .filter((o): o is KubeObject => o !== undefined);
      assert.deepStrictEqual(analyze(projected), analyze(objects));
    });
  }

  it("covers a finding of every rule these objects are for", () => {
    const found = new Set(Object.values(stacks).flatMap((o) => analyze(o).map((r) => r.rule)));
    const expected = [
      "statefulset-service-monitor",
      "statefulset-metrics-ingress",
      "statefulset-network-policy",
      "statefulset-restore-covers-replicas",
      "statefulset-adopted-claims-match",
      "statefulset-snapshot-class",
      "statefulset-zone-quorum",
      "statefulset-spread-satisfiable",
      "statefulset-certificate-covers-pods",
    ];
    assert.deepStrictEqual(
      expected.filter((r) => !found.has(r)),
      [],
    );
  });
});
