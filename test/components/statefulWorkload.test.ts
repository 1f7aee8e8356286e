import { strict as assert } from "assert";
import { registered, setupMocks, RecordedResource, isWireSecret } from "../../harness/mocks";
import { validateObject } from "../../harness/schema";
import { only, valueOf } from "../support/assertions";
import {
  StatefulWorkload,
  StatefulWorkloadArgs,
  statefulSetTimeouts,
} from "../../components/statefulWorkload";

const STS = "kubernetes:apps/v1:StatefulSet";
const SVC = "kubernetes:core/v1:Service";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

function args(overrides: Partial<StatefulWorkloadArgs> = {}): StatefulWorkloadArgs {
  return {
    app: "demo",
    component: "database",
    namespace: "data",
    replicas: 3,
    uid: 1000,
    ports: [
      { name: "client", port: 5000 },
      { name: "peer", port: 5001, peerOnly: true },
    ],
    storage: { className: "fast", size: "5Gi", mountPath: "/data" },
    containers: [
      {
        name: "main",
        image: "demo:1.2.3",
        readinessProbe: { tcpSocket: { port: "client" }, periodSeconds: 5, timeoutSeconds: 2 },
      },
    ],
    ...overrides,
  };
}

async function build(
  overrides: Partial<StatefulWorkloadArgs> = {},
  name = "db",
): Promise<{ workload: StatefulWorkload; resources: RecordedResource[] }> {
  await setupMocks();
  const workload = new StatefulWorkload(name, args(overrides));
  return { workload, resources: await registered() };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

describe("StatefulWorkload", () => {
  it("builds a headless Service, StatefulSet, PDB and NetworkPolicy, all named after the workload", async () => {
    const { resources } = await build();
    const kinds = resources.filter((r) => r.custom).map((r) => r.type);
    assert.deepEqual(kinds.sort(), [NETPOL, PDB, SVC, STS].sort());
    for (const r of resources.filter((x) => x.custom)) {
      assert.equal((r.inputs.metadata as Obj).name, "db", `${r.type} name`);
      assert.equal((r.inputs.metadata as Obj).namespace, "data", `${r.type} namespace`);
      assert.equal(r.name, "db", `${r.type} Pulumi name derives from the component's`);
      assert.ok(r.parent.endsWith("stateful:workloads:StatefulWorkload::db"), `${r.type} parent`);
    }
  });

  it("makes the Service headless, with ports named like the container ports", async () => {
    const { resources } = await build({ publishNotReadyAddresses: true });
    const svc = only(resources, SVC).inputs.spec as Obj;
    const sts = only(resources, STS).inputs.spec as Obj;
    assert.equal(svc.clusterIP, "None");
    assert.equal(svc.publishNotReadyAddresses, true);
    assert.deepEqual(
      svc.ports.map((p: Obj) => [p.name, p.port, p.targetPort]),
      [
        ["client", 5000, "client"],
        ["peer", 5001, "peer"],
      ],
    );
    const containerPorts = sts.template.spec.containers[0].ports.map((p: Obj) => p.name);
    assert.deepEqual(containerPorts, ["client", "peer"]);
  });

  it("points serviceName at the Service and selects the pods by labels the template carries", async () => {
    const { resources } = await build();
    const svc = only(resources, SVC).inputs as Obj;
    const sts = only(resources, STS).inputs.spec as Obj;
    assert.equal(sts.serviceName, svc.metadata.name);
    assert.deepEqual(sts.selector.matchLabels, {
      "app.kubernetes.io/name": "demo",
      "app.kubernetes.io/instance": "db",
    });
    assert.deepEqual(svc.spec.selector, sts.selector.matchLabels);
    assert.deepEqual(sts.template.metadata.labels, {
      "app.kubernetes.io/name": "demo",
      "app.kubernetes.io/instance": "db",
      "app.kubernetes.io/component": "database",
      "app.kubernetes.io/managed-by": "pulumi",
    });
  });

  it("declares one claim per pod with an explicit storage class, size and access mode, mounted by the main container", async () => {
    const { resources } = await build();
    const sts = only(resources, STS).inputs.spec as Obj;
    assert.equal(sts.volumeClaimTemplates.length, 1);
    const claim = sts.volumeClaimTemplates[0];
    assert.equal(claim.metadata.name, "data");
    assert.equal(claim.spec.storageClassName, "fast");
    assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
    assert.equal(claim.spec.resources.requests.storage, "5Gi");
    assert.deepEqual(sts.template.spec.containers[0].volumeMounts, [
      { name: "data", mountPath: "/data" },
    ]);
  });

  it("keeps claims by default and passes an explicit retention policy through", async () => {
    let { resources } = await build();
    assert.deepEqual(
      (only(resources, STS).inputs.spec as Obj).persistentVolumeClaimRetentionPolicy,
      {
        whenDeleted: "Retain",
        whenScaled: "Retain",
      },
    );
    ({ resources } = await build({ retention: { whenDeleted: "Delete", whenScaled: "Retain" } }));
    assert.deepEqual(
      (only(resources, STS).inputs.spec as Obj).persistentVolumeClaimRetentionPolicy,
      {
        whenDeleted: "Delete",
        whenScaled: "Retain",
      },
    );
  });

  it("sets pod management, a partitioned rolling update and a fixed revision history", async () => {
    const { resources } = await build({ podManagementPolicy: "Parallel", updatePartition: 2 });
    const sts = only(resources, STS).inputs.spec as Obj;
    assert.equal(sts.podManagementPolicy, "Parallel");
    assert.deepEqual(sts.updateStrategy, {
      type: "RollingUpdate",
      rollingUpdate: { partition: 2 },
    });
    assert.equal(sts.revisionHistoryLimit, 10);
    assert.equal(sts.replicas, 3);
  });

  it("runs every container, init containers too, under the restricted security context", async () => {
    const { resources } = await build({
      initContainers: [{ name: "init", image: "demo:1.2.3", command: ["true"] }],
    });
    const pod = (only(resources, STS).inputs.spec as Obj).template.spec;
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      fsGroupChangePolicy: "OnRootMismatch",
      seccompProfile: { type: "RuntimeDefault" },
    });
    for (const c of [...pod.initContainers, ...pod.containers]) {
      assert.deepEqual(c.securityContext, {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
    }
    assert.equal(pod.automountServiceAccountToken, false);
  });

  it("spreads pods over nodes with soft anti-affinity and a topology spread", async () => {
    const { resources } = await build();
    const pod = (only(resources, STS).inputs.spec as Obj).template.spec;
    const term = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
    assert.equal(term.podAffinityTerm.topologyKey, "kubernetes.io/hostname");
    assert.deepEqual(term.podAffinityTerm.labelSelector.matchLabels, {
      "app.kubernetes.io/name": "demo",
      "app.kubernetes.io/instance": "db",
    });
    assert.deepEqual(pod.topologySpreadConstraints[0], {
      maxSkew: 1,
      topologyKey: "kubernetes.io/hostname",
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels: term.podAffinityTerm.labelSelector.matchLabels },
    });
  });

  it("budgets one voluntary disruption at a time, and none for a single replica", async () => {
    let { resources } = await build();
    assert.deepEqual((only(resources, PDB).inputs.spec as Obj).maxUnavailable, 1);
    ({ resources } = await build({ replicas: 1 }));
    assert.equal(resources.filter((r) => r.type === PDB).length, 0);
    ({ resources } = await build({ replicas: 2, maxUnavailable: 5 }));
    assert.equal(
      (only(resources, PDB).inputs.spec as Obj).maxUnavailable,
      1,
      "capped below replicas",
    );
  });

  it("admits the workload's own pods to every port and named peers to client ports only", async () => {
    const { resources } = await build({
      allowFrom: [{ podLabels: { role: "api" } }, { namespaceLabels: { team: "web" } }],
    });
    const spec = only(resources, NETPOL).inputs.spec as Obj;
    assert.deepEqual(spec.policyTypes, ["Ingress"]);
    assert.deepEqual(spec.ingress, [
      {
        from: [
          {
            podSelector: {
              matchLabels: { "app.kubernetes.io/name": "demo", "app.kubernetes.io/instance": "db" },
            },
          },
        ],
        ports: [
          { port: "client", protocol: "TCP" },
          { port: "peer", protocol: "TCP" },
        ],
      },
      {
        from: [
          { podSelector: { matchLabels: { role: "api" } } },
          { namespaceSelector: { matchLabels: { team: "web" } } },
        ],
        ports: [{ port: "client", protocol: "TCP" }],
      },
    ]);
  });

  it("tells pulumi not to wait for a partitioned rollout, which never completes by design", async () => {
    let { resources } = await build({ updatePartition: 2 });
    assert.deepEqual((only(resources, STS).inputs.metadata as Obj).annotations, {
      "pulumi.com/skipAwait": "true",
    });
    ({ resources } = await build());
    assert.deepEqual((only(resources, STS).inputs.metadata as Obj).annotations, {});
  });

  it("scales pulumi's wait for the StatefulSet with replicas under an ordered start", async () => {
    const { resources } = await build({ replicas: 5, startupSeconds: 300, minReadySeconds: 10 });
    const timeouts = only(resources, STS).options.customTimeouts!;
    // 5 pods x (300 s startup + 10 s min ready) + 120 s margin
    assert.equal(timeouts.create, "1670s");
    assert.equal(
      statefulSetTimeouts({
        replicas: 5,
        startupSeconds: 300,
        minReadySeconds: 10,
        podManagementPolicy: "Parallel",
        terminationGracePeriodSeconds: 30,
      }).create,
      "600s",
      "a parallel start waits for one pod's budget, never under the provider's 10 minutes",
    );
  });

  it("orders the StatefulSet after its Service, ConfigMap and Secret", async () => {
    const { resources } = await build({
      configData: { "a.conf": "x" },
      secretData: { password: "p" },
    });
    const sts = only(resources, STS);
    const deps = new Set(sts.options.dependsOn);
    for (const type of [SVC, "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret"]) {
      assert.ok(deps.has(only(resources, type).urn), `StatefulSet depends on ${type}`);
    }
  });

  it("keeps Secret values as Pulumi secrets and rolls pods when the config changes", async () => {
    const { resources } = await build({
      configData: { "a.conf": "x" },
      secretData: { password: "p" },
    });
    const secret = only(resources, "kubernetes:core/v1:Secret");
    const stringData = (secret.wire as Obj).stringData;
    assert.ok(
      isWireSecret(stringData) || isWireSecret(stringData.password),
      "the password is sent as a secret",
    );
    const first = (only(resources, STS).inputs.spec as Obj).template.metadata.annotations[
      "checksum/config"
    ];
    const { resources: again } = await build({ configData: { "a.conf": "y" } });
    const second = (only(again, STS).inputs.spec as Obj).template.metadata.annotations[
      "checksum/config"
    ];
    assert.match(first, /^[0-9a-f]{64}$/);
    assert.notEqual(first, second);
  });

  it("reports the Service and every pod's stable DNS name", async () => {
    const { workload } = await build({ clusterDomain: "corp.internal" });
    assert.equal(await valueOf(workload.serviceDnsName), "db.data.svc.corp.internal");
    assert.deepEqual(await valueOf(workload.podDnsNames), [
      "db-0.db.data.svc.corp.internal",
      "db-1.db.data.svc.corp.internal",
      "db-2.db.data.svc.corp.internal",
    ]);
  });

  it("uses args.name for Kubernetes names and the component name for Pulumi names", async () => {
    const { resources, workload } = await build({ name: "cache" }, "ns/cache");
    const sts = only(resources, STS);
    assert.equal(sts.name, "ns/cache");
    assert.equal((sts.inputs.metadata as Obj).name, "cache");
    assert.equal(await valueOf(workload.serviceDnsName), "cache.data.svc.cluster.local");
  });

  it("renders only objects that are valid against the Kubernetes schema", async () => {
    const { resources } = await build({
      configData: { "a.conf": "x" },
      secretData: { password: "p" },
      allowFrom: [{ podLabels: { role: "api" } }],
    });
    const objects = resources.filter((r) => r.custom);
    assert.equal(objects.length, 6);
    for (const r of objects) validateObject(r.inputs);
  });

  describe("refuses args that cannot make a working workload", () => {
    const cases: [string, Partial<StatefulWorkloadArgs>, string, string?][] = [
      ["zero replicas", { replicas: 0 }, "replicas must be a whole number of at least 1, got 0"],
      [
        "a container without a readiness probe",
        {
          containers: [{ name: "main", image: "demo:1", readinessProbe: undefined as never }],
        },
        "container 'main' has no readinessProbe",
      ],
      [
        "no storage class",
        { storage: { className: "", size: "1Gi", mountPath: "/d" } },
        "storage.className must name a StorageClass",
      ],
      ["root", { uid: 0 }, "uid must not be 0: pods run as non-root"],
      [
        "a partition above replicas",
        { updatePartition: 4 },
        "updatePartition must be between 0 and replicas (3), got 4",
      ],
      [
        "an empty peer",
        { allowFrom: [{}] },
        "allowFrom[0] must set podLabels, namespaceLabels or both",
      ],
      [
        "a name too long for the controller-revision-hash label",
        {},
        "name 'a23456789012345678901234567890123456789012345678901234' must be an RFC 1035 label",
        "a23456789012345678901234567890123456789012345678901234",
      ],
    ];
    for (const [what, overrides, message, name] of cases) {
      it(what, async () => {
        await setupMocks();
        assert.throws(
          () => new StatefulWorkload(name ?? "db", args(overrides)),
          (err: Error) => err.message.includes(message),
        );
        assert.deepEqual(await registered(), [], "nothing was registered");
      });
    }
  });
});
