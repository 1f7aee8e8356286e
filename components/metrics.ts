// Metrics for every workload kind: one Prometheus exporter per kind, run as a container of each pod
// next to the server it reads, on a `metrics` port that the headless Service exposes, that only the
// scrapers the stack names may reach, and that a ServiceMonitor points the Prometheus Operator at
// when the stack says the cluster has it. This file knows each kind's exporter (its pinned image,
// its connection to the server, its probes and resources); StatefulWorkload adds the container,
// the Service port, the NetworkPolicy rule and the ServiceMonitor for any kind alike.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { METRICS_DEFAULTS, WorkloadKind } from "./defaults";
import type { Peer, WorkloadContainer } from "./statefulWorkload";

/** The name of the exporter's container, and of its port on the container and the headless Service. */
export const METRICS_PORT_NAME = "metrics";
export const METRICS_CONTAINER = "metrics";
/** Where every exporter serves its metrics. */
export const METRICS_PATH = "/metrics";
/**
 * Set to "true" on the headless Service of a workload with metrics, and what its ServiceMonitor
 * selects: the write and read Services share the workload's labels but have no metrics port.
 */
export const METRICS_SERVICE_LABEL = "stateful-workloads/metrics";
/** The Prometheus Operator's API (its ServiceMonitor CRD). */
export const SERVICE_MONITOR_API_VERSION = "monitoring.coreos.com/v1";

/** Each kind's exporter port: the exporter's own customary port, never a client port. */
export const EXPORTER_PORTS: Record<WorkloadKind, number> = {
  nginx: 9113,
  redis: 9121,
  postgres: 9187,
  cassandra: 9500,
};

/**
 * Each exporter container's requests and limits. The Go exporters (nginx, Redis, PostgreSQL) keep
 * a few MiB per scrape; Cassandra's is a JVM with a 128 MiB heap (see cassandraExporter).
 */
export const EXPORTER_RESOURCES: Record<
  WorkloadKind,
  { requests: { cpu: string; memory: string }; limits: { memory: string } }
> = {
  nginx: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } },
  redis: { requests: { cpu: "10m", memory: "24Mi" }, limits: { memory: "48Mi" } },
  postgres: { requests: { cpu: "20m", memory: "32Mi" }, limits: { memory: "64Mi" } },
  cassandra: { requests: { cpu: "50m", memory: "192Mi" }, limits: { memory: "256Mi" } },
};

/** What a stack (or a program) says about a workload's metrics; see BaseWorkloadArgs.metrics. */
export interface MetricsOptions {
  /**
   * The pods that scrape the metrics port (Prometheus): the NetworkPolicy admits them, and only
   * them, to it. At least one.
   */
  scrapers: Peer[];
  /**
   * A ServiceMonitor for the Prometheus Operator. Needs its CRD in the cluster: a stack must say
   * so with `stateful:clusterFeatures.prometheusOperator: true`.
   * @default no ServiceMonitor: scrape the `metrics` port of the headless Service another way
   */
  serviceMonitor?: ServiceMonitorOptions;
}

export interface ServiceMonitorOptions {
  /**
   * Labels of the ServiceMonitor, for the Prometheus resource's `serviceMonitorSelector` (e.g.
   * `release: kube-prometheus-stack`); `app.kubernetes.io/*` are the workload's own.
   * @default the workload's labels only
   */
  labels?: Record<string, string>;
  /**
   * How often Prometheus scrapes each pod, a Prometheus duration (`30s`, `1m`).
   * @default "30s"
   */
  interval?: string;
  /**
   * How long one scrape may take, at most `interval` (the operator refuses a longer one).
   * @default Prometheus's own (10s, or the interval when that is shorter)
   */
  scrapeTimeout?: string;
}

/** What a kind hands StatefulWorkload to run its exporter. */
export interface MetricsExporter {
  /** The container; StatefulWorkload adds its `metrics` port and the restricted security context. */
  container: WorkloadContainer;
  /** The port it serves METRICS_PATH on. */
  port: number;
  /** Files the exporter or the server needs, added to the workload's ConfigMap. */
  configData?: Record<string, string>;
  /** Values added to the workload's Secret (`<name>-auth`), Pulumi secrets like the rest of it. */
  secretData?: Record<string, pulumi.Input<string>>;
  /** Pod volumes the exporter (or the main container, below) mounts. */
  volumes?: k8s.types.input.core.v1.Volume[];
  /** What the main container gets besides: arguments appended to its own, and mounts. */
  mainContainer?: {
    args?: string[];
    volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
  };
}

