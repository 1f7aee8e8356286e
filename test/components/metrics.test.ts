// Metrics for every kind (components/metrics.ts): the exporter container, the headless Service's
// metrics port, the NetworkPolicy rule for the scrapers, the ServiceMonitor, the config that asks
// for them and every refusal. Under Pulumi mocks: no container runs here, so what the exporters
// read at run time (stub_status, the socket, the password file, JMX) is shown as configured, not
// as working.
import { strict as assert } from "assert";
import { Cassandra } from "../../components/cassandra";
import { parseStackConfig } from "../../components/config";
import { DEFAULTS, METRICS_DEFAULTS, WorkloadKind } from "../../components/defaults";
import {
  cassandraExporterConfig,
  durationMilliseconds,
  EXPORTER_PORTS,
  EXPORTER_RESOURCES,
  MetricsOptions,
  METRICS_SERVICE_LABEL,
  nginxStubStatusConfig,
  POSTGRES_METRICS_SOCKET_DIR,
  REDIS_EXPORTER_PASSWORD_KEY,
} from "../../components/metrics";
import { Nginx } from "../../components/nginx";
import { Postgres, POSTGRES_PORT, POSTGRES_RUN_DIR } from "../../components/postgres";
import { Redis, REDIS_PORT } from "../../components/redis";
import { StatefulWorkload } from "../../components/statefulWorkload";
import { BaseWorkloadArgs } from "../../components/workloadArgs";
import { RecordedResource, registered, setupMocks } from "../../harness/mocks";
import { validateObject } from "../../harness/schema";
import { configProblems, only, plainLeaks, refusesBeforeRegistering } from "../support/assertions";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const STS = "kubernetes:apps/v1:StatefulSet";
const SVC = "kubernetes:core/v1:Service";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const SM = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const KINDS: WorkloadKind[] = ["nginx", "redis", "postgres", "cassandra"];

const PROMETHEUS = {
  namespaceLabels: { "kubernetes.io/metadata.name": "monitoring" },
  podLabels: { "app.kubernetes.io/name": "prometheus" },
};
const SCRAPED: MetricsOptions = { scrapers: [PROMETHEUS] };

function construct(kind: WorkloadKind, args: BaseWorkloadArgs) {
  switch (kind) {
    case "nginx":
      return new Nginx("w", args);
    case "redis":
      return new Redis("w", args);
    case "postgres":
      return new Postgres("w", args);
    case "cassandra":
      return new Cassandra("w", args);
  }
}

async function build(
  kind: WorkloadKind,
  metrics?: MetricsOptions,
  extra: Partial<BaseWorkloadArgs> = {},
) {
  await setupMocks();
  construct(kind, {
    namespace: "data",
    storage: { className: "standard" },
    ...(metrics ? { metrics } : {}),
    ...extra,
  });
  const resources = await registered();
  const sts = only(resources, STS).inputs as Obj;
  const pod = sts.spec.template.spec;
  const headless = only(resources, SVC, (r) => (r.inputs as Obj).spec.clusterIP === "None")
    .inputs as Obj;
  return {
    resources,
    sts,
    pod,
    headless,
    exporter: pod.containers.find((c: Obj) => c.name === "metrics"),
    netpol: only(resources, NETPOL).inputs as Obj,
  };
}

const configMapOf = (resources: RecordedResource[]) =>
  only(resources, "kubernetes:core/v1:ConfigMap").inputs as Obj;

