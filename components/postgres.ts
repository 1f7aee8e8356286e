// PostgreSQL as a StatefulSet: pod 0 initialises the primary; every other pod clones it with
// pg_basebackup on its first start and then streams from it as a hot-standby read replica. Three
// generated passwords (superuser, application role, replication role) live only in the workload's
// Secret and reach the containers through secretKeyRef.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { assertValidWorkload } from "./workloadRules";
import { POSTGRES_DEFAULTS } from "./defaults";
import { objectNames } from "./names";
import { mebibytes } from "./quantity";
import { StatefulWorkload } from "./statefulWorkload";
import {
  BaseWorkloadArgs,
  fieldEnv,
  firstPodDnsName,
  resolveWorkloadArgs,
  secretEnv,
} from "./workloadArgs";

export const POSTGRES_PORT = 5432;
/** The claim's mount; PGDATA is a subdirectory, so the volume's lost+found never upsets initdb. */
const MOUNT = "/var/lib/postgresql/data";
export const PGDATA = `${MOUNT}/pgdata`;
const INITDB_DIR = "/docker-entrypoint-initdb.d";
const SCRIPTS_DIR = "/scripts";
/** Seconds pg_isready waits; each probe's own timeout is one second longer. */
const ISREADY_TIMEOUT = 2;
/** Where the official image's server puts its Unix socket (trust authentication for local users). */
const SOCKET_DIR = "/var/run/postgresql";
/** Seconds a replica's readiness check may take to connect over the socket (libpq's least useful value). */
const RECEIVER_CONNECT_TIMEOUT = 2;
/** Milliseconds the replica's readiness query may run. */
const RECEIVER_STATEMENT_TIMEOUT_MS = 1000;
/**
 * The longest the readiness script can run: pg_isready, then on a replica the connection and the
 * query one after the other. The readiness probe's own timeout is one second longer.
 */
export const POSTGRES_READINESS_SECONDS =
  ISREADY_TIMEOUT + RECEIVER_CONNECT_TIMEOUT + RECEIVER_STATEMENT_TIMEOUT_MS / 1000;

/** The Secret keys (the Secret is `<name>-auth`). */
export const POSTGRES_SECRET_KEYS = {
  /** The `postgres` superuser's password. */
  superuser: "postgres-password",
  /** The application role's password. */
  user: "password",
  /** The replication role's password. */
  replication: "replication-password",
} as const;

/** Arguments of a PostgreSQL workload; see BaseWorkloadArgs for the fields every kind shares. */
export interface PostgresArgs extends BaseWorkloadArgs {
  /**
   * The application database, created on the primary at initialisation and owned by `user`.
   * @default "app"
   */
  database?: string;
  /**
   * The application role (not a superuser), with a generated password.
   * @default "app"
   */
  user?: string;
}

/**
 * Sourced by the image's entrypoint once, on the primary's first start: creates the application
 * role and database and the replication role, and lets the replication role in. Passwords come from
 * the environment through psql's \getenv, so they never appear on a command line.
 *
 * The server logs a failing statement's text (log_min_error_statement defaults to `error`), and a
 * failing CREATE ROLE ... PASSWORD would reach the logs with the password filled in. So before any
 * statement that carries a password, the session stops logging statement texts: on error
 * (log_min_error_statement), always (log_statement) and by duration (log_min_duration_statement).
 * These are superuser settings, and $POSTGRES_USER is the superuser.
 */
export const POSTGRES_INIT_SCRIPT = [
  "# Runs once, on the primary's first start (sourced by docker-entrypoint.sh after initdb).",
  "psql -v ON_ERROR_STOP=1 --username \"$POSTGRES_USER\" --dbname postgres <<'EOSQL'",
  "SET log_min_error_statement = panic;",
  "SET log_statement = 'none';",
  "SET log_min_duration_statement = -1;",
  "\\getenv app_user APP_USER",
  "\\getenv app_password APP_PASSWORD",
  "\\getenv app_database APP_DATABASE",
  "\\getenv repl_user REPLICATION_USER",
  "\\getenv repl_password REPLICATION_PASSWORD",
  "CREATE ROLE :\"app_user\" LOGIN PASSWORD :'app_password';",
  'CREATE DATABASE :"app_database" OWNER :"app_user";',
  "CREATE ROLE :\"repl_user\" WITH REPLICATION LOGIN PASSWORD :'repl_password';",
  "EOSQL",
  'printf \'host replication %s all scram-sha-256\\n\' "$REPLICATION_USER" >> "$PGDATA/pg_hba.conf"',
  "",
].join("\n");

/**
 * The init container of every pod: on a replica's first start, clone the primary with
 * `pg_basebackup -R` (which writes standby.signal and primary_conninfo), into a scratch directory
 * first so that an interrupted clone is retried from scratch rather than started half-copied.
 */
