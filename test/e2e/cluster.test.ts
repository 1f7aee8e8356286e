// End to end on a real cluster, through the Pulumi Automation API: up with the policy pack, check
// the StatefulSets' promises on the cluster (names, order, claims, DNS, retention, data surviving a
// pod's restart), destroy, and check which claims remain. Skipped, with one line saying what is
// missing, where there is no Pulumi CLI or no cluster.
import { strict as assert } from "assert";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as k8s from "@kubernetes/client-node";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { POLICY_PACK_DIR, ROOT } from "../../harness/stacks";
import {
  CONTEXT_ENV,
  HOW_TO_RUN,
  STORAGE_CLASS_ENV,
  claimsOf,
  execIn,
  isReady,
  kubeConfig,
  missingPrerequisite,
  podsOf,
  waitFor,
} from "./support";

interface Workloads {
  web: { replicas: number };
  cache: { replicas: number };
  db: { replicas: number };
}

/** The stack config of the test: three workloads with the retention each scenario needs. */
function stackConfig(namespace: string, context: string, storageClass: string, w: Workloads) {
  const keep = { whenDeleted: "Retain", whenScaled: "Retain" };
  const drop = { whenDeleted: "Delete", whenScaled: "Delete" };
  const small = (cpu: string, memory: string) => ({ requests: { cpu, memory } });
  const config = {
    target: { context },
    storageClass,
    namespaces: [
      {
        name: namespace,
        workloads: [
          {
            kind: "nginx",
            name: "web",
            replicas: w.web.replicas,
            retention: drop,
            storage: { size: "64Mi" },
          },
          {
            kind: "redis",
            name: "cache",
            replicas: w.cache.replicas,
            retention: keep,
            storage: { size: "64Mi" },
            resources: small("50m", "64Mi"),
          },
          {
            kind: "postgres",
            name: "db",
            replicas: w.db.replicas,
            retention: keep,
            storage: { size: "256Mi" },
            resources: small("100m", "256Mi"),
          },
        ],
      },
    ],
  };
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [
      `stateful:${k}`,
      { value: typeof v === "string" ? v : JSON.stringify(v) },
    ]),
  );
}

/** A workspace in a temporary directory whose program is this repository: no stack file lands in stacks/. */
async function workspace(tmp: string, programDir: string, env: Record<string, string>) {
  return LocalWorkspace.create({
    workDir: tmp,
    envVars: env,
    projectSettings: {
      name: "stateful",
      runtime: { name: "nodejs", options: { typescript: true } },
      main: path.relative(tmp, programDir),
    },
  });
}

