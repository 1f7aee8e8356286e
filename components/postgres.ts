// PostgreSQL as a StatefulSet: pod 0 initialises the primary; every other pod clones it with
// pg_basebackup on its first start and then streams from it as a hot-standby read replica. Three
// generated passwords (superuser, application role, replication role) live only in the workload's
// Secret, mounted as files: the Secret is the source of truth at every start and after every change,
// not only on the first boot. A `reconcile` sidecar applies it to the live primary's roles and
// keeps each pod's replication passfile current.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { assertValidWorkload } from "./workloadRules";
import { POSTGRES_DEFAULTS } from "./defaults";
import { objectNames } from "./names";
import { mebibytes } from "./quantity";
import { StatefulWorkload } from "./statefulWorkload";
import { BaseWorkloadArgs, fieldEnv, firstPodDnsName, resolveWorkloadArgs } from "./workloadArgs";

export const POSTGRES_PORT = 5432;
/** The claim's mount; PGDATA is a subdirectory, so the volume's lost+found never upsets initdb. */
const MOUNT = "/var/lib/postgresql/data";
export const PGDATA = `${MOUNT}/pgdata`;
const SCRIPTS_DIR = "/scripts";
/** Where the Secret's keys are mounted as files (the kubelet refreshes them after a change). */
export const POSTGRES_SECRETS_DIR = "/etc/postgresql-auth";
/** Seconds pg_isready waits; each probe's own timeout is one second longer. */
const ISREADY_TIMEOUT = 2;
/**
 * Where the official image's server puts its Unix socket (trust authentication for local users):
 * an emptyDir shared by the server, the init container and the sidecar.
 */
export const POSTGRES_RUN_DIR = "/var/run/postgresql";
/** The replication role's libpq password file, read by the WAL receiver at every connection. */
export const POSTGRES_REPLICATION_PASSFILE = `${POSTGRES_RUN_DIR}/replication.pgpass`;
/** Written by the sidecar once the primary's roles match the Secret (or the server is a replica). */
export const POSTGRES_RECONCILED_MARKER = `${POSTGRES_RUN_DIR}/reconciled`;
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

/** The Secret keys (the Secret is `<name>-auth`); each is also a file in POSTGRES_SECRETS_DIR. */
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
   * The application database, created on the primary if missing and owned by `user`.
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
 * Shell functions both pod scripts share. `secret KEY` prints a mounted Secret file;
 * `write_passfile` (re)writes the replication role's password file atomically, mode 0600 and owned
 * by the server's user (libpq ignores a password file that others can read). Passwords go through
 * shell built-ins and pipes only, never a command's arguments.
 */
const SHARED_FUNCTIONS = [
  'secret() { cat "$SECRETS_DIR/$1"; }',
  "write_passfile() {",
  `  _pw=$(secret ${POSTGRES_SECRET_KEYS.replication}) && [ -n "$_pw" ] || return 1`,
  "  _pw=$(printf '%s' \"$_pw\" | sed 's/[\\\\:]/\\\\&/g')",
  '  (umask 077 && printf \'*:*:*:%s:%s\\n\' "$REPLICATION_USER" "$_pw" > "$REPLICATION_PASSFILE.new") &&',
  '    mv -f "$REPLICATION_PASSFILE.new" "$REPLICATION_PASSFILE"',
  "}",
];

/**
 * The init container of every pod, at every start:
 * 1. A data directory of another major version than the server's stops the pod here, with one log
 *    line that says what to do, and sleeps: the pod stays in Init and the rollout stops at it,
 *    instead of a crash loop on "database files are incompatible with server".
 * 2. Writes the replication passfile from the mounted Secret.
 * 3. On a replica's first start, clones the primary with pg_basebackup into a scratch directory (an
 *    interrupted clone starts over rather than leaving half a data directory), retrying until the
 *    primary lets it in.
 * 4. On every replica, writes standby.signal and its own primary_conninfo, which names the passfile
 *    rather than holding the password (one written by an earlier `pg_basebackup -R` is replaced).
 */
