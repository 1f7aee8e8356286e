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
const CLAIM_PATCH = "kubernetes:core/v1:PersistentVolumeClaimPatch";
const CM = "kubernetes:core/v1:ConfigMap";
const GUARD = "pulumi-nodejs:dynamic/stateful:WorkloadGuard";
/** The workload's own objects: every Kubernetes object but the claim patches. */
const ownObjects = (resources: RecordedResource[]) =>
  resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== CLAIM_PATCH);

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
    const kinds = ownObjects(resources).map((r) => r.type);
    assert.deepEqual(kinds.sort(), [NETPOL, PDB, SVC, STS].sort());
    for (const r of ownObjects(resources)) {
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
    assert.equal(
      (only(resources, STS).inputs.metadata as Obj).annotations["pulumi.com/skipAwait"],
      "true",
    );
    ({ resources } = await build());
    assert.equal(
      (only(resources, STS).inputs.metadata as Obj).annotations["pulumi.com/skipAwait"],
      undefined,
    );
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

  it("keeps Secret values as Pulumi secrets", async () => {
    const { resources } = await build({ secretData: { password: "p" } });
    const secret = only(resources, "kubernetes:core/v1:Secret");
    assert.equal((secret.inputs.metadata as Obj).name, "db-auth");
    const stringData = (secret.wire as Obj).stringData;
    assert.ok(
      isWireSecret(stringData) || isWireSecret(stringData.password),
      "the password is sent as a secret",
    );
  });

  describe("day two: what a later `pulumi up` changes", () => {
    const configVolume = { name: "conf", configMap: { name: "db-config" } };
    const mountedConfigMap = (resources: RecordedResource[]) =>
      (only(resources, STS).inputs.spec as Obj).template.spec.volumes.find(
        (v: Obj) => v.name === "conf",
      ).configMap.name;

    it("names the ConfigMap after its files, so new files roll the pods onto a new, immutable ConfigMap", async () => {
      const { resources } = await build({ configData: { "a.conf": "x" }, volumes: [configVolume] });
      const cm = only(resources, CM);
      const name = (cm.inputs.metadata as Obj).name;
      assert.match(name, /^db-config-[0-9a-f]{10}$/);
      assert.equal(cm.inputs.immutable, true);
      assert.equal(mountedConfigMap(resources), name, "the pods mount the current ConfigMap");
      assert.equal(cm.options.retainOnDelete, false, "the old one goes after the rollout");

      const { resources: same } = await build({
        configData: { "a.conf": "x" },
        volumes: [configVolume],
      });
      assert.equal(mountedConfigMap(same), name, "the same files keep the same name");
      const { resources: changed } = await build({
        configData: { "a.conf": "y" },
        volumes: [configVolume],
      });
      assert.notEqual(mountedConfigMap(changed), name);
      assert.match(mountedConfigMap(changed), /^db-config-[0-9a-f]{10}$/);
    });

    it("keeps the old ConfigMap of a partitioned rollout, whose old pods still mount it", async () => {
      const { resources } = await build({
        configData: { "a.conf": "x" },
        volumes: [configVolume],
        updatePartition: 2,
      });
      assert.equal(only(resources, CM).options.retainOnDelete, true);
    });

    it("makes a replacement of the StatefulSet orphan its pods and claims, for the new one to adopt", async () => {
      for (const overrides of [
        {},
        { updatePartition: 1 },
        { podManagementPolicy: "Parallel" as const },
      ]) {
        const { resources } = await build(overrides);
        const annotations = (only(resources, STS).inputs.metadata as Obj).annotations;
        assert.equal(annotations["pulumi.com/deletionPropagationPolicy"], "orphan");
      }
    });

    it("patches each pod's claim to the template's size, after the StatefulSet, and leaves it on delete", async () => {
      const { resources } = await build({ replicas: 3 });
      const sts = only(resources, STS);
      const patches = resources.filter((r) => r.type === CLAIM_PATCH);
      assert.deepEqual(
        patches.map((p) => [p.name, (p.inputs.metadata as Obj).name]),
        [
          ["db-claim-0", "data-db-0"],
          ["db-claim-1", "data-db-1"],
          ["db-claim-2", "data-db-2"],
        ],
      );
      for (const p of patches) {
        assert.deepEqual(p.inputs.spec, { resources: { requests: { storage: "5Gi" } } });
        assert.equal((p.inputs.metadata as Obj).namespace, "data");
        assert.equal((p.inputs.metadata as Obj).annotations["pulumi.com/patchForce"], "true");
        assert.ok(p.options.dependsOn.includes(sts.urn), `${p.name} waits for the StatefulSet`);
        assert.equal(p.options.retainOnDelete, true, `${p.name} never touches its claim on delete`);
      }
    });

    it("patches no claim during a staged rollout, which pulumi up does not wait for", async () => {
      const { resources } = await build({ updatePartition: 1 });
      assert.deepEqual(
        resources.filter((r) => r.type === CLAIM_PATCH),
        [],
      );
      const guard = only(resources, GUARD).inputs as Obj;
      assert.equal(guard.partitioned, true, "the guard refuses a resize until the rollout ends");
    });

    it("hands the guard the named zones, which it refuses to drop", async () => {
      const { resources } = await build({ zones: ["eu-1a", "eu-1b", "eu-1c"] });
      assert.deepEqual((only(resources, GUARD).inputs as Obj).zones, ["eu-1a", "eu-1b", "eu-1c"]);
      const { resources: anyZone } = await build();
      assert.equal((only(anyZone, GUARD).inputs as Obj).zones, undefined);
    });

    it("patches no claim when told the objects are only rendered", async () => {
      const { resources } = await build({ expandClaims: false });
      assert.deepEqual(
        resources.filter((r) => r.type === CLAIM_PATCH),
        [],
      );
    });

    it("registers the guard first, with what it compares, and makes every object wait for it", async () => {
      const { resources } = await build({
        configData: { "a.conf": "x" },
        secretData: { password: "p" },
        fixedAfterStart: { "major version": { value: "17", instead: "upgrade by hand" } },
        scaleDownRefusal: "decommission first",
      });
      const guard = only(resources, GUARD);
      assert.deepEqual(
        Object.fromEntries(Object.entries(guard.inputs).filter(([k]) => k !== "__provider")),
        {
          workload: "data/db",
          storage: { className: "fast", size: "5Gi", accessModes: ["ReadWriteOnce"] },
          replicas: 3,
          fixed: { "major version": { value: "17", instead: "upgrade by hand" } },
          scaleDown: "decommission first",
        },
      );
      const kubernetes = resources.filter((r) => r.type.startsWith("kubernetes:"));
      assert.equal(
        kubernetes.length,
        9,
        "Service, StatefulSet, PDB, NetworkPolicy, ConfigMap, Secret, 3 claims",
      );
      for (const r of kubernetes) {
        const waits = r.options.dependsOn.includes(guard.urn) || r.type === CLAIM_PATCH;
        assert.ok(waits, `${r.type} ${r.name} depends on the guard`);
        assert.ok(
          r.registeredAt > guard.registeredAt || r.type === CLAIM_PATCH,
          `${r.type} after the guard`,
        );
      }
    });
  });

  describe("a workload with a primary and replicas (primaryAndReplicas)", () => {
    const ROLE = "stateful-workloads/role";
    const selector = { "app.kubernetes.io/name": "demo", "app.kubernetes.io/instance": "db" };
    const services = (resources: RecordedResource[]) =>
      Object.fromEntries(
        resources
          .filter((r) => r.type === SVC)
          .map((r) => [(r.inputs.metadata as Obj).name, r.inputs.spec as Obj]),
      );
    const pod = (resources: RecordedResource[]) =>
      (only(resources, STS).inputs.spec as Obj).template.spec;

    it("adds a write Service on the primary and a read Service on the replicas, client ports only", async () => {
      const { resources, workload } = await build({ primaryAndReplicas: true });
      const svc = services(resources);
      assert.deepEqual(Object.keys(svc).sort(), ["db", "db-ro", "db-rw"]);
      assert.deepEqual(svc["db-rw"].selector, { ...selector, [ROLE]: "primary" });
      assert.deepEqual(svc["db-ro"].selector, { ...selector, [ROLE]: "replica" });
      for (const name of ["db-rw", "db-ro"]) {
        assert.equal(svc[name].type, "ClusterIP");
        assert.equal(svc[name].clusterIP, undefined, `${name} has a virtual IP`);
        assert.equal(svc[name].publishNotReadyAddresses, undefined, `${name} follows readiness`);
        assert.deepEqual(
          svc[name].ports.map((p: Obj) => [p.name, p.port, p.targetPort]),
          [["client", 5000, "client"]],
          `${name} exposes no peer-only port`,
        );
      }
      assert.equal(await valueOf(workload.writeDnsName!), "db-rw.data.svc.cluster.local");
      assert.equal(await valueOf(workload.readDnsName!), "db-ro.data.svc.cluster.local");
    });

    it("moves the read Service onto the replicas only once pulumi up saw them ready", async () => {
      // 1 -> 3 replicas switches the read selector from every pod to role=replica: applied before
      // the new replicas are ready (a whole clone), it would leave reads with no endpoint.
      const { resources } = await build({ primaryAndReplicas: true });
      const sts = only(resources, STS);
      const byName = (name: string) =>
        resources.find((r) => r.type === SVC && (r.inputs.metadata as Obj).name === name)!;
      const read = byName("db-ro");
      assert.ok(read.options.dependsOn.includes(sts.urn), "db-ro waits for the StatefulSet");
      assert.ok(read.registeredAt > sts.registeredAt);
      assert.ok(
        !only(resources, STS).options.dependsOn.includes(read.urn),
        "and the StatefulSet does not wait for it",
      );
      const guard = only(resources, GUARD);
      assert.ok(read.options.dependsOn.includes(guard.urn), "db-ro still waits for the guard");
    });

    it("reads from the only pod when there is one", async () => {
      const { resources } = await build({ primaryAndReplicas: true, replicas: 1 });
      assert.deepEqual(services(resources)["db-ro"].selector, selector);
    });

    it("runs the agent with its own token, which no other container sees, and restricted", async () => {
      const { resources } = await build({ primaryAndReplicas: true });
      const spec = pod(resources);
      assert.equal(spec.serviceAccountName, "db");
      assert.equal(spec.automountServiceAccountToken, false);
      const agent = spec.initContainers?.[0];
      assert.equal(agent?.name, "agent", "the agent is the first init container");
      assert.match(agent.image, /^curlimages\/curl:\d+\.\d+\.\d+$/, "a pinned image");
      assert.equal(agent.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(agent.securityContext.capabilities, { drop: ["ALL"] });
      assert.ok(agent.readinessProbe, "a readiness probe");
      assert.deepEqual(
        agent.env.find((e: Obj) => e.name === "PEER_CLAIM"),
        { name: "PEER_CLAIM", value: "data-db-1" },
        "pod 1's claim, whose existence it reports",
      );
      assert.ok(!spec.containers.some((c: Obj) => c.name === "agent"), "and only there");
      assert.equal(agent.restartPolicy, "Always", "a sidecar: it runs for the pod's whole life");
      assert.ok(agent.startupProbe, "the next init container waits for its first pass");
      const credentials = spec.volumes.find((v: Obj) => v.projected);
      assert.deepEqual(
        credentials.projected.sources.map((s: Obj) => Object.keys(s)[0]),
        ["serviceAccountToken", "configMap", "downwardAPI"],
      );
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        const mounts = (c.volumeMounts ?? []).map((m: Obj) => m.name);
        assert.equal(
          mounts.includes(credentials.name),
          c === agent,
          `${c.name} ${c === agent ? "mounts" : "does not mount"} the API credentials`,
        );
      }
      assert.deepEqual(spec.volumes.find((v: Obj) => v.name === "agent").emptyDir, {
        medium: "Memory",
        sizeLimit: "1Mi",
      });
    });

    it("lets the agent label, delete and read only its own pods, read its StatefulSet's scale and pod 1's claim", async () => {
      const { resources } = await build({ primaryAndReplicas: true, replicas: 2 });
      const role = only(resources, "kubernetes:rbac.authorization.k8s.io/v1:Role").inputs as Obj;
      assert.deepEqual(role.rules, [
        {
          apiGroups: [""],
          resources: ["pods"],
          resourceNames: ["db-0", "db-1"],
          verbs: ["get", "patch", "delete"],
        },
        {
          apiGroups: ["apps"],
          resources: ["statefulsets/scale"],
          resourceNames: ["db"],
          verbs: ["get"],
        },
        {
          apiGroups: [""],
          resources: ["persistentvolumeclaims"],
          resourceNames: ["data-db-1"],
          verbs: ["get"],
        },
      ]);
      const binding = only(resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
        .inputs as Obj;
      assert.deepEqual(binding.roleRef, {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: role.metadata.name,
      });
      assert.deepEqual(binding.subjects, [
        { kind: "ServiceAccount", name: "db", namespace: "data" },
      ]);
      const sa = only(resources, "kubernetes:core/v1:ServiceAccount");
      assert.equal((sa.inputs as Obj).automountServiceAccountToken, false);
      const deps = new Set(only(resources, STS).options.dependsOn);
      for (const r of [sa, ...resources.filter((x) => x.type.includes("rbac"))]) {
        assert.ok(deps.has(r.urn), `the StatefulSet waits for the ${r.type}`);
      }
    });

    it("adds none of it to a workload without a primary", async () => {
      const { resources } = await build();
      assert.deepEqual(Object.keys(services(resources)), ["db"]);
      const spec = pod(resources);
      assert.equal(spec.serviceAccountName, undefined);
      assert.deepEqual(
        spec.containers.map((c: Obj) => c.name),
        ["main"],
      );
      assert.equal(resources.filter((r) => /ServiceAccount|rbac/.test(r.type)).length, 0);
    });
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
    const objects = resources.filter((r) => r.type.startsWith("kubernetes:"));
    assert.equal(objects.length, 9, "6 objects and 3 claim patches");
    for (const r of objects) validateObject(r.inputs);
  });

  describe("refuses args that cannot make a working workload", () => {
    const cases: [string, Partial<StatefulWorkloadArgs>, string, string?][] = [
      ["zero replicas", { replicas: 0 }, "replicas must be a whole number from 1 to 1000, got 0"],
      [
        "a replica count no StatefulSet is built for",
        { replicas: 100000000 },
        "replicas must be a whole number from 1 to 1000, got 100000000",
      ],
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