/** The metrics of one workload, resolved: what StatefulWorkload builds from. */
export interface WorkloadMetrics {
  exporter: MetricsExporter;
  scrapers: Peer[];
  serviceMonitor?: { labels: Record<string, string>; interval: string; scrapeTimeout?: string };
}

/**
 * The workload's metrics when the caller asked for them (undefined otherwise: metrics are off by
 * default), with the kind's exporter and the defaults applied.
 */
export function metricsFor(
  options: MetricsOptions | undefined,
  exporter: () => MetricsExporter,
): WorkloadMetrics | undefined {
  if (!options) return undefined;
  const sm = options.serviceMonitor;
  return {
    exporter: exporter(),
    scrapers: options.scrapers,
    ...(sm
      ? {
          serviceMonitor: {
            labels: { ...sm.labels },
            interval: sm.interval ?? METRICS_DEFAULTS.interval,
            ...(sm.scrapeTimeout ? { scrapeTimeout: sm.scrapeTimeout } : {}),
          },
        }
      : {}),
  };
}

/** A Prometheus duration (`1h30m`, `30s`, `500ms`), as the ServiceMonitor CRD's pattern allows. */
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_UNITS_MS = [365 * 86400e3, 7 * 86400e3, 86400e3, 3600e3, 60e3, 1e3, 1];

/** Milliseconds of a Prometheus duration, or undefined when it is not one (or is empty). */
export function durationMilliseconds(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || text === "") return undefined;
  return m.slice(1).reduce((sum, part, i) => sum + Number(part ?? 0) * DURATION_UNITS_MS[i], 0);
}

/** What a scrape interval or timeout must be. */
export const DURATION_HINT =
  "must be a Prometheus duration of more than 0, such as 30s, 1m or 1m30s (units ms, s, m, h, d, w, y, largest first)";

/** One bad value under `metrics`, relative to the workload (as WorkloadProblem). */
interface MetricsProblem {
  path: (string | number)[];
  message: string;
  input: unknown;
}

/** Why `metrics.scrapers` must not be empty. */
export const SCRAPERS_REQUIRED =
  "must name at least one scraper (podLabels and/or namespaceLabels of the Prometheus pods): the NetworkPolicy admits nobody else to the metrics port";

/**
 * What the stack-config schema checks of `metrics` by itself, for a program that constructs a
 * component directly: each scraper with a selector; durations that are durations.
 */
export function metricsShapeProblems(m: MetricsOptions | undefined): MetricsProblem[] {
  if (m === undefined) return [];
  const problems: MetricsProblem[] = [];
  (Array.isArray(m.scrapers) ? m.scrapers : []).forEach((peer, i) => {
    if (!peer?.podLabels && !peer?.namespaceLabels) {
      problems.push({
        path: ["metrics", "scrapers", i],
        message: "must set podLabels, namespaceLabels or both",
        input: peer,
      });
    }
  });
  for (const key of ["interval", "scrapeTimeout"] as const) {
    const value = m.serviceMonitor?.[key];
    if (value !== undefined && !durationMilliseconds(value)) {
      problems.push({
        path: ["metrics", "serviceMonitor", key],
        message: DURATION_HINT,
        input: value,
      });
    }
  }
  return problems;
}

/**
 * The rules of `metrics` that the stack file and a program share (the one copy of each): at least
 * one scraper, a timeout within the interval, labels that are not the workload's own.
 */
export function metricsProblems(m: MetricsOptions | undefined): MetricsProblem[] {
  if (m === undefined) return [];
  const problems: MetricsProblem[] = [];
  if (!Array.isArray(m.scrapers) || m.scrapers.length === 0) {
    problems.push({ path: ["metrics", "scrapers"], message: SCRAPERS_REQUIRED, input: m.scrapers });
  }
  const sm = m.serviceMonitor;
  if (!sm) return problems;
  const interval = sm.interval ?? METRICS_DEFAULTS.interval;
  const [intervalMs, timeoutMs] = [interval, sm.scrapeTimeout].map((d) =>
    d === undefined ? undefined : durationMilliseconds(d),
  );
  if (intervalMs && timeoutMs && timeoutMs > intervalMs) {
    problems.push({
      path: ["metrics", "serviceMonitor", "scrapeTimeout"],
      message: `must be at most the interval (${interval}${sm.interval === undefined ? ", the default" : ""}): the Prometheus Operator refuses a ServiceMonitor whose scrapes may outlast their interval`,
      input: sm.scrapeTimeout,
    });
  }
  const own = Object.keys(sm.labels ?? {}).filter((k) => k.startsWith("app.kubernetes.io/"));
  if (own.length > 0) {
    problems.push({
      path: ["metrics", "serviceMonitor", "labels"],
      message: `must not set ${own.join(", ")}: app.kubernetes.io/* labels are the workload's own; use the labels your Prometheus's serviceMonitorSelector asks for (e.g. release)`,
      input: sm.labels,
    });
  }
  return problems;
}