describe("metrics", () => {
  describe("off by default", () => {
    for (const kind of KINDS) {
      it(`${kind}: no exporter, no metrics port, no ServiceMonitor, no scraper rule`, async () => {
        const { resources, pod, headless, netpol } = await build(kind);
        assert.ok(pod.containers.every((c: Obj) => c.name !== "metrics"));
        assert.ok(headless.spec.ports.every((p: Obj) => p.name !== "metrics"));
        assert.equal(headless.metadata.labels[METRICS_SERVICE_LABEL], undefined);
        assert.equal(resources.filter((r) => r.type === SM).length, 0);
        assert.ok(
          netpol.spec.ingress.every((rule: Obj) =>
            rule.ports.every((p: Obj) => p.port !== "metrics"),
          ),
        );
      });
    }
  });

  for (const kind of KINDS) {
    describe(`${kind} with metrics`, () => {
      it("runs the kind's pinned exporter under the restricted standard, with a probe and small resources", async () => {
        const { exporter, pod } = await build(kind, SCRAPED);
        assert.ok(exporter, "a container named metrics");
        assert.equal(exporter.image, METRICS_DEFAULTS.images[kind]);
        assert.match(exporter.image, /:[\w][\w.-]*$/, "pinned by tag");
        assert.doesNotMatch(exporter.image, /:latest$/);
        assert.deepEqual(exporter.ports, [
          { name: "metrics", containerPort: EXPORTER_PORTS[kind], protocol: "TCP" },
        ]);
        assert.deepEqual(exporter.securityContext, {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
        });
        assert.deepEqual(exporter.resources, EXPORTER_RESOURCES[kind]);
        assert.ok(exporter.readinessProbe, "a readiness probe");
        assert.ok(exporter.livenessProbe, "a liveness probe");
        // The pod's uid: no runAsUser of its own, the pod's (non-root) applies.
        assert.equal(exporter.securityContext.runAsUser, undefined);
        assert.equal(pod.securityContext.runAsUser, DEFAULTS[kind].uid);
        // No client port moves onto the exporter, and the exporter's port is no client port.
        const clientPorts = pod.containers[0].ports.map((p: Obj) => p.containerPort);
        assert.ok(!clientPorts.includes(EXPORTER_PORTS[kind]));
      });

      it("exposes the metrics port on the headless Service only, which the ServiceMonitor selector can tell apart", async () => {
        const { resources, headless } = await build(kind, SCRAPED);
        assert.deepEqual(
          headless.spec.ports.find((p: Obj) => p.name === "metrics"),
          { name: "metrics", port: EXPORTER_PORTS[kind], targetPort: "metrics", protocol: "TCP" },
        );
        assert.equal(headless.metadata.labels[METRICS_SERVICE_LABEL], "true");
        const others = resources.filter(
          (r) => r.type === SVC && (r.inputs as Obj).spec.clusterIP !== "None",
        );
        for (const s of others) {
          const svc = s.inputs as Obj;
          assert.ok(
            svc.spec.ports.every((p: Obj) => p.name !== "metrics"),
            `${svc.metadata.name} has no metrics port`,
          );
          assert.equal(svc.metadata.labels[METRICS_SERVICE_LABEL], undefined);
        }
      });

      it("admits the named scrapers, and only them, to the metrics port", async () => {
        const { netpol } = await build(kind, SCRAPED);
        const toMetrics = netpol.spec.ingress.filter((rule: Obj) =>
          rule.ports.some((p: Obj) => p.port === "metrics"),
        );
        assert.deepEqual(toMetrics, [
          {
            from: [
              {
                podSelector: { matchLabels: PROMETHEUS.podLabels },
                namespaceSelector: { matchLabels: PROMETHEUS.namespaceLabels },
              },
            ],
            ports: [{ port: "metrics", protocol: "TCP" }],
          },
        ]);
      });

      it("renders objects the Kubernetes schema accepts", async () => {
        const { resources } = await build(kind, {
          ...SCRAPED,
          serviceMonitor: { labels: { release: "prometheus" } },
        });
        for (const r of resources.filter((r) => [STS, SVC, NETPOL].includes(r.type))) {
          validateObject(r.inputs);
        }
      });

      it("points a ServiceMonitor at the headless Service's metrics port when asked", async () => {
        const { resources, headless } = await build(kind, {
          ...SCRAPED,
          serviceMonitor: {
            labels: { release: "prometheus" },
            interval: "15s",
            scrapeTimeout: "5s",
          },
        });
        const sm = only(resources, SM).inputs as Obj;
        assert.equal(sm.apiVersion, "monitoring.coreos.com/v1");
        assert.equal(sm.kind, "ServiceMonitor");
        assert.equal(sm.metadata.namespace, "data");
        assert.equal(sm.metadata.labels.release, "prometheus");
        assert.equal(sm.metadata.labels["app.kubernetes.io/instance"], "w");
        assert.deepEqual(sm.spec.namespaceSelector, { matchNames: ["data"] });
        assert.deepEqual(sm.spec.endpoints, [
          { port: "metrics", path: "/metrics", interval: "15s", scrapeTimeout: "5s" },
        ]);
        const selects = (labels: Record<string, string>) =>
          Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => labels[k] === v);
        const services = resources.filter((r) => r.type === SVC).map((r) => r.inputs as Obj);
        assert.deepEqual(
          services.filter((s) => selects(s.metadata.labels)).map((s) => s.metadata.name),
          [headless.metadata.name],
        );
      });
    });
  }

  it("a ServiceMonitor scrapes every 30s by default and leaves the timeout to Prometheus", async () => {
    const { resources } = await build("nginx", { ...SCRAPED, serviceMonitor: {} });
    const sm = only(resources, SM).inputs as Obj;
    assert.deepEqual(sm.spec.endpoints, [{ port: "metrics", path: "/metrics", interval: "30s" }]);
  });

  describe("per kind", () => {
    it("nginx: stub_status on loopback only, in the conf.d nginx mounts, read by the exporter", async () => {
      const { resources, exporter, pod } = await build("nginx", SCRAPED);
      const cm = configMapOf(resources);
      assert.equal(cm.data["metrics.conf"], nginxStubStatusConfig());
      assert.match(cm.data["metrics.conf"], /listen 127\.0\.0\.1:8081;/);
      assert.match(cm.data["metrics.conf"], /location = \/stub_status \{\s+stub_status;/);
      assert.ok(cm.data["default.conf"], "nginx's own server block stays");
      assert.ok(
        pod.containers[0].volumeMounts.some((m: Obj) => m.mountPath === "/etc/nginx/conf.d"),
      );
      assert.ok(exporter.args.includes("--nginx.scrape-uri=http://127.0.0.1:8081/stub_status"));
      assert.ok(exporter.args.includes("--web.listen-address=:9113"));
      // No container port or Service port for stub_status.
      const ports = pod.containers
        .flatMap((c: Obj) => c.ports ?? [])
        .map((p: Obj) => p.containerPort);
      assert.ok(!ports.includes(8081));
    });

    it("postgres: a second socket directory only the server and the exporter mount, no password", async () => {
      const { exporter, pod } = await build("postgres", SCRAPED);
      const server = pod.containers[0];
      assert.ok(
        server.args.includes(
          `unix_socket_directories=${POSTGRES_RUN_DIR},${POSTGRES_METRICS_SOCKET_DIR}`,
        ),
      );
      assert.ok(
        server.volumeMounts.some(
          (m: Obj) => m.name === "metrics-socket" && m.mountPath === POSTGRES_METRICS_SOCKET_DIR,
        ),
      );
      assert.deepEqual(exporter.volumeMounts, [
        { name: "metrics-socket", mountPath: POSTGRES_METRICS_SOCKET_DIR },
      ]);
      assert.deepEqual(
        pod.volumes.find((v: Obj) => v.name === "metrics-socket"),
        { name: "metrics-socket", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
      );
      const dsn = exporter.env.find((e: Obj) => e.name === "DATA_SOURCE_NAME").value;
      assert.equal(
        dsn,
        `host=${POSTGRES_METRICS_SOCKET_DIR} port=${POSTGRES_PORT} user=postgres dbname=postgres sslmode=disable`,
      );
      assert.doesNotMatch(dsn, /password/i);
      // Nothing else of the pod: not the run directory (the replication passfile), not the Secret.
      assert.ok(exporter.volumeMounts.every((m: Obj) => !["run", "auth"].includes(m.name)));
    });

    it("redis: the password reaches the exporter as a file of the Secret, never in env or argv", async () => {
      await setupMocks();
      const redis = new Redis("w", {
        namespace: "data",
        storage: { className: "standard" },
        metrics: SCRAPED,
      });
      const resources = await registered();
      const password = await new Promise<string>((r) => redis.password.apply(r));
      const secret = only(resources, "kubernetes:core/v1:Secret").inputs as Obj;
      assert.deepEqual(JSON.parse(secret.stringData[REDIS_EXPORTER_PASSWORD_KEY]), {
        [`redis://127.0.0.1:${REDIS_PORT}`]: password,
      });
      assert.deepEqual(plainLeaks(resources, password), [], "the password is a secret on the wire");
      const pod = (only(resources, STS).inputs as Obj).spec.template.spec;
      const exporter = pod.containers.find((c: Obj) => c.name === "metrics");
      assert.ok(exporter.args.includes("--redis.password-file=/etc/redis-exporter/passwords.json"));
      assert.ok(exporter.args.includes(`--redis.addr=redis://127.0.0.1:${REDIS_PORT}`));
      assert.equal(exporter.env, undefined);
      assert.ok(!JSON.stringify(exporter).includes(password));
      assert.deepEqual(
        pod.volumes.find((v: Obj) => v.name === "metrics-auth"),
        {
          name: "metrics-auth",
          secret: {
            secretName: "w-auth",
            defaultMode: 0o440,
            items: [{ key: REDIS_EXPORTER_PASSWORD_KEY, path: "passwords.json" }],
          },
        },
      );
      // The readiness probe re-reads the file: a rotated password reaches the exporter.
      assert.deepEqual(exporter.readinessProbe.httpGet, { path: "/-/reload", port: "metrics" });
    });

    it("cassandra: a JMX reader on loopback, configured from the workload's ConfigMap", async () => {
      const { resources, exporter, pod } = await build("cassandra", SCRAPED);
      const cm = configMapOf(resources);
      assert.equal(cm.data["cassandra-exporter.yml"], cassandraExporterConfig());
      assert.match(cm.data["cassandra-exporter.yml"], /^host: 127\.0\.0\.1:7199$/m);
      assert.match(cm.data["cassandra-exporter.yml"], /^listenPort: 9500$/m);
      assert.deepEqual(
        pod.volumes.find((v: Obj) => v.name === "metrics-config"),
        {
          name: "metrics-config",
          configMap: {
            name: cm.metadata.name,
            items: [{ key: "cassandra-exporter.yml", path: "config.yml" }],
          },
        },
      );
      assert.deepEqual(exporter.command.slice(0, 3), ["java", "-Xms64m", "-Xmx128m"]);
      assert.equal(exporter.command.at(-1), "/etc/cassandra-exporter/config.yml");
      // JMX is not a port of the pod: nothing outside it reaches 7199.
      const ports = pod.containers
        .flatMap((c: Obj) => c.ports ?? [])
        .map((p: Obj) => p.containerPort);
      assert.ok(!ports.includes(7199));
    });
  });

  describe("refused before anything is registered", () => {
    const base = { namespace: "data", storage: { className: "standard" } };
    refusesBeforeRegistering(
      (metrics: MetricsOptions) => new Nginx("web", { ...base, metrics }),
      [
        [
          "no scraper",
          { scrapers: [] },
          /^Nginx web: metrics\.scrapers: got \[\]; must name at least one scraper/,
        ],
        [
          "a scraper without a selector",
          { scrapers: [{}] },
          "Nginx web: metrics.scrapers.0: got {}; must set podLabels, namespaceLabels or both",
        ],
        [
          "an interval that is not a duration",
          { ...SCRAPED, serviceMonitor: { interval: "30 seconds" } },
          /^Nginx web: metrics\.serviceMonitor\.interval: got "30 seconds"; must be a Prometheus duration/,
        ],
        [
          "a zero timeout",
          { ...SCRAPED, serviceMonitor: { scrapeTimeout: "0s" } },
          /^Nginx web: metrics\.serviceMonitor\.scrapeTimeout: got "0s"; must be a Prometheus duration of more than 0/,
        ],
        [
          "a timeout longer than the interval",
          { ...SCRAPED, serviceMonitor: { interval: "30s", scrapeTimeout: "1m" } },
          'Nginx web: metrics.serviceMonitor.scrapeTimeout: got "1m"; must be at most the interval (30s): the Prometheus Operator refuses a ServiceMonitor whose scrapes may outlast their interval',
        ],
        [
          "a timeout longer than the default interval",
          { ...SCRAPED, serviceMonitor: { scrapeTimeout: "45s" } },
          /must be at most the interval \(30s, the default\)/,
        ],
        [
          "a ServiceMonitor label that is the workload's own",
          { ...SCRAPED, serviceMonitor: { labels: { "app.kubernetes.io/name": "x" } } },
          /^Nginx web: metrics\.serviceMonitor\.labels: got .*; must not set app\.kubernetes\.io\/name: app\.kubernetes\.io\/\* labels are the workload's own/,
        ],
      ],
    );

    it("a kind whose own port is named metrics", async () => {
      await setupMocks();
      assert.throws(
        () =>
          new StatefulWorkload("x", {
            app: "x",
            component: "test",
            namespace: "data",
            replicas: 1,
            uid: 1000,
            ports: [{ name: "metrics", port: 9113 }],
            storage: { className: "standard", size: "1Gi", mountPath: "/data" },
            containers: [
              { name: "x", image: "x:1", readinessProbe: { tcpSocket: { port: "metrics" } } },
            ],
            metrics: {
              scrapers: [PROMETHEUS],
              exporter: {
                port: 9113,
                container: {
                  name: "metrics",
                  image: "e:1",
                  readinessProbe: { tcpSocket: { port: 1 } },
                },
              },
            },
          }),
        {
          message:
            "StatefulWorkload x: metrics: port name 'metrics' is the workload's own already; metrics: port '9113' is the workload's own already",
        },
      );
      assert.deepEqual(await registered(), []);
    });
  });

  describe("stack config", () => {
    const config = (metrics: unknown, features?: unknown) => ({
      target: { renderYamlToDirectory: "out" },
      storageClass: "standard",
      ...(features ? { clusterFeatures: features } : {}),
      namespaces: [{ name: "data", workloads: [{ kind: "postgres", name: "db", metrics }] }],
    });
    const problems = configProblems;
    const W = "stateful:namespaces[0].workloads[0].metrics";

    it("passes metrics through to the workload", () => {
      const parsed = parseStackConfig(
        config(
          { scrapers: [PROMETHEUS], serviceMonitor: { labels: { release: "p" }, interval: "1m" } },
          { prometheusOperator: true },
        ),
      );
      assert.deepEqual(parsed.workloads[0].metrics, {
        scrapers: [PROMETHEUS],
        serviceMonitor: { labels: { release: "p" }, interval: "1m" },
      });
    });

    it("refuses a ServiceMonitor unless the stack says the cluster has the Prometheus Operator", () => {
      const message = `${W}.serviceMonitor: needs the Prometheus Operator (its monitoring.coreos.com/v1 ServiceMonitor CRD), which stateful:clusterFeatures.prometheusOperator does not say the cluster has: install the Prometheus Operator (e.g. kube-prometheus-stack), then set stateful:clusterFeatures.prometheusOperator: true; or leave serviceMonitor out and have Prometheus scrape the headless Service's metrics port another way`;
      const asked = { scrapers: [PROMETHEUS], serviceMonitor: {} };
      assert.deepEqual(problems(config(asked)), [message]);
      assert.deepEqual(problems(config(asked, { prometheusOperator: false })), [message]);
      assert.deepEqual(problems(config(asked, { prometheusOperator: true })), []);
      // Scraping without a ServiceMonitor needs nothing of the cluster.
      assert.deepEqual(problems(config({ scrapers: [PROMETHEUS] })), []);
    });

    it("names every bad value", () => {
      assert.deepEqual(problems(config({ scrapers: [] })), [
        `${W}.scrapers: got []; must name at least one scraper (podLabels and/or namespaceLabels of the Prometheus pods): the NetworkPolicy admits nobody else to the metrics port`,
      ]);
      assert.deepEqual(problems(config({})), [
        `${W}.scrapers: is missing; it must be a list of peers, each {podLabels, namespaceLabels}`,
      ]);
      assert.deepEqual(problems(config({ scrapers: [{}] })), [
        `${W}.scrapers[0]: got {}; must set podLabels, namespaceLabels or both`,
      ]);
      assert.deepEqual(
        problems(
          config(
            { scrapers: [PROMETHEUS], serviceMonitor: { interval: "5" } },
            { prometheusOperator: true },
          ),
        ),
        [
          `${W}.serviceMonitor.interval: got "5"; must be a Prometheus duration of more than 0, such as 30s, 1m or 1m30s (units ms, s, m, h, d, w, y, largest first)`,
        ],
      );
      assert.deepEqual(
        problems(
          config(
            { scrapers: [PROMETHEUS], serviceMonitor: { interval: "10s", scrapeTimeout: "11s" } },
            { prometheusOperator: true },
          ),
        ),
        [
          `${W}.serviceMonitor.scrapeTimeout: got "11s"; must be at most the interval (10s): the Prometheus Operator refuses a ServiceMonitor whose scrapes may outlast their interval`,
        ],
      );
      assert.deepEqual(problems(config({ scrapers: [PROMETHEUS], port: 1 })), [
        `${W}: unknown key 'port'; check the spelling against Pulumi.yaml`,
      ]);
      assert.deepEqual(
        problems(config({ scrapers: [PROMETHEUS] }, { prometheusOperator: "yes" })),
        [`stateful:clusterFeatures.prometheusOperator: got "yes"; must be true or false`],
      );
    });
  });

  it("reads Prometheus durations", () => {
    assert.equal(durationMilliseconds("30s"), 30_000);
    assert.equal(durationMilliseconds("1m30s"), 90_000);
    assert.equal(durationMilliseconds("500ms"), 500);
    assert.equal(durationMilliseconds("1h"), 3_600_000);
    for (const bad of ["", "30", "s", "30 s", "1.5m", "30s1m", "-1s"]) {
      assert.equal(durationMilliseconds(bad), undefined, bad);
    }
  });
});