export const POSTGRES_CLONE_SCRIPT = [
  "set -eu",
  'if [ "${POD_NAME##*-}" = 0 ]; then echo "pod 0 is the primary: nothing to clone"; exit 0; fi',
  'if [ -s "$PGDATA/PG_VERSION" ]; then echo "already a replica: streaming resumes"; exit 0; fi',
  `until pg_isready -h "$PRIMARY_HOST" -p ${POSTGRES_PORT} -t ${ISREADY_TIMEOUT}; do`,
  '  echo "waiting for the primary $PRIMARY_HOST"; sleep 2',
  "done",
  'rm -rf "$PGDATA.clone"',
  `PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -p ${POSTGRES_PORT} \\`,
  '  -U "$REPLICATION_USER" -D "$PGDATA.clone" -R -X stream --checkpoint=fast --no-password',
  'rm -rf "$PGDATA"',
  'mv "$PGDATA.clone" "$PGDATA"',
  "",
].join("\n");

const PG_ISREADY = [
  "pg_isready",
  "-h",
  "127.0.0.1",
  "-p",
  String(POSTGRES_PORT),
  "-U",
  "postgres",
  "-d",
  "postgres",
  "-t",
  String(ISREADY_TIMEOUT),
];

/**
 * Readiness. Every pod must accept connections (pg_isready). A replica must also be streaming from
 * the primary: pg_isready passes on any consistent standby, including one whose WAL receiver has
 * stopped (it fell further behind than wal_keep_size, it kept a claim from an earlier primary, the
 * primary was initialised again), which would serve stale reads for ever. The query goes over the
 * local Unix socket as `postgres` (trust authentication there in the official image, so no password
 * is involved) with bounded connect and statement times. Pod 0, the primary, has no WAL receiver.
 */
export const POSTGRES_READINESS_SCRIPT = [
  `${PG_ISREADY.join(" ")} || exit 1`,
  'if [ "${POD_NAME##*-}" = 0 ]; then exit 0; fi',
  `status=$(PGCONNECT_TIMEOUT=${RECEIVER_CONNECT_TIMEOUT} PGOPTIONS='-c statement_timeout=${RECEIVER_STATEMENT_TIMEOUT_MS}' \\`,
  `  psql -X -w -q -A -t -h ${SOCKET_DIR} -p ${POSTGRES_PORT} -U postgres -d postgres \\`,
  "  -c 'SELECT status FROM pg_stat_wal_receiver') || exit 1",
  'if [ "$status" != streaming ]; then echo "WAL receiver: ${status:-not running}"; exit 1; fi',
  "",
].join("\n");

/** Server settings from the container's memory: shared buffers a quarter of the request. */
export function postgresSettings(resources: {
  requests: { memory: string };
  limits: { memory: string };
}): Record<string, string> {
  const request = mebibytes(resources.requests.memory)!;
  const limit = mebibytes(resources.limits.memory)!;
  return {
    listen_addresses: "*",
    shared_buffers: `${Math.max(32, Math.floor(request / 4))}MB`,
    effective_cache_size: `${Math.max(64, Math.floor((limit * 3) / 4))}MB`,
    wal_level: "replica",
    max_wal_senders: "10",
    wal_keep_size: POSTGRES_DEFAULTS.walKeepSize,
    hot_standby: "on",
  };
}

export class Postgres extends pulumi.ComponentResource {
  public readonly workload: StatefulWorkload;
  public readonly serviceDnsName: pulumi.Output<string>;
  public readonly podDnsNames: pulumi.Output<string[]>;
  /** Pod 0's stable DNS name: the primary, the only pod that takes writes. */
  public readonly primaryDnsName: pulumi.Output<string>;
  /** `postgresql://<user>:<password>@<primary>:5432/<database>`, a Pulumi secret. */
  public readonly connectionString: pulumi.Output<string>;
  /** The application role's password, a Pulumi secret. */
  public readonly password: pulumi.Output<string>;
  /** Where pods find the application role's password: the Secret's name and key. */
  public readonly passwordSecret: { name: string; key: string };

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidWorkload("Postgres", name, { kind: "postgres", ...args });
    super("stateful:workloads:Postgres", name, {}, opts);
    const { image, resources, storage, ...shared } = resolveWorkloadArgs("postgres", name, args);
    const database = args.database ?? POSTGRES_DEFAULTS.database;
    const user = args.user ?? POSTGRES_DEFAULTS.user;
    const names = objectNames(shared.name);
    const primary = firstPodDnsName(shared);
    const keys = POSTGRES_SECRET_KEYS;

    const generated = (what: string) =>
      new random.RandomPassword(
        `${name}-${what}-password`,
        { length: 32, special: false },
        { parent: this },
      ).result;
    const superuserPassword = generated("superuser");
    const userPassword = generated("user");
    const replicationPassword = generated("replication");

