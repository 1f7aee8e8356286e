import { strict as assert } from "assert";
import { registered, setupMocks } from "../../harness/mocks";
import { validateObject } from "../../harness/schema";
import { only, valueOf } from "../support/assertions";
import { Nginx, NginxArgs, nginxServerConfig } from "../../components/nginx";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

async function build(overrides: Partial<NginxArgs> = {}) {
  await setupMocks();
  const nginx = new Nginx("web", {
    namespace: "site",
    storage: { className: "standard" },
    ...overrides,
  });
  const resources = await registered();
  const sts = only(resources, "kubernetes:apps/v1:StatefulSet").inputs as Obj;
  return { nginx, resources, sts, pod: sts.spec.template.spec };
}

describe("Nginx", () => {
  it("runs the pinned unprivileged image on a high port, in Parallel, with the kind's defaults", async () => {
    const { sts, pod } = await build();
    const [container] = pod.containers;
    assert.equal(container.image, "nginxinc/nginx-unprivileged:1.27.4-alpine");
    assert.deepEqual(container.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    assert.equal(sts.spec.podManagementPolicy, "Parallel");
    assert.equal(sts.spec.replicas, 2);
    assert.equal(pod.securityContext.runAsUser, 101);
    assert.deepEqual(container.resources, {
      requests: { cpu: "50m", memory: "64Mi" },
      limits: { memory: "128Mi" },
    });
    assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "1Gi");
  });

  it("serves content from each pod's own claim and checks readiness over HTTP", async () => {
    const { pod } = await build();
    const [container] = pod.containers;
    assert.deepEqual(container.volumeMounts, [
      { name: "data", mountPath: "/usr/share/nginx/html" },
      { name: "config", mountPath: "/etc/nginx/conf.d", readOnly: true },
    ]);
    assert.deepEqual(container.readinessProbe.httpGet, { path: "/healthz", port: "http" });
    assert.ok(container.readinessProbe.timeoutSeconds < container.readinessProbe.periodSeconds);
    assert.deepEqual(container.livenessProbe.httpGet, { path: "/healthz", port: "http" });
  });

  it("seeds an empty claim with a page once, never overwriting content", async () => {
    const { pod } = await build();
    const [seed] = pod.initContainers;
    assert.equal(seed.name, "seed-content");
    assert.match(seed.command[2], /^\[ -e \/usr\/share\/nginx\/html\/index.html \] \|\|/);
    assert.deepEqual(seed.volumeMounts, [{ name: "data", mountPath: "/usr/share/nginx/html" }]);
    assert.equal(seed.securityContext.allowPrivilegeEscalation, false);
  });

  it("configures nginx through a ConfigMap that the pods mount", async () => {
    const { resources, pod } = await build();
    const cm = only(resources, "kubernetes:core/v1:ConfigMap").inputs as Obj;
    assert.match(cm.metadata.name, /^web-config-[0-9a-f]{10}$/);
    assert.equal(cm.data["default.conf"], nginxServerConfig());
    assert.match(cm.data["default.conf"], /listen 8080;/);
    assert.match(cm.data["default.conf"], /location = \/healthz/);
    assert.deepEqual(pod.volumes, [{ name: "config", configMap: { name: cm.metadata.name } }]);
  });

  it("passes user choices through: replicas, image, size, retention, resources", async () => {
    const { sts, pod } = await build({
      replicas: 4,
      image: "nginxinc/nginx-unprivileged:1.27.3-alpine",
      storage: { className: "fast", size: "5Gi" },
      retention: { whenDeleted: "Delete", whenScaled: "Delete" },
      resources: { requests: { cpu: "1", memory: "1Gi" } },
      podManagementPolicy: "OrderedReady",
    });
    assert.equal(sts.spec.replicas, 4);
    assert.equal(pod.containers[0].image, "nginxinc/nginx-unprivileged:1.27.3-alpine");
    assert.equal(pod.initContainers[0].image, "nginxinc/nginx-unprivileged:1.27.3-alpine");
    assert.equal(sts.spec.volumeClaimTemplates[0].spec.storageClassName, "fast");
    assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "5Gi");
    assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, {
      whenDeleted: "Delete",
      whenScaled: "Delete",
    });
    assert.deepEqual(pod.containers[0].resources, {
      requests: { cpu: "1", memory: "1Gi" },
      limits: { memory: "1Gi" },
    });
    assert.equal(sts.spec.podManagementPolicy, "OrderedReady");
  });

  it("reports stable DNS names for its pods", async () => {
    const { nginx } = await build({ replicas: 2 });
    assert.equal(await valueOf(nginx.serviceDnsName), "web.site.svc.cluster.local");
    assert.deepEqual(await valueOf(nginx.podDnsNames), [
      "web-0.web.site.svc.cluster.local",
      "web-1.web.site.svc.cluster.local",
    ]);
  });

  it("refuses resources that cannot work before registering anything", async () => {
    await setupMocks();
    assert.throws(
      () =>
        new Nginx("web", {
          namespace: "site",
          storage: { className: "standard" },
          resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "512Mi" } },
        }),
      {
        message:
          'Nginx web: resources.limits.memory: got "512Mi"; must be at least the memory request (1Gi)',
      },
    );
  });

  it("renders only schema-valid objects", async () => {
    const { resources } = await build();
    const objects = resources.filter((r) => r.type.startsWith("kubernetes:"));
    assert.equal(
      objects.length,
      7,
      "Service, StatefulSet, PDB, NetworkPolicy, ConfigMap, 2 claims",
    );
    for (const r of objects) validateObject(r.inputs);
  });
});
