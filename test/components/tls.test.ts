// TLS for PostgreSQL and Redis (components/tls.ts), under Pulumi mocks: the Certificate a workload
// makes with an issuer, the Secret volume either way, what each kind's containers mount and how
// their servers are configured, the connection strings, the config that asks for it and every
// refusal. The servers themselves are shown with these settings in test/pods/*/tls.test.ts.
import { strict as assert } from "assert";
import { parseStackConfig } from "../../components/config";
import { WorkloadKind } from "../../components/defaults";
import { Nginx } from "../../components/nginx";
import { Postgres, POSTGRES_TLS_SETTINGS, postgresTlsHba } from "../../components/postgres";
import { Redis } from "../../components/redis";
import {
  certificateDnsNames,
  CERT_DURATION_HINT,
  DURATION_WITH_SECRET,
  NGINX_TLS,
  TLS_DIR,
  TLS_ONE_SOURCE,
  TlsOptions,
} from "../../components/tls";
import { BaseWorkloadArgs } from "../../components/workloadArgs";
import { RecordedResource, registered, setupMocks } from "../../harness/mocks";
import { configProblems, only, refusesBeforeRegistering, valueOf } from "../support/assertions";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const STS = "kubernetes:apps/v1:StatefulSet";
const CERT = "kubernetes:cert-manager.io/v1:Certificate";
const CM = "kubernetes:core/v1:ConfigMap";
const ISSUED: TlsOptions = { issuer: { name: "ca", kind: "ClusterIssuer" } };
const OWN: TlsOptions = { secretName: "db-cert" };

async function build(
  kind: "postgres" | "redis",
  tls?: TlsOptions,
  extra: Partial<BaseWorkloadArgs> = {},
) {
  await setupMocks();
  const args = {
    namespace: "data",
    storage: { className: "standard" },
    ...(tls ? { tls } : {}),
    ...extra,
  };
  const component = kind === "postgres" ? new Postgres("db", args) : new Redis("db", args);
  const resources = await registered();
  const sts = only(resources, STS).inputs as Obj;
  const pod = sts.spec.template.spec;
  const container = (name: string) => pod.containers.find((c: Obj) => c.name === name);
  return { component, resources, sts, pod, container };
}

const mounts = (c: Obj) => (c.volumeMounts ?? []).filter((m: Obj) => m.name === "tls");
const configData = (resources: RecordedResource[]) => (only(resources, CM).inputs as Obj).data;

