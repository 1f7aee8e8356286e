import { strict as assert } from "assert";
import { parseStackConfig, loadStackConfig } from "../../components/config";
import { deployStack, RESTRICTED_NAMESPACE_LABELS } from "../../components/stack";
import { registered, setupMocks, GENERATED } from "../../harness/mocks";
import { kubernetesObjects, runProgram } from "../../harness/program";
import { validateObject } from "../../harness/schema";
import { configOfStackFile, stackFile } from "../../harness/stacks";
import { isSecret, valueOf, plainLeaks } from "../support/assertions";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

function config() {
  return parseStackConfig({
    target: { renderYamlToDirectory: "out" },
    storageClass: "standard",
    namespaces: [
      {
        name: "front",
        labels: { team: "web" },
        workloads: [{ kind: "nginx", name: "web" }],
      },
      {
        name: "data",
        workloads: [
          { kind: "redis", name: "cache", replicas: 3 },
          { kind: "postgres", name: "db", replicas: 2, database: "orders", user: "shop" },
          { kind: "cassandra", name: "ring", replicas: 3, seeds: 2, datacenter: "eu" },
        ],
      },
    ],
  });
}

describe("deployStack", () => {
  describe("day two: a cluster stack survives destroy and up, password changes and resizes", () => {
    const onCluster = () => ({ ...config(), target: { context: "prod" } });

    it("adopts a namespace an earlier stack left behind: a server-side apply patch, kept on destroy", async () => {
      await setupMocks();
      deployStack(onCluster());
      const resources = await registered();
      assert.deepEqual(
        resources.filter((r) => r.type === "kubernetes:core/v1:Namespace"),
        [],
        "a plain Namespace would fail with AlreadyExists after `pulumi destroy`",
      );
      const patches = resources.filter((r) => r.type === "kubernetes:core/v1:NamespacePatch");
      assert.deepEqual(patches.map((p) => (p.inputs.metadata as Obj).name).sort(), [
        "data",
        "front",
      ]);
      for (const ns of patches) {
        const metadata = ns.inputs.metadata as Obj;
        for (const [k, v] of Object.entries(RESTRICTED_NAMESPACE_LABELS)) {
          assert.equal(metadata.labels[k], v);
        }
        assert.equal(metadata.annotations["pulumi.com/patchForce"], "true");
        assert.equal(ns.options.retainOnDelete, true, "destroy leaves the namespace and claims");
      }
    });

    it("keeps rendered namespaces plain Namespaces, also kept on destroy", async () => {
      await setupMocks();
      deployStack(config());
      const namespaces = (await registered()).filter(
        (r) => r.type === "kubernetes:core/v1:Namespace",
      );
      assert.equal(namespaces.length, 2);
      for (const ns of namespaces) assert.equal(ns.options.retainOnDelete, true);
    });

    it("updates Secrets in place, so that no pod starts while a Secret is deleted", async () => {
      await setupMocks();
      deployStack(onCluster());
      const provider = (await registered()).find((r) => r.type === "pulumi:providers:kubernetes")!;
      assert.equal(String(provider.inputs.enableSecretMutable), "true");
    });

    it("expands claims on a cluster and not when it only renders YAML", async () => {
      const claims = async (c: ReturnType<typeof config>) => {
        await setupMocks();
        deployStack(c);
        return (await registered())
          .filter((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaimPatch")
          .map((r) => `${(r.inputs.metadata as Obj).namespace}/${(r.inputs.metadata as Obj).name}`);
      };
      assert.deepEqual(await claims(config()), []);
      const onClusterClaims = await claims(onCluster());
      // nginx 2 (its default), Redis 3, PostgreSQL 2, Cassandra 3
      assert.equal(onClusterClaims.length, 10);
      assert.ok(onClusterClaims.includes("data/data-ring-2"));
      assert.ok(onClusterClaims.includes("front/data-web-1"));
    });

    it("grows storage.size without touching a probe: only pulumi's wait grows with the copy time", async () => {
      const render = async (size: string) => {
        const c = config();
        for (const w of c.workloads) w.storage = { ...w.storage, size };
        await setupMocks();
        deployStack(c);
        const statefulSets = (await registered()).filter(
          (r) => r.type === "kubernetes:apps/v1:StatefulSet",
        );
        return Object.fromEntries(
          statefulSets.map((r) => [
            (r.inputs.metadata as Obj).name,
            {
              probes: (r.inputs.spec as Obj).template.spec.containers.map((c: Obj) => [
                c.name,
                c.startupProbe,
                c.readinessProbe,
                c.livenessProbe,
              ]),
              timeouts: r.options.customTimeouts!,
            },
          ]),
        );
      };
      const [small, large] = [await render("10Gi"), await render("20Gi")];
      for (const name of ["cache", "db", "ring", "web"]) {
        assert.deepEqual(large[name].probes, small[name].probes, `${name}: the same probes`);
      }
      const seconds = (t: string) => Number(t.replace(/s$/, ""));
      for (const name of ["db", "ring"]) {
        // Each pod may copy 10Gi more at 50 MiB/s: 205 s more per pod started one at a time.
        assert.ok(
          seconds(large[name].timeouts.create) > seconds(small[name].timeouts.create),
          `${name}: pulumi waits longer for a new pod's copy`,
        );
        assert.ok(
          seconds(large[name].timeouts.update) > seconds(small[name].timeouts.update),
          `${name}: and for a rollout`,
        );
      }
    });
  });

  it("creates each namespace under the restricted Pod Security Standard", async () => {
    await setupMocks();
    deployStack(config());
    const namespaces = (await registered()).filter(
      (r) => r.type === "kubernetes:core/v1:Namespace",
    );
    assert.deepEqual(namespaces.map((n) => (n.inputs.metadata as Obj).name).sort(), [
      "data",
      "front",
    ]);
    for (const ns of namespaces) {
      const labels = (ns.inputs.metadata as Obj).labels;
      for (const [k, v] of Object.entries(RESTRICTED_NAMESPACE_LABELS)) assert.equal(labels[k], v);
    }
    const front = namespaces.find((n) => n.name === "front")!;
    assert.equal((front.inputs.metadata as Obj).labels.team, "web");
  });

  it("registers one component per workload, of its kind, in its namespace, after it", async () => {
    await setupMocks();
    deployStack(config());
    const resources = await registered();
    const components = resources
      .filter(
        (r) =>
          r.type.startsWith("stateful:workloads:") &&
          r.type !== "stateful:workloads:StatefulWorkload",
      )
      .map((r) => [r.type, r.name])
      .sort((a, b) => a[1].localeCompare(b[1]));
    assert.deepEqual(components, [
      ["stateful:workloads:Redis", "data/cache"],
      ["stateful:workloads:Postgres", "data/db"],
      ["stateful:workloads:Cassandra", "data/ring"],
      ["stateful:workloads:Nginx", "front/web"],
    ]);
    const namespaceUrn = resources.find(
      (r) => r.type === "kubernetes:core/v1:Namespace" && r.name === "data",
    )!.urn;
    const ring = resources.find((r) => r.type === "stateful:workloads:Cassandra")!;
    assert.ok(ring.options.dependsOn.includes(namespaceUrn), "the ring waits for its namespace");
    const statefulSets = resources
      .filter((r) => r.type === "kubernetes:apps/v1:StatefulSet")
      .map((r) => `${(r.inputs.metadata as Obj).namespace}/${(r.inputs.metadata as Obj).name}`);
    assert.deepEqual(statefulSets.sort(), ["data/cache", "data/db", "data/ring", "front/web"]);
  });

  it("exports per-workload outputs, secrets kept secret", async () => {
    await setupMocks();
    const stack = deployStack(config());
    assert.deepEqual(stack.namespaces, ["front", "data"]);
    assert.deepEqual(Object.keys(stack.workloads), [
      "front/web",
      "data/cache",
      "data/db",
      "data/ring",
    ]);
    const w = stack.workloads;
    assert.equal(w["front/web"].kind, "nginx");
    assert.equal(await valueOf(w["front/web"].serviceDnsName), "web.front.svc.cluster.local");
    assert.equal(
      await valueOf(w["data/cache"].primaryDnsName!),
      "cache-0.cache.data.svc.cluster.local",
    );
    assert.deepEqual(w["data/cache"].passwordSecret, { name: "cache-auth", key: "redis-password" });
    assert.equal(await valueOf(w["data/db"].primaryDnsName!), "db-0.db.data.svc.cluster.local");
    assert.deepEqual(w["data/db"].passwordSecret, { name: "db-auth", key: "password" });
    assert.equal(await isSecret(w["data/db"].connectionString!), true);
    assert.match(await valueOf(w["data/db"].connectionString!), /^postgresql:\/\/shop:.+\/orders$/);
    assert.deepEqual(await valueOf(w["data/ring"].seeds!), [
      "ring-0.ring.data.svc.cluster.local",
      "ring-1.ring.data.svc.cluster.local",
    ]);
    assert.equal(w["data/ring"].connectionString, undefined);
  });
});

describe("the project's stacks", () => {
  it("dev deploys all four kinds, every object schema-valid, no password in plain text", async () => {
    const resources = await runProgram(configOfStackFile(stackFile("dev")), { stack: "dev" });
    const kinds = resources
      .filter((r) => /^stateful:workloads:(Nginx|Redis|Postgres|Cassandra)$/.test(r.type))
      .map((r) => r.type.split(":")[2]);
    assert.deepEqual(kinds.sort(), ["Cassandra", "Nginx", "Postgres", "Redis"]);
    for (const r of kubernetesObjects(resources)) validateObject(r.inputs);
    assert.deepEqual(plainLeaks(resources, GENERATED), []);
    const secrets = resources.filter((r) => r.type === "kubernetes:core/v1:Secret");
    assert.equal(secrets.length, 3, "Redis, PostgreSQL and Cassandra (its superuser)");
    assert.match(JSON.stringify(secrets.map((s) => s.inputs)), /generated-/, "the scan saw them");
  });

  it("prod is a valid config with replicated databases that keep their claims", () => {
    const prod = loadStackConfig(configOfStackFile(stackFile("prod")));
    const byName = Object.fromEntries(prod.workloads.map((w) => [w.name, w]));
    assert.equal(byName.db.kind, "postgres");
    assert.equal(byName.db.replicas, 2);
    assert.equal(byName.cache.replicas, 3);
    assert.equal(byName.ring.replicas, 3);
    assert.equal(byName.ring.kind === "cassandra" && byName.ring.seeds, 2);
    for (const w of prod.workloads) {
      assert.deepEqual(w.retention, { whenDeleted: "Retain", whenScaled: "Retain" }, w.name);
    }
  });
});