export const POSTGRES_CLONE_SCRIPT = [
  "set -eu",
  // bash is the container's PID 1, which ignores SIGTERM unless it traps it: without this, a pod
  // deleted while it waits for the primary would wait out its whole grace period.
  "trap 'exit 143' TERM INT",
  ...SHARED_FUNCTIONS,
  "halt() {",
  '  echo "$1"',
  "  trap 'exit 1' TERM INT",
  "  while :; do sleep 3600 & wait $!; done",
  "}",
  "server_major=$(postgres -V | sed -n 's/^[^0-9]*\\([0-9][0-9]*\\).*$/\\1/p')",
  'if [ -s "$PGDATA/PG_VERSION" ]; then',
  '  data_major=$(cat "$PGDATA/PG_VERSION")',
  '  if [ "$data_major" != "$server_major" ]; then',
  '    halt "NOT STARTING: $PGDATA holds a PostgreSQL $data_major data directory and this image runs PostgreSQL $server_major; set the image back to a $data_major.x tag, or upgrade the data first (README, PostgreSQL: major version upgrade)"',
  "  fi",
  "fi",
  'write_passfile || { echo "no replication password in $SECRETS_DIR"; exit 1; }',
  'if [ "${POD_NAME##*-}" = 0 ]; then echo "pod 0 is the primary: nothing to clone"; exit 0; fi',
  'if [ -s "$PGDATA/PG_VERSION" ]; then',
  '  echo "already a replica: streaming resumes"',
  "else",
  `  until pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -t ${ISREADY_TIMEOUT}; do`,
  '    echo "waiting for the primary $PRIMARY_HOST"; sleep 2 & wait $!',
  "  done",
  "  until",
  '    rm -rf "$PGDATA.clone"',
  '    PGPASSFILE="$REPLICATION_PASSFILE" pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" \\',
  '      -U "$REPLICATION_USER" -D "$PGDATA.clone" -X stream --checkpoint=fast --no-password',
  "  do",
  '    echo "cloning the primary failed: retrying in 5s"; sleep 5 & wait $!; write_passfile || :',
  "  done",
  '  rm -rf "$PGDATA"',
  '  mv "$PGDATA.clone" "$PGDATA"',
  '  echo "cloned the primary $PRIMARY_HOST"',
  "fi",
  'conf="$PGDATA/postgresql.auto.conf"',
  'if grep -Eq "^[[:space:]]*primary_conninfo[[:space:]]*=.*password=" "$conf" 2>/dev/null; then',
  '  echo "removing the replication password from primary_conninfo: it now reads $REPLICATION_PASSFILE"',
  "fi",
  "{",
  "  grep -Ev '^[[:space:]]*primary_conninfo[[:space:]]*=' \"$conf\" 2>/dev/null || :",
  `  printf "primary_conninfo = 'host=%s port=%s user=%s passfile=%s application_name=%s'\\n" \\`,
  '    "$PRIMARY_HOST" "$PRIMARY_PORT" "$REPLICATION_USER" "$REPLICATION_PASSFILE" "$POD_NAME"',
  '} > "$conf.new"',
  'chmod 600 "$conf.new"',
  'mv -f "$conf.new" "$conf"',
  'touch "$PGDATA/standby.signal"',
  "",
].join("\n");

/**
 * What the sidecar runs, as `postgres` over the local socket, to make a primary's roles match the
 * Secret: the superuser's password, the application role (LOGIN, password) and its database
 * (created if missing, owned by the role), the replication role (REPLICATION LOGIN, password).
 * Passwords come from the environment through psql's \getenv, so they are never on a command line.
 *
 * The server logs a failing statement's text (log_min_error_statement defaults to `error`), and a
 * failing ALTER ROLE ... PASSWORD would reach the logs with the password filled in. So before any
 * statement that carries a password, the session stops logging statement texts: on error
 * (log_min_error_statement), always (log_statement) and by duration (log_min_duration_statement).
 * These are superuser settings.
 */