describe("TLS", () => {
  describe("the certificate", () => {
    it("with an issuer, the workload makes a Certificate for every name clients and pods use, before the StatefulSet", async () => {
      const { resources, pod } = await build("postgres", {
        ...ISSUED,
        duration: "2160h",
        renewBefore: "360h",
      });
      const cert = only(resources, CERT);
      const spec = (cert.inputs as Obj).spec;
      assert.equal((cert.inputs as Obj).metadata.name, "db-tls");
      assert.equal(
        (cert.inputs as Obj).metadata.annotations["pulumi.com/waitFor"],
        "condition=Ready",
      );
      assert.equal(spec.secretName, "db-tls");
      assert.deepEqual(spec.issuerRef, {
        name: "ca",
        kind: "ClusterIssuer",
        group: "cert-manager.io",
      });
      assert.deepEqual(spec.privateKey, {
        algorithm: "RSA",
        size: 2048,
        encoding: "PKCS8",
        rotationPolicy: "Always",
      });
      assert.equal(spec.duration, "2160h");
      assert.equal(spec.renewBefore, "360h");
      for (const name of [
        "db",
        "db.data.svc.cluster.local",
        "db-rw",
        "db-rw.data",
        "db-rw.data.svc",
        "db-rw.data.svc.cluster.local",
        "db-ro.data.svc.cluster.local",
        "*.db.data.svc.cluster.local",
      ]) {
        assert.ok(spec.dnsNames.includes(name), `${name} in ${spec.dnsNames}`);
      }
      // The StatefulSet waits for it: its pods mount the Secret it writes.
      const sts = only(resources, STS);
      assert.ok(
        sts.options.dependsOn.includes(cert.urn),
        "the StatefulSet waits for the Certificate",
      );
      assert.deepEqual(
        pod.volumes.find((v: Obj) => v.name === "tls"),
        { name: "tls", secret: { secretName: "db-tls", defaultMode: 0o440 } },
      );
    });

    it("the pod DNS names match the wildcard: one label under the headless Service", () => {
      const names = certificateDnsNames({
        name: "db",
        namespace: "data",
        clusterDomain: "example.org",
        primaryAndReplicas: false,
      });
      assert.ok(names.includes("*.db.data.svc.example.org"));
      assert.ok(!names.some((n) => n.startsWith("db-rw")), "no write Service, no name for it");
    });

    it("with a Secret of the user's, no Certificate: the pods mount that Secret", async () => {
      const { resources, pod } = await build("redis", OWN);
      assert.equal(resources.filter((r) => r.type === CERT).length, 0);
      assert.deepEqual(
        pod.volumes.find((v: Obj) => v.name === "tls"),
        { name: "tls", secret: { secretName: "db-cert", defaultMode: 0o440 } },
      );
    });

    it("without tls, nothing of it: no Certificate, no volume, no mount", async () => {
      for (const kind of ["postgres", "redis"] as const) {
        const { resources, pod } = await build(kind);
        assert.equal(resources.filter((r) => r.type === CERT).length, 0);
        assert.ok(pod.volumes.every((v: Obj) => v.name !== "tls"));
        assert.ok(pod.containers.every((c: Obj) => mounts(c).length === 0));
        assert.ok(
          JSON.stringify(pod).indexOf(TLS_DIR + "/") < 0,
          `${kind}: no path under ${TLS_DIR}`,
        );
      }
    });
  });

  describe("PostgreSQL", () => {
    it("the server serves the certificate, with the hba that refuses connections without TLS", async () => {
      const { resources, container } = await build("postgres", ISSUED);
      const server = container("postgresql");
      for (const [k, v] of Object.entries(POSTGRES_TLS_SETTINGS)) {
        assert.ok(server.args.includes(`${k}=${v}`), `-c ${k}=${v}`);
      }
      assert.equal(mounts(server).length, 1);
      assert.ok(
        server.volumeMounts.some((m: Obj) => m.name === "scripts"),
        "pg_hba.conf's ConfigMap",
      );
      assert.equal(configData(resources)["pg_hba.conf"], postgresTlsHba("replicator"));
      assert.doesNotMatch(postgresTlsHba("replicator"), /^host\s/m, "no line without TLS");
    });

    it("the sidecar watches the certificate (to reload the server), the init container needs none", async () => {
      const { pod, container } = await build("postgres", ISSUED);
      const sidecar = container("reconcile");
      assert.equal(mounts(sidecar).length, 1);
      assert.ok(sidecar.env.some((e: Obj) => e.name === "TLS_DIR" && e.value === TLS_DIR));
      assert.equal(mounts(pod.initContainers[0]).length, 0);
    });

    it("the connection strings ask for TLS", async () => {
      const { component } = await build("postgres", ISSUED);
      const pg = component as Postgres;
      assert.match(await valueOf(pg.connectionString), /^postgresql:\/\/.*\/app\?sslmode=require$/);
      assert.match(await valueOf(pg.readConnectionString), /\?sslmode=require$/);
      const plain = (await build("postgres")).component as Postgres;
      assert.doesNotMatch(await valueOf(plain.connectionString), /sslmode/);
    });
  });

  describe("Redis", () => {
    for (const sentinel of [false, true]) {
      it(`every container that speaks to a server finds the certificate${sentinel ? " (with Sentinel)" : ""}`, async () => {
        const { pod } = await build("redis", ISSUED, { replicas: 3, ...({ sentinel } as object) });
        const names = ["redis", "auth", ...(sentinel ? ["sentinel"] : [])];
        for (const name of names) {
          const c = pod.containers.find((x: Obj) => x.name === name);
          assert.equal(mounts(c).length, 1, `${name} mounts it`);
          assert.ok(
            c.env.some((e: Obj) => e.name === "REDIS_TLS_DIR" && e.value === TLS_DIR),
            name,
          );
        }
      });
    }

    it("the connection strings say rediss://, and the exporter connects over TLS", async () => {
      const { component, pod } = await build("redis", ISSUED, {
        metrics: { scrapers: [{ podLabels: { app: "prometheus" } }] },
      });
      const redis = component as Redis;
      assert.match(await valueOf(redis.connectionString), /^rediss:\/\/default:/);
      assert.match(await valueOf(redis.readConnectionString), /^rediss:\/\//);
      const exporter = pod.containers.find((c: Obj) => c.name === "metrics");
      assert.ok(exporter.args.includes("--redis.addr=rediss://127.0.0.1:6379"));
      assert.ok(exporter.args.includes("--skip-tls-verification"));
    });
  });

  describe("day two", () => {
    it("a renewal changes no pod template: only the Secret's files change, which the pods reload", async () => {
      // The Secret's name is all the template holds of the certificate, and cert-manager keeps it.
      const a = (await build("postgres", ISSUED)).sts.spec.template;
      const b = (await build("postgres", { ...ISSUED, renewBefore: "100h" })).sts.spec.template;
      assert.deepEqual(a, b);
    });
  });

  describe("refusals, before anything is registered", () => {
    refusesBeforeRegistering(
      (args: { kind: WorkloadKind; tls: TlsOptions }) =>
        args.kind === "nginx"
          ? new Nginx("w", { namespace: "data", storage: { className: "s" }, tls: args.tls })
          : new Postgres("w", { namespace: "data", storage: { className: "s" }, tls: args.tls }),
      [
        [
          "neither a Secret nor an issuer",
          { kind: "postgres", tls: {} },
          new RegExp(`tls: got \\{\\}; ${escape(TLS_ONE_SOURCE)}$`),
        ],
        [
          "both",
          { kind: "postgres", tls: { ...OWN, ...ISSUED } },
          new RegExp(`tls: got .*; ${escape(TLS_ONE_SOURCE)}$`),
        ],
        [
          "a lifetime for a Secret of the user's",
          { kind: "postgres", tls: { ...OWN, duration: "24h" } },
          new RegExp(`tls\\.duration: got "24h"; ${escape(DURATION_WITH_SECRET)}$`),
        ],
        [
          "a lifetime that is no duration",
          { kind: "postgres", tls: { ...ISSUED, renewBefore: "2 weeks" } },
          new RegExp(`tls\\.renewBefore: got "2 weeks"; ${escape(CERT_DURATION_HINT)}$`),
        ],
        [
          "nginx",
          { kind: "nginx", tls: ISSUED },
          new RegExp(`^Nginx w: tls: got .*; ${escape(NGINX_TLS)}$`),
        ],
      ],
    );
  });

  describe("stack config", () => {
    const config = (tls: unknown, features?: unknown, kind = "postgres") => ({
      target: { renderYamlToDirectory: "out" },
      storageClass: "standard",
      ...(features ? { clusterFeatures: features } : {}),
      namespaces: [{ name: "data", workloads: [{ kind, name: "db", tls }] }],
    });
    const problems = configProblems;
    const W = "stateful:namespaces[0].workloads[0].tls";

    it("passes tls through to the workload", () => {
      const parsed = parseStackConfig(
        config({ ...ISSUED, duration: "720h" }, { certManager: true }),
      );
      assert.deepEqual((parsed.workloads[0] as { tls?: unknown }).tls, {
        ...ISSUED,
        duration: "720h",
      });
      assert.deepEqual((parseStackConfig(config(OWN)).workloads[0] as { tls?: unknown }).tls, OWN);
    });

    it("refuses an issuer unless the stack says the cluster has cert-manager, and says what to do", () => {
      const [message] = problems(config(ISSUED));
      assert.match(message, new RegExp(`^${escape(W)}\\.issuer: needs cert-manager`));
      assert.match(message, /set stateful:clusterFeatures\.certManager: true/);
      assert.match(message, /name it in tls\.secretName/);
      assert.deepEqual(problems(config(ISSUED, { certManager: true })), []);
      assert.deepEqual(problems(config(OWN)), [], "a Secret of the user's needs no cert-manager");
    });

    it("names every bad value", () => {
      assert.deepEqual(problems(config({ secretName: "Not_A_Name" })), [
        `${W}.secretName: got "Not_A_Name"; must be a Secret name: lower-case letters, digits, '-' and '.'`,
      ]);
      assert.deepEqual(
        problems(config({ issuer: { name: "ca", kind: "Vault" } }, { certManager: true })),
        [
          `${W}.issuer.kind: got "Vault"; must be Issuer (in the workload's namespace) or ClusterIssuer`,
        ],
      );
      assert.deepEqual(problems(config({ ...ISSUED, duration: "90d" }, { certManager: true })), [
        `${W}.duration: got "90d"; ${CERT_DURATION_HINT}`,
      ]);
      assert.deepEqual(problems(config({}, { certManager: true })), [
        `${W}: got {}; ${TLS_ONE_SOURCE}`,
      ]);
      assert.match(problems(config(ISSUED, { certManager: true }, "nginx"))[0], /tls/);
      assert.deepEqual(problems(config(ISSUED, { certManager: "yes" })).slice(0, 1), [
        `stateful:clusterFeatures.certManager: got "yes"; must be true or false`,
      ]);
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