    const common = [
      fieldEnv("POD_NAME", "metadata.name"),
      { name: "PGDATA", value: PGDATA },
      { name: "PRIMARY_HOST", value: primary },
      { name: "REPLICATION_USER", value: POSTGRES_DEFAULTS.replicationUser },
      secretEnv("REPLICATION_PASSWORD", names.secret, keys.replication),
    ];
    const env = [
      ...common,
      secretEnv("POSTGRES_PASSWORD", names.secret, keys.superuser),
      { name: "POSTGRES_INITDB_ARGS", value: "--data-checksums" },
      { name: "APP_DATABASE", value: database },
      { name: "APP_USER", value: user },
      secretEnv("APP_PASSWORD", names.secret, keys.user),
    ];
    const isReady = PG_ISREADY;
    const settings = postgresSettings(resources);
    const shmMiB = Math.max(64, Math.floor(mebibytes(resources.requests.memory)! / 4));
    const stopWithin = Math.max(5, shared.terminationGracePeriodSeconds - 10);

    this.workload = new StatefulWorkload(
      name,
      {
        ...shared,
        app: "postgresql",
        component: "database",
        ports: [{ name: "postgresql", port: POSTGRES_PORT }],
        storage: { ...storage, mountPath: MOUNT },
        configData: { "10-roles.sh": POSTGRES_INIT_SCRIPT, "clone.sh": POSTGRES_CLONE_SCRIPT },
        secretData: {
          [keys.superuser]: superuserPassword,
          [keys.user]: userPassword,
          [keys.replication]: replicationPassword,
        },
        volumes: [
          {
            name: "initdb",
            configMap: {
              name: names.configMap,
              items: [{ key: "10-roles.sh", path: "10-roles.sh" }],
            },
          },
          {
            name: "scripts",
            configMap: { name: names.configMap, items: [{ key: "clone.sh", path: "clone.sh" }] },
          },
          // Parallel queries share memory through /dev/shm, which a container gets only 64Mi of.
          { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: `${shmMiB}Mi` } },
        ],
        initContainers: [
          {
            name: "clone-primary",
            image: image,
            command: ["bash", `${SCRIPTS_DIR}/clone.sh`],
            env: common,
            resources: resources,
            volumeMounts: [
              { name: "data", mountPath: MOUNT },
              { name: "scripts", mountPath: SCRIPTS_DIR, readOnly: true },
            ],
          },
        ],
        containers: [
          {
            name: "postgresql",
            image: image,
            args: [
              "postgres",
              ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
            ],
            env,
            resources: resources,
            volumeMounts: [
              { name: "data", mountPath: MOUNT },
              { name: "initdb", mountPath: INITDB_DIR, readOnly: true },
              { name: "dshm", mountPath: "/dev/shm" },
            ],
            startupProbe: {
              exec: { command: isReady },
              periodSeconds: 10,
              timeoutSeconds: ISREADY_TIMEOUT + 1,
              failureThreshold: Math.ceil(shared.startupSeconds / 10),
            },
            readinessProbe: {
              exec: { command: ["sh", "-c", POSTGRES_READINESS_SCRIPT] },
              periodSeconds: 10,
              timeoutSeconds: POSTGRES_READINESS_SECONDS + 1,
              failureThreshold: 3,
            },
            // Liveness asks only whether the server answers: a replica that stopped streaming is
            // taken out of service by readiness, and restarting it would not bring its stream back.
            livenessProbe: {
              exec: { command: isReady },
              periodSeconds: 20,
              timeoutSeconds: ISREADY_TIMEOUT + 3,
              failureThreshold: 6,
            },
            lifecycle: {
              // A fast shutdown (roll back open transactions, checkpoint, exit) rather than the
              // smart one SIGTERM asks for, which waits for every client to leave.
              preStop: {
                exec: {
                  command: ["sh", "-c", `pg_ctl stop -D "$PGDATA" -m fast -w -t ${stopWithin}`],
                },
              },
            },
          },
        ],
      },
      { parent: this },
    );

    this.serviceDnsName = this.workload.serviceDnsName;
    this.podDnsNames = this.workload.podDnsNames;
    this.primaryDnsName = pulumi.output(primary);
    this.password = pulumi.secret(userPassword);
    this.passwordSecret = { name: names.secret, key: keys.user };
    this.connectionString = pulumi.secret(
      pulumi.interpolate`postgresql://${user}:${userPassword}@${primary}:${POSTGRES_PORT}/${database}`,
    );
    this.registerOutputs({
      serviceDnsName: this.serviceDnsName,
      podDnsNames: this.podDnsNames,
      primaryDnsName: this.primaryDnsName,
      connectionString: this.connectionString,
      password: this.password,
    });
  }
}