export const POSTGRES_RECONCILE_SQL = [
  "SET log_min_error_statement = panic;",
  "SET log_statement = 'none';",
  "SET log_min_duration_statement = -1;",
  "\\getenv superuser_password POSTGRES_PASSWORD",
  "\\getenv app_user APP_USER",
  "\\getenv app_password APP_PASSWORD",
  "\\getenv app_database APP_DATABASE",
  "\\getenv repl_user REPLICATION_USER",
  "\\getenv repl_password REPLICATION_PASSWORD",
  "ALTER ROLE postgres PASSWORD :'superuser_password';",
  "SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') AS missing \\gset",
  "\\if :missing",
  "CREATE ROLE :\"app_user\" LOGIN PASSWORD :'app_password';",
  "\\else",
  "ALTER ROLE :\"app_user\" LOGIN PASSWORD :'app_password';",
  "\\endif",
  "SELECT NOT EXISTS (SELECT FROM pg_database WHERE datname = :'app_database') AS missing \\gset",
  "\\if :missing",
  'CREATE DATABASE :"app_database" OWNER :"app_user";',
  "\\else",
  'ALTER DATABASE :"app_database" OWNER TO :"app_user";',
  "\\endif",
  "SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'repl_user') AS missing \\gset",
  "\\if :missing",
  "CREATE ROLE :\"repl_user\" REPLICATION LOGIN PASSWORD :'repl_password';",
  "\\else",
  "ALTER ROLE :\"repl_user\" REPLICATION LOGIN PASSWORD :'repl_password';",
  "\\endif",
  "SELECT pg_reload_conf() AS reloaded \\gset",
  "",
].join("\n");

/**
 * The `reconcile` sidecar of every pod. It polls (every RECONCILE_INTERVAL seconds) the mounted
 * Secret, which the kubelet updates in place after a change, and the local server over the Unix
 * socket. Whenever the Secret's files differ from what it last applied (and at start):
 * - on every pod it rewrites the replication passfile, which a replica's WAL receiver reads at its
 *   next connection: a new replication password needs no restart, so no rollout can deadlock on it;
 * - on a primary (pg_is_in_recovery() false) it lets the replication role in through pg_hba.conf if
 *   no line does yet, and runs POSTGRES_RECONCILE_SQL, with the passwords in psql's environment only.
 * It becomes ready (the marker file) once the first reconcile on a primary succeeded, or once the
 * server answers as a replica, which has nothing to reconcile: its roles are the primary's.
 */