/** The ServiceMonitor's spec: the workload's headless Service, its metrics port, every pod. */
export function serviceMonitorSpec(
  selector: Record<string, string>,
  namespace: string,
  sm: NonNullable<WorkloadMetrics["serviceMonitor"]>,
) {
  return {
    selector: { matchLabels: { ...selector, [METRICS_SERVICE_LABEL]: "true" } },
    namespaceSelector: { matchNames: [namespace] },
    endpoints: [
      {
        port: METRICS_PORT_NAME,
        path: METRICS_PATH,
        interval: sm.interval,
        ...(sm.scrapeTimeout ? { scrapeTimeout: sm.scrapeTimeout } : {}),
      },
    ],
  };
}

/**
 * Readiness and liveness of an exporter: it listens. Neither asks the server: a server that is down
 * is the server's own probes' business, and the exporter reports it in its metrics (`*_up 0`)
 * rather than taking the pod out of its Services.
 */
function listening(): Pick<WorkloadContainer, "readinessProbe" | "livenessProbe"> {
  return {
    readinessProbe: {
      tcpSocket: { port: METRICS_PORT_NAME },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    livenessProbe: {
      tcpSocket: { port: METRICS_PORT_NAME },
      periodSeconds: 20,
      timeoutSeconds: 3,
      failureThreshold: 6,
    },
  };
}

/** The listen address and path flags the Go exporters share (prometheus/exporter-toolkit). */
function webFlags(kind: WorkloadKind): string[] {
  return [`--web.listen-address=:${EXPORTER_PORTS[kind]}`, `--web.telemetry-path=${METRICS_PATH}`];
}

// --- nginx ---------------------------------------------------------------------------------------

/** Where nginx serves `stub_status`: loopback only, so nothing outside the pod can read it. */
export const NGINX_STUB_STATUS_PORT = 8081;
export const NGINX_STUB_STATUS_PATH = "/stub_status";

/**
 * A second server block in nginx's conf.d (the ConfigMap the nginx container mounts): the
 * `stub_status` counters on 127.0.0.1 only, which no Service and no container port exposes.
 */
export function nginxStubStatusConfig(): string {
  return [
    "# Read by the metrics container over the pod's loopback; not reachable from outside the pod.",
    "server {",
    `    listen 127.0.0.1:${NGINX_STUB_STATUS_PORT};`,
    "    server_name _;",
    "    access_log off;",
    `    location = ${NGINX_STUB_STATUS_PATH} {`,
    "        stub_status;",
    "    }",
    "    location / {",
    "        return 404;",
    "    }",
    "}",
    "",
  ].join("\n");
}

/** nginx/nginx-prometheus-exporter, reading the loopback-only `stub_status`. */
export function nginxExporter(): MetricsExporter {
  return {
    port: EXPORTER_PORTS.nginx,
    configData: { "metrics.conf": nginxStubStatusConfig() },
    container: {
      name: METRICS_CONTAINER,
      image: METRICS_DEFAULTS.images.nginx,
      args: [
        `--nginx.scrape-uri=http://127.0.0.1:${NGINX_STUB_STATUS_PORT}${NGINX_STUB_STATUS_PATH}`,
        ...webFlags("nginx"),
      ],
      resources: EXPORTER_RESOURCES.nginx,
      ...listening(),
    },
  };
}

// --- PostgreSQL ----------------------------------------------------------------------------------

/**
 * A second Unix-socket directory of the server, the only thing the exporter mounts: it reaches
 * the server without the shared run directory, which holds the replication role's password file.
 */
export const POSTGRES_METRICS_SOCKET_DIR = "/var/run/postgresql-metrics";
const SOCKET_VOLUME = "metrics-socket";

/** What the PostgreSQL exporter needs of the server, as postgres.ts runs it. */
export interface PostgresServer {
  /** The server's own socket directory, which stays the first one. */
  socketDir: string;
  port: number;
}

/**
 * quay.io/prometheuscommunity/postgres-exporter, connected as `postgres` over the server's Unix
 * socket, where the official image trusts local users (as the readiness probe does): no password
 * reaches the exporter. The server opens a second socket directory (unix_socket_directories) in an
 * in-memory volume that only the server and the exporter mount.
 */
export function postgresExporter(server: PostgresServer): MetricsExporter {
  const socket = { name: SOCKET_VOLUME, mountPath: POSTGRES_METRICS_SOCKET_DIR };
  return {
    port: EXPORTER_PORTS.postgres,
    volumes: [{ name: SOCKET_VOLUME, emptyDir: { medium: "Memory", sizeLimit: "1Mi" } }],
    mainContainer: {
      args: ["-c", `unix_socket_directories=${server.socketDir},${POSTGRES_METRICS_SOCKET_DIR}`],
      volumeMounts: [socket],
    },
    container: {
      name: METRICS_CONTAINER,
      image: METRICS_DEFAULTS.images.postgres,
      args: webFlags("postgres"),
      env: [
        {
          // A libpq key=value connection string without a password: trust on the local socket.
          name: "DATA_SOURCE_NAME",
          value: `host=${POSTGRES_METRICS_SOCKET_DIR} port=${server.port} user=postgres dbname=postgres sslmode=disable`,
        },
      ],
      volumeMounts: [socket],
      resources: EXPORTER_RESOURCES.postgres,
      ...listening(),
    },
  };
}

// --- Redis ---------------------------------------------------------------------------------------

/** The key of the workload's Secret that holds the exporter's password file. */
export const REDIS_EXPORTER_PASSWORD_KEY = "exporter-passwords.json";
/** Where the exporter mounts that key alone. */
export const REDIS_EXPORTER_PASSWORD_FILE = "/etc/redis-exporter/passwords.json";
const REDIS_EXPORTER_AUTH_VOLUME = "metrics-auth";

/** The server the exporter scrapes (the pod's own, on its `port`), as its password file names it. */
export function redisExporterAddress(port: number, tls = false): string {
  return `${tls ? "rediss" : "redis"}://127.0.0.1:${port}`;
}

/**
 * The exporter's `--redis.password-file`: a JSON object from a server's address to its password
 * (redis_exporter's format). It lives in the workload's Secret, as the password itself does.
 */
export function redisExporterPasswordFile(port: number, password: string, tls = false): string {
  return JSON.stringify({ [redisExporterAddress(port, tls)]: password });
}

/**
 * oliver006/redis_exporter. The password never enters its env or argv: it reads the password file
 * (a key of the workload's Secret, mounted alone) at start, and again at every GET of `/-/reload`
 * (since v1.50.0). The readiness probe is that GET: a new password, which the kubelet writes into
 * the mounted file after a change of the Secret, reaches the exporter within one probe period,
 * with no restart. During a rotation Redis accepts the old and the new password side by side (the
 * auth container), so scrapes keep working while the file catches up; if the old one is dropped
 * before the exporter reloaded, scrapes fail (`redis_up 0`) for at most one period.
 *
 * With `tls`, the server speaks TLS only: the exporter connects over TLS to its own pod's loopback
 * address, which the certificate does not name (it names the Services and the pods' DNS names), so
 * it does not verify the certificate; the connection never leaves the pod.
 */
export function redisExporter(
  secretName: string,
  password: pulumi.Input<string>,
  serverPort: number,
  tls = false,
): MetricsExporter {
  return {
    port: EXPORTER_PORTS.redis,
    secretData: {
      [REDIS_EXPORTER_PASSWORD_KEY]: pulumi
        .output(password)
        .apply((p) => redisExporterPasswordFile(serverPort, p, tls)),
    },
    volumes: [
      {
        name: REDIS_EXPORTER_AUTH_VOLUME,
        secret: {
          secretName,
          defaultMode: 0o440,
          items: [{ key: REDIS_EXPORTER_PASSWORD_KEY, path: "passwords.json" }],
        },
      },
    ],
    container: {
      name: METRICS_CONTAINER,
      image: METRICS_DEFAULTS.images.redis,
      args: [
        `--redis.addr=${redisExporterAddress(serverPort, tls)}`,
        `--redis.password-file=${REDIS_EXPORTER_PASSWORD_FILE}`,
        ...(tls ? ["--skip-tls-verification"] : []),
        ...webFlags("redis"),
      ],
      volumeMounts: [
        { name: REDIS_EXPORTER_AUTH_VOLUME, mountPath: "/etc/redis-exporter", readOnly: true },
      ],
      resources: EXPORTER_RESOURCES.redis,
      readinessProbe: {
        // Re-reads the password file: 200 once it is read, 500 while it cannot be.
        httpGet: { path: "/-/reload", port: METRICS_PORT_NAME },
        periodSeconds: 10,
        timeoutSeconds: 2,
        failureThreshold: 3,
      },
      livenessProbe: {
        tcpSocket: { port: METRICS_PORT_NAME },
        periodSeconds: 20,
        timeoutSeconds: 3,
        failureThreshold: 6,
      },
    },
  };
}

// --- Cassandra -----------------------------------------------------------------------------------

/** The key of the workload's ConfigMap that holds the exporter's config. */
export const CASSANDRA_EXPORTER_CONFIG_KEY = "cassandra-exporter.yml";
const CASSANDRA_EXPORTER_CONFIG_DIR = "/etc/cassandra-exporter";
const CASSANDRA_EXPORTER_CONFIG_VOLUME = "metrics-config";
/** JMX of the official image: on the pod's loopback only, without authentication (LOCAL_JMX). */
export const CASSANDRA_JMX_ADDRESS = "127.0.0.1:7199";

/**
 * The exporter's config (criteo/cassandra_exporter's format: only keys its 2.x releases read):
 * JMX on loopback, the port, MBeans never read (RPC-only ones, system keyspaces, the costly
 * attributes), and how often each MBean is read at most: the exporter reads JMX on its own
 * schedule and serves the last values, so a scrape never costs the node more than that.
 */
export function cassandraExporterConfig(): string {
  return [
    `host: ${CASSANDRA_JMX_ADDRESS}`,
    "ssl: False",
    `listenPort: ${EXPORTER_PORTS.cassandra}`,
    "blacklist:",
    "  - java:lang:memorypool:.*usagethreshold.*",
    "  - .*:999thpercentile",
    "  - .*:95thpercentile",
    "  - .*:fifteenminuterate",
    "  - .*:fiveminuterate",
    "  - .*:durationunit",
    "  - .*:rateunit",
    "  - .*:stddev",
    "  - .*:meanrate",
    "  - .*:mean",
    "  - .*:min",
    "  - .*:viewlockacquiretime:.*",
    "  - .*:viewreadtime:.*",
    "  - .*:cas[a-z]+latency:.*",
    "  - .*:colupdatetimedeltahistogram:.*",
    "  - org:apache:cassandra:db:.*",
    "  - org:apache:cassandra:metrics:columnfamily:.*",
    "  - org:apache:cassandra:metrics:[^:]+:system[^:]*:.*",
    "  - com:criteo:nosql:cassandra:exporter:.*",
    "maxScrapeFrequencyInSec:",
    "  50:",
    "    - .*",
    "  3600:",
    "    - .*:snapshotssize:.*",
    "    - .*:estimated.*",
    "    - .*:totaldiskspaceused:.*",
    "",
  ].join("\n");
}

/**
 * criteo/cassandra_exporter (the last release, 2.3.8): a standalone JMX reader, which needs no
 * change to the Cassandra container. The Prometheus JMX exporter publishes no image, and
 * Instaclustr's agent does not run on Cassandra 4 or later. It runs its own JVM, with a small
 * fixed heap inside its limit, started directly (not the image's run.sh, which edits its config
 * in place); until the node's JMX answers it serves no Cassandra metrics and retries every second.
 */
export function cassandraExporter(configMap: string): MetricsExporter {
  return {
    port: EXPORTER_PORTS.cassandra,
    configData: { [CASSANDRA_EXPORTER_CONFIG_KEY]: cassandraExporterConfig() },
    volumes: [
      {
        name: CASSANDRA_EXPORTER_CONFIG_VOLUME,
        configMap: {
          name: configMap,
          items: [{ key: CASSANDRA_EXPORTER_CONFIG_KEY, path: "config.yml" }],
        },
      },
    ],
    container: {
      name: METRICS_CONTAINER,
      image: METRICS_DEFAULTS.images.cassandra,
      command: [
        "java",
        "-Xms64m",
        "-Xmx128m",
        "-XX:MaxMetaspaceSize=64m",
        "-XX:+UseSerialGC",
        "-XX:-UsePerfData",
        "-jar",
        "/opt/cassandra_exporter/cassandra_exporter.jar",
        `${CASSANDRA_EXPORTER_CONFIG_DIR}/config.yml`,
      ],
      volumeMounts: [
        {
          name: CASSANDRA_EXPORTER_CONFIG_VOLUME,
          mountPath: CASSANDRA_EXPORTER_CONFIG_DIR,
          readOnly: true,
        },
      ],
      resources: EXPORTER_RESOURCES.cassandra,
      ...listening(),
    },
  };
}