describe("end to end on a real cluster", function () {
  this.timeout(45 * 60_000);
  const suffix = randomBytes(3).toString("hex");
  const namespace = `stateful-e2e-${suffix}`;
  let tmp: string;
  let stack: Stack;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let context: string;
  let storageClass: string;
  const log = (s: string) => process.stdout.write(`      ${s}`);

  before(async function () {
    const missing = await missingPrerequisite();
    if (missing) {
      console.log(`  skipped: ${missing}; to run it, ${HOW_TO_RUN}`);
      this.skip();
    }
    context = process.env[CONTEXT_ENV]!;
    storageClass = process.env[STORAGE_CLASS_ENV] ?? "standard";
    kc = kubeConfig(context);
    core = kc.makeApiClient(k8s.CoreV1Api);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stateful-e2e-"));
    const env = {
      PULUMI_BACKEND_URL: `file://${tmp}`,
      PULUMI_CONFIG_PASSPHRASE: randomBytes(16).toString("hex"),
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    };
    const ws = await workspace(tmp, ROOT, env);
    stack = await Stack.create(`e2e-${suffix}`, ws);
  });

  after(async function () {
    if (!stack) return;
    // Leave nothing behind, whatever failed: destroy, then the claims Retain kept, then the namespace.
    await stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    await stack.workspace.removeStack(stack.name).catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const up = async (w: Workloads) => {
    await stack.setAllConfig(stackConfig(namespace, context, storageClass, w));
    await stack.up({ policyPacks: [POLICY_PACK_DIR], onOutput: log });
  };

  it("deploys through the policy pack", async () => {
    await up({ web: { replicas: 2 }, cache: { replicas: 2 }, db: { replicas: 2 } });
  });

  it("creates pods <sts>-0..N-1, in order under OrderedReady", async () => {
    for (const [sts, n] of [
      ["web", 2],
      ["cache", 2],
      ["db", 2],
    ] as const) {
      const pods = await podsOf(core, namespace, sts);
      assert.deepEqual(
        pods.map((p) => p.metadata!.name).sort(),
        Array.from({ length: n }, (_, i) => `${sts}-${i}`),
      );
      assert.ok(pods.every(isReady), `every ${sts} pod is ready`);
    }
    const db = (await podsOf(core, namespace, "db")).sort((a, b) =>
      a.metadata!.name!.localeCompare(b.metadata!.name!),
    );
    const readyAt = (p: k8s.V1Pod) =>
      new Date(p.status!.conditions!.find((c) => c.type === "Ready")!.lastTransitionTime!);
    assert.ok(
      new Date(db[1].metadata!.creationTimestamp!) >= readyAt(db[0]),
      "db-1 was created only after db-0 was ready",
    );
  });

  it("binds one claim per pod, named <template>-<sts>-<ordinal>", async () => {
    assert.deepEqual(await claimsOf(core, namespace, "web"), ["data-web-0", "data-web-1"]);
    assert.deepEqual(await claimsOf(core, namespace, "db"), ["data-db-0", "data-db-1"]);
  });

  it("resolves every pod through the headless Service", async () => {
    const pods = await podsOf(core, namespace, "web");
    for (const pod of pods) {
      const fqdn = `${pod.metadata!.name}.web.${namespace}.svc.cluster.local`;
      const out = await execIn(kc, namespace, "db-0", "postgresql", ["getent", "hosts", fqdn]);
      assert.equal(out.trim().split(/\s+/)[0], pod.status!.podIP, fqdn);
    }
  });

  it("keeps Redis and PostgreSQL data across a pod's deletion", async () => {
    const psql = (sql: string) =>
      execIn(kc, namespace, "db-0", "postgresql", [
        "sh",
        "-c",
        // The dev stack's application database.
        `psql -v ON_ERROR_STOP=1 -tA -U postgres -d app -c "${sql}"`,
      ]);
    const redis = (...args: string[]) =>
      // The password is a mounted file of the Secret, never in the container's env.
      execIn(kc, namespace, "cache-0", "redis", [
        "sh",
        "-c",
        'REDISCLI_AUTH="$(cat /etc/redis-auth/redis-password)" exec redis-cli "$@"',
        "redis-cli",
        ...args,
      ]);
    await psql("CREATE TABLE IF NOT EXISTS e2e (v text); INSERT INTO e2e VALUES ('kept');");
    assert.equal((await redis("SET", "e2e", "kept")).trim(), "OK");

    for (const pod of ["db-0", "cache-0"]) {
      const before = (await core.readNamespacedPod({ name: pod, namespace })).metadata!.uid;
      await core.deleteNamespacedPod({ name: pod, namespace });
      await waitFor(`${pod} to come back ready`, async () => {
        const p = await core.readNamespacedPod({ name: pod, namespace });
        return p.metadata!.uid !== before && isReady(p) ? p : undefined;
      });
    }
    assert.equal((await psql("SELECT v FROM e2e;")).trim(), "kept");
    assert.equal((await redis("GET", "e2e")).trim(), "kept");
  });

  it("honours the retention policy on scale-down: Delete removes the claim, Retain keeps it", async () => {
    await up({ web: { replicas: 1 }, cache: { replicas: 1 }, db: { replicas: 2 } });
    await waitFor("data-web-1 to be deleted", async () =>
      (await claimsOf(core, namespace, "web")).includes("data-web-1") ? undefined : true,
    );
    assert.deepEqual(await claimsOf(core, namespace, "cache"), ["data-cache-0", "data-cache-1"]);
  });

  it("refuses a broken stack at preview with the policy pack", async () => {
    const brokenDir = fs.mkdtempSync(path.join(tmp, "broken-"));
    const ws = await LocalWorkspace.create({
      workDir: brokenDir,
      envVars: { PULUMI_BACKEND_URL: `file://${tmp}`, PULUMI_CONFIG_PASSPHRASE: "e2e" },
      projectSettings: { name: "broken", runtime: "nodejs" },
      program: async () => {
        const kube = await import("@pulumi/kubernetes");
        const provider = new kube.Provider("k8s", { context });
        const labels = { app: "broken" };
        new kube.apps.v1.StatefulSet(
          "broken",
          {
            metadata: { name: "broken", namespace },
            spec: {
              serviceName: "nowhere",
              selector: { matchLabels: labels },
              template: {
                metadata: { labels },
                spec: { containers: [{ name: "c", image: "nginx:1.27.4" }] },
              },
              volumeClaimTemplates: [
                {
                  metadata: { name: "data" },
                  spec: {
                    accessModes: ["ReadWriteOnce"],
                    resources: { requests: { storage: "1Gi" } },
                  },
                },
              ],
            },
          },
          { provider },
        );
      },
    });
    const broken = await Stack.create(`broken-${suffix}`, ws);
    try {
      await assert.rejects(broken.preview({ policyPacks: [POLICY_PACK_DIR] }), (err: Error) => {
        for (const rule of [
          "statefulset-headless-service",
          "statefulset-readiness-probe",
          "statefulset-storage-class",
          "statefulset-pvc-retention-policy",
        ]) {
          assert.match(err.message, new RegExp(rule), `preview names ${rule}`);
        }
        return true;
      });
    } finally {
      await ws.removeStack(broken.name).catch(() => undefined);
    }
  });

  it("destroys the stack and leaves exactly the claims that Retain keeps", async () => {
    // The namespace is created with retainOnDelete: destroying the stack must not take the
    // retained claims down with it.
    await stack.destroy({ onOutput: log });
    await waitFor("the web claims to be deleted", async () =>
      (await claimsOf(core, namespace, "web")).length === 0 ? true : undefined,
    );
    assert.deepEqual(await claimsOf(core, namespace, "db"), ["data-db-0", "data-db-1"]);
    assert.deepEqual(await claimsOf(core, namespace, "cache"), ["data-cache-0", "data-cache-1"]);
  });
});