export const POSTGRES_RECONCILE_SCRIPT = [
  "set -u",
  ...SHARED_FUNCTIONS,
  "trap 'exit 0' TERM INT",
  'interval="${RECONCILE_INTERVAL:-10}"',
  "reconcile() {",
  '  hba="$PGDATA/pg_hba.conf"',
  '  if ! grep -Eq "^host[[:space:]]+replication[[:space:]]+$REPLICATION_USER[[:space:]]" "$hba"; then',
  '    printf \'host replication %s all scram-sha-256\\n\' "$REPLICATION_USER" >> "$hba" || return 1',
  '    echo "pg_hba.conf: let $REPLICATION_USER in for replication"',
  "  fi",
  `  _su=$(secret ${POSTGRES_SECRET_KEYS.superuser}) && [ -n "$_su" ] || return 1`,
  `  _app=$(secret ${POSTGRES_SECRET_KEYS.user}) && [ -n "$_app" ] || return 1`,
  `  _repl=$(secret ${POSTGRES_SECRET_KEYS.replication}) && [ -n "$_repl" ] || return 1`,
  '  POSTGRES_PASSWORD="$_su" APP_PASSWORD="$_app" REPLICATION_PASSWORD="$_repl" \\',
  "    psql -X -w -q -v ON_ERROR_STOP=1 -U postgres -d postgres <<'EOSQL'",
  POSTGRES_RECONCILE_SQL + "EOSQL",
  "}",
  'rm -f "$RECONCILED_MARKER"',
  "applied= passfile_for= waiting=",
  "while :; do",
  `  fingerprint=$(cd "$SECRETS_DIR" && cat ${Object.values(POSTGRES_SECRET_KEYS).join(" ")} | sha256sum) || fingerprint=`,
  '  if [ -n "$fingerprint" ] && [ "$fingerprint" != "$passfile_for" ]; then',
  '    if write_passfile; then passfile_for=$fingerprint; echo "wrote the replication passfile from the Secret"; fi',
  "  fi",
  "  recovery=$(psql -X -w -q -A -t -U postgres -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null) || recovery=",
  "  case $recovery in",
  "    t)",
  '      if [ ! -e "$RECONCILED_MARKER" ]; then',
  '        touch "$RECONCILED_MARKER"; echo "a replica: its roles are the primary\'s, nothing to reconcile"',
  "      fi",
  "      applied= ;;",
  "    f)",
  '      if [ -n "$fingerprint" ] && [ "$fingerprint" != "$applied" ]; then',
  "        if reconcile; then",
  "          applied=$fingerprint",
  '          touch "$RECONCILED_MARKER"',
  '          echo "reconciled the roles with the Secret: postgres, $APP_USER (database $APP_DATABASE), $REPLICATION_USER"',
  "        else",
  '          echo "reconciling the roles with the Secret failed: retrying in ${interval}s"',
  "        fi",
  "      fi ;;",
  "    *)",
  '      if [ -z "$waiting" ]; then echo "waiting for the server on $PGHOST"; waiting=1; fi ;;',
  "  esac",
  '  sleep "$interval" & wait $!',
  "done",
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
  `  psql -X -w -q -A -t -h ${POSTGRES_RUN_DIR} -p ${POSTGRES_PORT} -U postgres -d postgres \\`,
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

/** The sidecar's requests and limits: a shell loop and, now and then, one psql. */
export const RECONCILE_RESOURCES = {
  requests: { cpu: "10m", memory: "32Mi" },
  limits: { memory: "64Mi" },
};

/** What to do instead of changing the major version of a running PostgreSQL. */
export const MAJOR_UPGRADE =
  "data files of one major version do not start under another; deploy a new workload on the new " +
  "version and move the data (README, PostgreSQL: major version upgrade)";

/**
 * The major version in an image's tag (`postgres:17.2-bookworm` → "17", `postgres:9.6` → "9.6"),
 * or undefined when the tag does not say (an image pinned by digest alone, a custom tag).
 */
export function postgresMajorVersion(image: string): string | undefined {
  const tag = /:([^/@]+)(@|$)/.exec(image)?.[1];
  const version = tag && /^(\d+)(\.(\d+))?/.exec(tag);
  if (!version) return undefined;
  const major = Number(version[1]);
  // Before 10, the major version had two parts (9.6); since 10, one.
  return major < 10 && version[3] !== undefined ? `${major}.${version[3]}` : String(major);
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

    // Every container finds the Secret's keys as files, which the kubelet refreshes in place after
    // a change; env vars from secretKeyRef would keep the old values until the pod restarts.
    const podEnv = [
      fieldEnv("POD_NAME", "metadata.name"),
      { name: "PGDATA", value: PGDATA },
      { name: "SECRETS_DIR", value: POSTGRES_SECRETS_DIR },
      { name: "REPLICATION_USER", value: POSTGRES_DEFAULTS.replicationUser },
      { name: "REPLICATION_PASSFILE", value: POSTGRES_REPLICATION_PASSFILE },
    ];
    const app = [
      { name: "APP_DATABASE", value: database },
      { name: "APP_USER", value: user },
    ];
    const env = [
      fieldEnv("POD_NAME", "metadata.name"),
      { name: "PGDATA", value: PGDATA },
      // Read by the image's entrypoint for initdb only; the sidecar applies every later change.
      {
        name: "POSTGRES_PASSWORD_FILE",
        value: `${POSTGRES_SECRETS_DIR}/${keys.superuser}`,
      },
      { name: "POSTGRES_INITDB_ARGS", value: "--data-checksums" },
      ...app,
    ];
    const isReady = PG_ISREADY;
    const settings = postgresSettings(resources);
    const shmMiB = Math.max(64, Math.floor(mebibytes(resources.requests.memory)! / 4));
    const stopWithin = Math.max(5, shared.terminationGracePeriodSeconds - 10);
    const mounts = {
      data: { name: "data", mountPath: MOUNT },
      run: { name: "run", mountPath: POSTGRES_RUN_DIR },
      auth: { name: "auth", mountPath: POSTGRES_SECRETS_DIR, readOnly: true },
      scripts: { name: "scripts", mountPath: SCRIPTS_DIR, readOnly: true },
    };

    const major = postgresMajorVersion(image);
    this.workload = new StatefulWorkload(
      name,
      {
        ...shared,
        app: "postgresql",
        component: "database",
        // A data directory starts only under the major version that wrote it: the guard refuses a
        // change at preview (the init container is the backstop for images pinned by digest).
        fixedAfterStart: major
          ? { "PostgreSQL major version": { value: major, instead: MAJOR_UPGRADE } }
          : {},
        ports: [{ name: "postgresql", port: POSTGRES_PORT }],
        storage: { ...storage, mountPath: MOUNT },
        configData: {
          "clone.sh": POSTGRES_CLONE_SCRIPT,
          "reconcile.sh": POSTGRES_RECONCILE_SCRIPT,
        },
        secretData: {
          [keys.superuser]: superuserPassword,
          [keys.user]: userPassword,
          [keys.replication]: replicationPassword,
        },
        volumes: [
          { name: "scripts", configMap: { name: names.configMap } },
          {
            name: "auth",
            secret: {
              secretName: names.secret,
              defaultMode: 0o440,
              items: Object.values(keys).map((key) => ({ key, path: key })),
            },
          },
          // The server's socket, the passfile and the sidecar's marker: shared by the containers,
          // gone with the pod, in memory.
          { name: "run", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
          // Parallel queries share memory through /dev/shm, which a container gets only 64Mi of.
          { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: `${shmMiB}Mi` } },
        ],
        initContainers: [
          {
            name: "clone-primary",
            image: image,
            command: ["bash", `${SCRIPTS_DIR}/clone.sh`],
            env: [
              ...podEnv,
              { name: "PRIMARY_HOST", value: primary },
              { name: "PRIMARY_PORT", value: String(POSTGRES_PORT) },
            ],
            resources: resources,
            volumeMounts: [mounts.data, mounts.run, mounts.auth, mounts.scripts],
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
              mounts.data,
              mounts.run,
              mounts.auth,
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
          {
            name: "reconcile",
            image: image,
            command: ["bash", `${SCRIPTS_DIR}/reconcile.sh`],
            env: [
              ...podEnv,
              ...app,
              { name: "PGHOST", value: POSTGRES_RUN_DIR },
              { name: "PGPORT", value: String(POSTGRES_PORT) },
              { name: "RECONCILED_MARKER", value: POSTGRES_RECONCILED_MARKER },
            ],
            resources: RECONCILE_RESOURCES,
            volumeMounts: [mounts.data, mounts.run, mounts.auth, mounts.scripts],
            // Ready once the primary's roles match the Secret: pod 0 joins the Service, and pod 1
            // starts cloning, only when the replication role can log in.
            readinessProbe: {
              exec: { command: ["test", "-e", POSTGRES_RECONCILED_MARKER] },
              periodSeconds: 5,
              failureThreshold: 1,
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
