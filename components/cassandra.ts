// Cassandra as a StatefulSet: a ring whose seeds are the first pods' stable DNS names, one node per
// pod, joined one at a time (OrderedReady), discovered through a headless Service that publishes
// pods before they are ready, drained before they stop, and never disrupted below quorum.
// Clients log in (PasswordAuthenticator) as a superuser whose password lives only in the workload's
// Secret, applied by an `admin` sidecar that also disables the default role; with `tls`, clients
// connect over TLS only, and a renewed certificate is loaded without a restart.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { assertValidWorkload } from "./workloadRules";
import { cassandraExporter, metricsFor } from "./metrics";
import {
  CASSANDRA_DEFAULTS,
  CASSANDRA_MEMORY_RESERVE,
  cassandraDirectMiB,
  cassandraHeapCeilingMiB,
} from "./defaults";
import { objectNames, podDnsNames } from "./names";
import { mebibytes } from "./quantity";
import { StatefulWorkload } from "./statefulWorkload";
import { TLS_DIR, TLS_FILES, tlsMount } from "./tls";
import { BaseWorkloadArgs, fieldEnv, resolveWorkloadArgs } from "./workloadArgs";

export const CQL_PORT = 9042;
export const INTRA_NODE_PORT = 7000;
const DATA = "/var/lib/cassandra";
/** The heap of a nodetool JVM, which runs inside the server's container and memory limit. */
const NODETOOL_HEAP_MIB = CASSANDRA_MEMORY_RESERVE.nodetoolHeap;
/**
 * nodetool starts its own JVM with `-Xmx$MAX_HEAP_SIZE`, and the container's MAX_HEAP_SIZE is the
 * server's heap: every probe and hook sets a small one, so nodetool never claims the server's memory.
 */
export const NODETOOL_ENV = `MAX_HEAP_SIZE=${NODETOOL_HEAP_MIB}M`;
/** Seconds the readiness probe's connection to the CQL port may take; the probe's timeout is one more. */
const CQL_CONNECT_TIMEOUT = 2;
/** Seconds between readiness probes: a shell and one local connection, no JVM. */
const READINESS_PERIOD = 10;
/**
 * Written on the node's claim the first time it is ready: the node has joined the ring, so its own
 * address is a valid seed from then on.
 */
export const JOINED_MARKER = `${DATA}/.joined`;
const STARTUP_PERIOD = 10;

/** Arguments of a Cassandra workload; see BaseWorkloadArgs for the fields every kind shares. */
export interface CassandraArgs extends BaseWorkloadArgs {
  /**
   * How many of the first pods are seeds (at least 1, at most replicas). Fix it before the first
   * start: a seed never bootstraps (streams its share of the data from the ring) when it first
   * joins, so a pod that becomes a seed before its first start, such as pod 1 when a one-pod ring
   * with the default (then 1 seed) grows to 3 pods (then 2), or a seed whose claim is lost, joins
   * empty and owns token ranges it has no data for until a repair.
   * @default 2, or replicas when fewer
   */
  seeds?: number;
  /**
   * The cluster name; nodes with another name refuse to join. Fixed at the first start: each node
   * stores it in its system keyspace and refuses to start under another name.
   * @default "stateful"
   */
  clusterName?: string;
  /**
   * The datacenter every node reports (GossipingPropertyFileSnitch). Fixed at the first start: a
   * node refuses to start in another datacenter than the one it stored.
   * @default "dc1"
   */
  datacenter?: string;
  /**
   * The rack every node reports. Fixed at the first start, like the datacenter.
   * @default "rack1"
   */
  rack?: string;
  /**
   * The JVM heap and its young generation.
   * @default derived from the container's memory (cassandraMemory)
   */
  heap?: { max: string; newGen: string };
  /**
   * Lowering `replicas` is refused unless this equals the new replica count: it says that every
   * node with that ordinal or higher has been decommissioned (`nodetool decommission`) and its
   * claim deleted. Remove it once the ring is scaled down.
   * @default scaling down is refused
   */
  decommissionedFrom?: number;
  /**
   * PasswordAuthenticator and CassandraAuthorizer, with a superuser (`admin`) whose generated
   * password (a Pulumi secret) lives in the Secret `<name>-auth`; the default role `cassandra` is
   * disabled. Turning it on for a running ring rolls every pod once (README, Cassandra:
   * authentication and TLS).
   * @default true
   */
  auth?: boolean;
}

/**
 * Cassandra's own sizing rule (cassandra-env.sh) for a container with this much memory:
 * max(min(1/2 memory, 1024 MiB), min(1/4 memory, 8192 MiB)), and a young generation of a quarter
 * of the heap.
 */
export function cassandraHeap(memoryMiB: number): { maxMiB: number; newGenMiB: number } {
  const maxMiB = Math.max(
    Math.min(Math.floor(memoryMiB / 2), 1024),
    Math.min(Math.floor(memoryMiB / 4), 8192),
  );
  return { maxMiB, newGenMiB: Math.floor(maxMiB / 4) };
}

/** The server JVM's memory: heap, young generation and the direct-memory ceiling, in MiB. */
export interface CassandraMemory {
  maxMiB: number;
  newGenMiB: number;
  directMiB: number;
}

/**
 * The server's memory in a container with this memory request and limit (MiB).
 *
 * Direct memory (NIO buffers: the chunk cache, network and streaming buffers) is capped at a
 * quarter of the limit: otherwise the JVM's default (as much as the heap) applies, and nothing in
 * cassandra-env.sh bounds it by the container's limit (its own sizing reads the host's memory with
 * free -m). Past the cap the JVM throws OutOfMemoryError (cassandra-env.sh then kills it), which
 * names the cause in the log, rather than the container being OOM-killed with no trace of why.
 *
 * The heap, unless given, follows Cassandra's rule (cassandraHeap) from the request, and never
 * exceeds half the limit nor what the limit leaves once direct memory and the reserve
 * (CASSANDRA_MEMORY_RESERVE: a nodetool JVM, the server's non-heap) are counted:
 *
 *   limit | heap (rule / capped) | direct | nodetool heap + non-heap | server non-heap | total
 *   1Gi   | 512 / 384            | 256    | 128 + 64                | 192             | 1024
 *   2Gi   | 1024 / 1024          | 512    | 128 + 64                | 192             | 1920
 *
 * The server's heap is committed at start (-Xms = -Xmx); direct memory and the nodetool JVM only
 * grow to their ceilings. Readiness runs one nodetool at a time (its timeout is below its period);
 * only the drain at shutdown may overlap a probe. Page cache is also charged to the container but
 * is reclaimed before the limit is enforced. A given heap is taken as is: config validation allows
 * up to half the limit, which below a 1536Mi limit leaves less than this budget assumes.
 */
export function cassandraMemory(
  requestMiB: number,
  limitMiB: number,
  heap?: { maxMiB: number; newGenMiB: number },
): CassandraMemory {
  const directMiB = cassandraDirectMiB(limitMiB);
  if (heap) return { ...heap, directMiB };
  const maxMiB = Math.min(cassandraHeap(requestMiB).maxMiB, cassandraHeapCeilingMiB(limitMiB));
  return { maxMiB, newGenMiB: Math.floor(maxMiB / 4), directMiB };
}

/** The comma-separated seed list: the stable DNS names of the first `seeds` pods. */
export function seedList(podNames: string[], seeds: number): string {
  return podNames.slice(0, seeds).join(",");
}

/** Ready: `nodetool status` lists this pod's own IP as Up and Normal. */
export const CASSANDRA_READINESS_SCRIPT = [
  // The native transport opens only once the node has joined the ring (bootstrap, streaming and
  // commit-log replay done) and closes on drain: a listening CQL port is a node that serves.
  // bash's /dev/tcp makes the check one local connection, where nodetool started a JVM
  // (about 1.9 CPU-seconds and 95 MiB) per probe.
  `if ! timeout ${CQL_CONNECT_TIMEOUT} bash -c 'exec 3<>/dev/tcp/127.0.0.1/${CQL_PORT}' 2>/dev/null; then`,
  `  echo "CQL port ${CQL_PORT} not listening yet"; exit 1`,
  "fi",
  `[ -e ${JOINED_MARKER} ] || touch ${JOINED_MARKER}`,
].join("\n");

/**
 * The container's command. A node whose claim says it has joined the ring before lists its own
 * address among the seeds, so it starts even when no other seed answers (after a whole-ring
 * restart, or while the seed pods are down): Cassandra refuses to start with no reachable seed.
 * A new node never does: a seed skips bootstrap and would join without its data.
 */
export const CASSANDRA_START_SCRIPT = [
  "set -eu",
  `if [ -e ${JOINED_MARKER} ]; then`,
  '  echo "this node has joined the ring before: adding its own address $POD_IP to the seeds"',
  '  export CASSANDRA_SEEDS="${CASSANDRA_SEEDS:+$CASSANDRA_SEEDS,}$POD_IP"',
  "fi",
  "exec docker-entrypoint.sh cassandra -f",
].join("\n");

/** Where the admin sidecar mounts the workload's Secret (`<name>-auth`); the kubelet refreshes it in place. */
export const CASSANDRA_AUTH_DIR = "/etc/cassandra-auth";
/** The Secret's keys (the Secret is `<name>-auth`); each is also a file in CASSANDRA_AUTH_DIR. */
export const CASSANDRA_SECRET_KEYS = {
  /** The password of the superuser role (CASSANDRA_DEFAULTS.superuser). */
  superuser: "superuser-password",
} as const;
/**
 * On the node's claim, mode 0600: the superuser's password as this node last applied it or saw it
 * log in. Changing a role's password takes a login, so a new password in the Secret is applied by
 * logging in with this one; it outlives the pod (and a Secret made anew) with the data it unlocks.
 */
export const SUPERUSER_STATE_FILE = `${DATA}/.superuser-password`;
/** The admin sidecar's own directory (in memory): cqlsh's HOME, its credentials files, its marker. */
export const CASSANDRA_ADMIN_DIR = "/run/cassandra-admin";
/** Written by the admin sidecar once the superuser logs in with the Secret's password. */
export const CASSANDRA_ADMIN_READY = `${CASSANDRA_ADMIN_DIR}/ready`;
/**
 * Cassandra's PEM keystore: the key and the certificate chain in one file, as its
 * PEMBasedSslContextFactory reads them, built from the TLS Secret's tls.key and tls.crt (in memory).
 */
export const CASSANDRA_KEYSTORE_DIR = "/run/cassandra-tls";
export const CASSANDRA_KEYSTORE = `${CASSANDRA_KEYSTORE_DIR}/keystore.pem`;
/** The role a new ring creates with the well-known password `cassandra`. */
export const DEFAULT_ROLE = "cassandra";
/**
 * Seconds the admin sidecar waits, after it changes a role, for the node to answer logins with the
 * change (each node caches credentials for credentials_validity, 2 s by default).
 */
export const AUTH_SETTLE_SECONDS = 15;
/** How many nodes of the datacenter hold system_auth (the roles): min(this, the nodes there). */
export const SYSTEM_AUTH_REPLICAS = 3;
/**
 * Seconds between a certificate file's change and Cassandra's own look at it (SSLFactory checks the
 * keystore's modification time every 600 s, the first time 600 s after start). The sidecar does not
 * wait for it: it asks for the reload at once with `nodetool reloadssl`.
 */
export const CASSANDRA_SSL_CHECK_SECONDS = 600;

/**
 * The admin sidecar's requests and limits: a shell loop and, now and then, one cqlsh (about 40 MiB)
 * or, on a certificate renewal, one nodetool JVM (its heap and non-heap, CASSANDRA_MEMORY_RESERVE).
 */
export const CASSANDRA_ADMIN_RESOURCES = {
  requests: { cpu: "10m", memory: "64Mi" },
  limits: { memory: "256Mi" },
};

/** What the pod's scripts turn on: PasswordAuthenticator and the superuser, TLS for clients. */
export interface CassandraSecurity {
  auth: boolean;
  tls: boolean;
}

/**
 * `replace_block KEY WHAT`: cassandra.yaml's top-level KEY block (its line and every indented line
 * under it, blank lines inside included) gives way to the block on standard input, appended at the
 * end. Whatever form the image's file gives it (`authenticator: X`, or `authenticator:` over
 * `  class_name : X`), there must be exactly one such line; else, or when the result does not read
 * back, the node does not start (WHAT says what it would lack). The file is rewritten in place, as
 * the image's entrypoint does.
 */
const YAML_FUNCTIONS = [
  'conf="${CASSANDRA_CONF:-/etc/cassandra}/cassandra.yaml"',
  "replace_block() {",
  "  _block=$(cat)",
  '  _n=$(grep -c "^$1[[:space:]]*:" "$conf" 2>/dev/null) || _n=0',
  '  if [ "$_n" != 1 ]; then',
  `    echo "$conf: expected one line '$1:' at the top level, found $_n: not starting without $2" >&2`,
  "    exit 1",
  "  fi",
  "  _tmp=$(mktemp)",
  `  awk -v key="$1" '`,
  String.raw`    skip && /^[ \t]*$/ { held = held $0 "\n"; next }`,
  String.raw`    skip && /^[ \t]/ { held = ""; next }`,
  `    skip { skip = 0; printf "%s", held; held = "" }`,
  String.raw`    $0 ~ ("^" key "[ \t]*:") { skip = 1; next }`,
  "    { print }",
  `    END { printf "%s", held }' "$conf" >"$_tmp"`,
  `  printf '%s\\n' "$_block" >>"$_tmp"`,
  '  cat "$_tmp" >"$conf"',
  '  rm -f "$_tmp"',
  `  if [ "$(grep -A1 "^$1[[:space:]]*:" "$conf")" != "$(printf '%s\\n' "$_block" | head -n 2)" ]; then`,
  `    echo "$conf: the $1 block did not apply: not starting without $2" >&2`,
  "    exit 1",
  "  fi",
  "}",
];

/** The auth settings: every login checked against system_auth, every grant enforced. */
const AUTH_CONFIG = [
  "replace_block authenticator authentication <<'EOF'",
  "authenticator:",
  "  class_name: org.apache.cassandra.auth.PasswordAuthenticator",
  "EOF",
  "replace_block authorizer authorization <<'EOF'",
  "authorizer:",
  "  class_name: org.apache.cassandra.auth.CassandraAuthorizer",
  "EOF",
  "replace_block role_manager roles <<'EOF'",
  "role_manager:",
  "  class_name: org.apache.cassandra.auth.CassandraRoleManager",
  "EOF",
  'echo "$conf: PasswordAuthenticator, CassandraAuthorizer, CassandraRoleManager"',
];

/**
 * `build_keystore`: writes the keystore (key, then certificate chain) from the TLS Secret's files,
 * mode 0600, swapped in whole. Refuses a key that is not unencrypted PKCS#8, which Cassandra cannot
 * read. `keystore_current`: true when the keystore holds the Secret's files as they are now.
 */
const KEYSTORE_FUNCTIONS = [
  `tls_dir="\${TLS_DIR:-${TLS_DIR}}" keystore="\${CASSANDRA_KEYSTORE:-${CASSANDRA_KEYSTORE}}"`,
  "build_keystore() {",
  `  _key="$tls_dir/${TLS_FILES.key}" _crt="$tls_dir/${TLS_FILES.certificate}"`,
  '  if [ ! -s "$_key" ] || [ ! -s "$_crt" ]; then',
  `    echo "no certificate in $tls_dir (${TLS_FILES.key} and ${TLS_FILES.certificate})" >&2; return 1`,
  "  fi",
  '  if ! grep -q "^-----BEGIN PRIVATE KEY-----" "$_key"; then',
  '    echo "$_key is not an unencrypted PKCS#8 key (BEGIN PRIVATE KEY), the only form Cassandra reads" >&2',
  "    return 1",
  "  fi",
  // A name of its own: the server's start and the sidecar may both build it at a pod's start.
  '  (umask 077 && awk 1 "$_key" "$_crt" >"$keystore.$$") && mv -f "$keystore.$$" "$keystore"',
  "}",
  "keystore_current() {",
  `  [ "$(awk 1 "$tls_dir/${TLS_FILES.key}" "$tls_dir/${TLS_FILES.certificate}" 2>/dev/null | sha256sum)" = \\`,
  '    "$({ sha256sum <"$keystore"; } 2>/dev/null)" ]',
  "}",
];

/** Clients connect over TLS only: on the CQL port, with the keystore, no client certificate asked. */
const TLS_CONFIG = [
  "build_keystore || exit 1",
  "replace_block client_encryption_options TLS <<EOF",
  "client_encryption_options:",
  "  enabled: true",
  "  optional: false",
  "  keystore: $keystore",
  "  require_client_auth: false",
  "  ssl_context_factory:",
  "    class_name: org.apache.cassandra.security.PEMBasedSslContextFactory",
  "EOF",
  `echo "$conf: clients connect over TLS only (port ${CQL_PORT}), with the certificate in $tls_dir"`,
];

/**
 * The container's command with PasswordAuthenticator and/or TLS: it edits the image's
 * cassandra.yaml (replace_block) before the image's entrypoint runs, and never starts a node
 * without what it asked for. With neither, the command is CASSANDRA_START_SCRIPT as it is.
 */
export function cassandraStartScript(security: CassandraSecurity): string {
  if (!security.auth && !security.tls) return CASSANDRA_START_SCRIPT;
  const [strict, ...rest] = CASSANDRA_START_SCRIPT.split("\n");
  return [
    strict,
    ...YAML_FUNCTIONS,
    ...(security.auth ? AUTH_CONFIG : []),
    ...(security.tls ? [...KEYSTORE_FUNCTIONS, ...TLS_CONFIG] : []),
    ...rest,
  ].join("\n");
}

/**
 * The admin sidecar's superuser functions. `cql ROLE PASSWORD ARGS...` runs cqlsh as ROLE against
 * this node over loopback, the credentials in a 0600 file (never an argument), statements on
 * standard input from a built-in (never an argument when they hold a password); its output is in
 * `out`. `logs_in ROLE PASSWORD` is 0 when the role logs in, 1 when it is refused (a wrong
 * password, or a role that may not log in) and 2 when the node does not answer the question.
 */
const SUPERUSER_FUNCTIONS = [
  'secret() { cat "$SECRETS_DIR/$1" 2>/dev/null; }',
  'sql_text() { _q="\'"; printf \'%s\' "${1//$_q/$_q$_q}"; }',
  "cql() {",
  '  _c="$ADMIN_DIR/credentials"',
  '  (umask 077 && printf \'[plain_text_auth]\\nusername = %s\\npassword = %s\\n\' "$1" "$2" >"$_c") || return 2',
  "  shift 2",
  '  out=$(cqlsh --credentials "$_c" $ssl --connect-timeout 10 --request-timeout 30 "$@" 127.0.0.1 "$CQL_PORT" 2>&1)',
  "  _rc=$?",
  '  rm -f "$_c"',
  "  return $_rc",
  "}",
  "logs_in() {",
  '  cql "$1" "$2" -e "SELECT release_version FROM system.local" && return 0',
  '  case $out in *"Bad credentials"*|*"password are incorrect"*|*"not permitted to log in"*) return 1 ;; esac',
  "  return 2",
  "}",
  // `settles ROLE PASSWORD ANSWER`: true once logs_in answers ANSWER (0 or 1), asked every second
  // for AUTH_SETTLE_SECONDS: each node keeps a role's password in its credentials cache for a
  // moment (credentials_validity, 2 s by default) after the role changes.
  "settles() {",
  "  _i=0",
  "  while :; do",
  '    logs_in "$1" "$2"; [ $? = "$3" ] && return 0',
  `    [ $((_i += 1)) -ge ${AUTH_SETTLE_SECONDS} ] && return 1`,
  "    sleep 1",
  "  done",
  "}",
  // The last line of cqlsh's output, without any password this script knows of.
  "why() {",
  "  _w=$(printf '%s\\n' \"$out\" | grep -v '^[[:space:]]*$' | tail -n 1)",
  '  for _p in "${new:-}" "${old:-}" "${random:-}"; do [ -n "$_p" ] && _w=${_w//"$_p"/"<password>"}; done',
  "  printf '%s' \"$_w\"",
  "}",
  // Keeps PASSWORD as the last one applied, on the claim, when it is not already.
  "remember() {",
  '  [ "$(cat "$STATE_FILE" 2>/dev/null)" = "$1" ] && return 0',
  '  (umask 077 && printf \'%s\' "$1" >"$STATE_FILE.new") && mv -f "$STATE_FILE.new" "$STATE_FILE"',
  "}",
  // The default role logs in with its well-known password: take its login, its superuser status and
  // that password away (as the superuser, whose password is $1).
  "disable_default() {",
  `  logs_in ${DEFAULT_ROLE} ${DEFAULT_ROLE}; _rc=$?`,
  '  [ "$_rc" = 1 ] && return 0',
  '  [ "$_rc" = 2 ] && { note "could not ask whether the default role still logs in: $(why)"; return 1; }',
  "  random=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)",
  `  printf "ALTER ROLE ${DEFAULT_ROLE} WITH SUPERUSER = false AND LOGIN = false AND PASSWORD = '%s';\\n" "$random" |`,
  '    cql "$SUPERUSER" "$1" || { note "could not disable the default role: $(why)"; return 1; }',
  `  settles ${DEFAULT_ROLE} ${DEFAULT_ROLE} 1 ||`,
  '    { note "the default role still logs in after it was disabled: $(why)"; return 1; }',
  `  say "disabled the default role ${DEFAULT_ROLE}: no login, no superuser, a random password"`,
  "}",
  // system_auth (the roles) on min(SYSTEM_AUTH_REPLICAS, nodes of the datacenter) nodes, never fewer
  // than now, other datacenters kept. The superuser's row and the default role's are written again
  // afterwards, so every replica holds them; other roles reach the new replicas by a repair.
  "replicate_auth() {",
  '  cql "$SUPERUSER" "$1" -e "SELECT data_center FROM system.local; SELECT data_center FROM system.peers_v2;" ||',
  '    { note "could not count the nodes: $(why)"; return 1; }',
  '  _nodes=$(printf \'%s\\n\' "$out" | grep -c "^[[:space:]]*$DATACENTER[[:space:]]*$")',
  `  _want=$(( _nodes < ${SYSTEM_AUTH_REPLICAS} ? _nodes : ${SYSTEM_AUTH_REPLICAS} ))`,
  '  cql "$SUPERUSER" "$1" -e "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = \'system_auth\'" ||',
  '    { note "could not read the replication of system_auth: $(why)"; return 1; }',
  "  _rep=$(printf '%s\\n' \"$out\" | grep -o '{.*}' | head -n 1)",
  '  [ -n "$_rep" ] && [ "$_want" -ge 1 ] || { note "could not read the replication of system_auth"; return 1; }',
  "  _have=0 _others=",
  "  case $_rep in",
  "    *NetworkTopologyStrategy*)",
  "      _have=$(printf '%s' \"$_rep\" | sed -n \"s/.*'$DATACENTER': '\\([0-9]*\\)'.*/\\1/p\")",
  "      _others=$(printf '%s' \"$_rep\" | tr -d '{}' | tr ',' '\\n' | sed 's/^ *//' |",
  "        grep -v -e \"^'class'\" -e \"^'$DATACENTER'\" | tr '\\n' ',') ;;",
  "  esac",
  '  [ "${_have:-0}" -ge "$_want" ] && return 0',
  "  _to=\"{'class': 'NetworkTopologyStrategy', $_others'$DATACENTER': $_want}\"",
  '  cql "$SUPERUSER" "$1" -e "ALTER KEYSPACE system_auth WITH replication = $_to" ||',
  '    { note "could not change the replication of system_auth: $(why)"; return 1; }',
  '  printf "ALTER ROLE %s WITH PASSWORD = \'%s\';\\n" "$SUPERUSER" "$(sql_text "$1")" | cql "$SUPERUSER" "$1" ||',
  '    { note "could not write the superuser again: $(why)"; return 1; }',
  `  random=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)`,
  `  printf "ALTER ROLE ${DEFAULT_ROLE} WITH SUPERUSER = false AND LOGIN = false AND PASSWORD = '%s';\\n" "$random" |`,
  '    cql "$SUPERUSER" "$1" || { note "could not write the default role again: $(why)"; return 1; }',
  '  say "system_auth: replicated on $_want of the $_nodes nodes of $DATACENTER (it was $_rep); run' +
    ' nodetool repair --full system_auth on every node to copy the other roles and grants"',
  "}",
  // Makes the superuser's password the Secret's: it logs in already; or log in with the last one
  // applied and change it; or, on a new ring, log in as the default role and create the superuser.
  // Then the default role is disabled and system_auth replicated.
  "reconcile() {",
  `  new=$(secret ${CASSANDRA_SECRET_KEYS.superuser}) && [ -n "$new" ] ||`,
  `    { note "no superuser password in $SECRETS_DIR/${CASSANDRA_SECRET_KEYS.superuser}"; return 1; }`,
  '  old=$(cat "$STATE_FILE" 2>/dev/null) || old=',
  '  logs_in "$SUPERUSER" "$new"; _rc=$?',
  '  if [ "$_rc" = 2 ]; then note "waiting for the node to answer as $SUPERUSER: $(why)"; return 1; fi',
  '  if [ "$_rc" = 1 ]; then',
  '    if [ -n "$old" ] && [ "$old" != "$new" ] && logs_in "$SUPERUSER" "$old"; then',
  '      printf "ALTER ROLE %s WITH PASSWORD = \'%s\';\\n" "$SUPERUSER" "$(sql_text "$new")" | cql "$SUPERUSER" "$old" ||',
  '        { note "could not change the password of the superuser $SUPERUSER: $(why)"; return 1; }',
  '      settles "$SUPERUSER" "$new" 0 ||',
  '        { note "the superuser $SUPERUSER does not log in with its new password yet: $(why)"; return 1; }',
  '      say "changed the password of the superuser $SUPERUSER to the Secret\'s"',
  `    elif logs_in ${DEFAULT_ROLE} ${DEFAULT_ROLE}; then`,
  '      _pw=$(sql_text "$new")',
  "      printf \"CREATE ROLE IF NOT EXISTS %s WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = '%s';\\nALTER ROLE %s WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = '%s';\\n\" \\",
  `        "$SUPERUSER" "$_pw" "$SUPERUSER" "$_pw" | cql ${DEFAULT_ROLE} ${DEFAULT_ROLE} ||`,
  '        { note "could not create the superuser $SUPERUSER: $(why)"; return 1; }',
  '      settles "$SUPERUSER" "$new" 0 ||',
  '        { note "the new superuser $SUPERUSER does not log in: $(why)"; return 1; }',
  `      say "created the superuser $SUPERUSER (logged in as the default role ${DEFAULT_ROLE})"`,
  "    else",
  '      note "waiting: the superuser $SUPERUSER does not log in with the Secret\'s password${old:+ nor the last one applied}, nor the default role with its own (a new ring creates it about 10 s after it starts)"',
  "      return 1",
  "    fi",
  "  fi",
  '  remember "$new" || { note "could not keep the password applied in $STATE_FILE"; return 1; }',
  '  disable_default "$new" || return 1',
  '  replicate_auth "$new" || return 1',
  "}",
];

/**
 * The admin sidecar's TLS duty: when the Secret's files change (a renewal), build the keystore
 * again and have Cassandra reload it at once (`nodetool reloadssl`, one JVM of NODETOOL_HEAP_MIB);
 * the new certificate goes to new connections, open ones keep theirs.
 */
const KEYSTORE_REFRESH = [
  "reload=",
  "refresh_keystore() {",
  "  if ! keystore_current; then",
  '    _had=; [ -e "$keystore" ] && _had=1',
  '    if build_keystore 2>"$ADMIN_DIR/keystore.err"; then',
  '      if [ -n "$_had" ]; then reload=1; say "rebuilt $keystore from the certificate in $tls_dir"; fi',
  '    else note "could not build $keystore: $(cat "$ADMIN_DIR/keystore.err")"; return; fi',
  "  fi",
  '  if [ -n "$reload" ] && port_open; then',
  `    if _o=$(${NODETOOL_ENV} nodetool reloadssl 2>&1); then`,
  '      reload=; say "Cassandra reloaded its certificate (nodetool reloadssl): new connections get the new one"',
  "    else",
  `      note "nodetool reloadssl failed, retrying (Cassandra's own check reads the keystore within ${CASSANDRA_SSL_CHECK_SECONDS} s): $(printf '%s' "$_o" | tail -n 1)"`,
  "    fi",
  "  fi",
  "}",
];

/**
 * The admin sidecar: with auth, it makes the superuser's password the Secret's (reconcile) when the
 * Secret's file changes and every ADMIN_RECHECK passes, and is ready once it logs in (at once on a
 * node that applied it before, so that a whole-ring restart under OrderedReady never waits for the
 * roles' quorum); with TLS, it keeps the keystore current. Its output says what it did, never a
 * password.
 */
export function cassandraAdminScript(security: CassandraSecurity): string {
  return [
    "set -u",
    "trap 'exit 0' TERM INT",
    'interval="${ADMIN_INTERVAL:-10}" recheck="${ADMIN_RECHECK:-30}"',
    // cqlsh keeps its files (cqlshrc, history) under HOME.
    'export HOME="$ADMIN_DIR"',
    'ready="$ADMIN_DIR/ready"',
    'rm -f "$ready"',
    'said=""',
    'note() { if [ "$*" != "$said" ]; then echo "$*"; said="$*"; fi; }',
    'say() { echo "$*"; said=""; }',
    'port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$CQL_PORT" 2>/dev/null; }',
    // Over loopback to its own node: TLS without checking the certificate's names or issuer.
    ...(security.tls ? ["ssl=--ssl", "export SSL_VALIDATE=false"] : ["ssl="]),
    ...(security.tls ? [...KEYSTORE_FUNCTIONS, ...KEYSTORE_REFRESH] : []),
    ...(security.auth
      ? [
          ...SUPERUSER_FUNCTIONS,
          'if [ -s "$STATE_FILE" ]; then',
          '  touch "$ready"; say "this node applied the superuser\'s password before: ready, checking it again"',
          "fi",
        ]
      : ['touch "$ready"']),
    "applied= passes=0",
    "while :; do",
    ...(security.tls ? ["  refresh_keystore"] : []),
    ...(security.auth
      ? [
          `  fingerprint=$(sha256sum <"$SECRETS_DIR/${CASSANDRA_SECRET_KEYS.superuser}" 2>/dev/null) || fingerprint=`,
          '  if [ "$fingerprint" != "$applied" ] || [ $((passes % recheck)) = 0 ]; then',
          "    if ! port_open; then",
          '      note "waiting for CQL on port $CQL_PORT"',
          "    elif reconcile; then",
          "      applied=$fingerprint",
          '      if [ ! -e "$ready" ]; then touch "$ready"; say "ready: the superuser $SUPERUSER logs in with the Secret\'s password"; fi',
          "    fi",
          "  fi",
        ]
      : []),
    "  passes=$((passes + 1))",
    '  sleep "$interval" & wait $!',
    "done",
    "",
  ].join("\n");
}

/**
 * Why a ring is not scaled down by lowering `replicas`: the StatefulSet would stop the highest
 * nodes without `nodetool decommission`, leaving dead nodes in the ring that hold token ranges, and
 * their kept claims would bring stale data (and resurrected deletes) back on a later scale-up.
 */
export const CASSANDRA_SCALE_DOWN =
  "the StatefulSet would stop the highest nodes without decommissioning them; run " +
  "`nodetool decommission` on each leaving node (highest ordinal first), delete its claim " +
  "data-<name>-<i>, then set decommissionedFrom and replicas to the new count (README, " +
  "Operations: scale a Cassandra ring down)";

export class Cassandra extends pulumi.ComponentResource {
  public readonly workload: StatefulWorkload;
  public readonly serviceDnsName: pulumi.Output<string>;
  public readonly podDnsNames: pulumi.Output<string[]>;
  /** The seeds' stable DNS names, which clients may also use as contact points. */
  public readonly seeds: pulumi.Output<string[]>;
  /** With auth: the superuser role's name ("admin"). */
  public readonly superuser?: pulumi.Output<string>;
  /** With auth: the superuser's generated password, a Pulumi secret. */
  public readonly superuserPassword?: pulumi.Output<string>;
  /** With auth: where pods find the superuser's password: the Secret's name and key. */
  public readonly superuserSecret?: { name: string; key: string };

  constructor(name: string, args: CassandraArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidWorkload("Cassandra", name, { kind: "cassandra", ...args });
    super("stateful:workloads:Cassandra", name, {}, opts);
    const { image, resources, storage, ...shared } = resolveWorkloadArgs("cassandra", name, args);
    const names = objectNames(shared.name);
    const pods = podDnsNames(
      names.statefulSet,
      names.service,
      shared.namespace,
      shared.replicas,
      shared.clusterDomain,
    );
    const seeds = args.seeds ?? Math.min(CASSANDRA_DEFAULTS.seeds, shared.replicas);
    const memory = cassandraMemory(
      mebibytes(resources.requests.memory)!,
      mebibytes(resources.limits.memory)!,
      args.heap && {
        maxMiB: mebibytes(args.heap.max)!,
        newGenMiB: mebibytes(args.heap.newGen)!,
      },
    );

    // The seeds, the cluster name, the datacenter and the rack are written into each node's data
    // at its first start and must not change afterwards (see CassandraArgs): a changed name,
    // datacenter or rack makes the rolled pods refuse to start, and a pod that becomes a seed
    // before its first start skips bootstrap and joins without its data.
    const clusterName = args.clusterName ?? CASSANDRA_DEFAULTS.clusterName;
    const datacenter = args.datacenter ?? CASSANDRA_DEFAULTS.datacenter;
    const rack = args.rack ?? CASSANDRA_DEFAULTS.rack;
    const newRing = "a node refuses to start with another saved value; deploy a new ring instead";
    const env = [
      fieldEnv("POD_IP", "status.podIP"),
      { name: "CASSANDRA_LISTEN_ADDRESS", value: "$(POD_IP)" },
      { name: "CASSANDRA_SEEDS", value: seedList(pods, seeds) },
      { name: "CASSANDRA_CLUSTER_NAME", value: clusterName },
      { name: "CASSANDRA_ENDPOINT_SNITCH", value: "GossipingPropertyFileSnitch" },
      { name: "CASSANDRA_DC", value: datacenter },
      { name: "CASSANDRA_RACK", value: rack },
      { name: "MAX_HEAP_SIZE", value: `${memory.maxMiB}M` },
      { name: "HEAP_NEWSIZE", value: `${memory.newGenMiB}M` },
      // cassandra-env.sh appends JVM_EXTRA_OPTS last, so this wins over any value it derives.
      { name: "JVM_EXTRA_OPTS", value: `-XX:MaxDirectMemorySize=${memory.directMiB}M` },
    ];

    // Authentication is on unless turned off: PasswordAuthenticator, a superuser with a generated
    // password that lives only in the workload's Secret, and the default role disabled. TLS: the
    // Secret's files (the volume StatefulWorkload adds) become the keystore Cassandra reads.
    const security = { auth: args.auth ?? true, tls: shared.tls !== undefined };
    const superuser = CASSANDRA_DEFAULTS.superuser;
    const superuserPassword = security.auth
      ? new random.RandomPassword(
          `${name}-superuser-password`,
          { length: 32, special: false },
          { parent: this },
        ).result
      : undefined;
    const mounts = {
      data: { name: "data", mountPath: DATA },
      auth: { name: "auth", mountPath: CASSANDRA_AUTH_DIR, readOnly: true },
      admin: { name: "admin", mountPath: CASSANDRA_ADMIN_DIR },
      keystore: { name: "keystore", mountPath: CASSANDRA_KEYSTORE_DIR },
    };
    // The sidecar's files (credentials, the keystore) are small and private: in memory.
    const memoryDir = (volume: string) => ({
      name: volume,
      emptyDir: { medium: "Memory", sizeLimit: "1Mi" },
    });
    const volumes = [
      ...(security.auth
        ? [
            {
              name: mounts.auth.name,
              secret: {
                secretName: names.secret,
                defaultMode: 0o440,
                items: Object.values(CASSANDRA_SECRET_KEYS).map((key) => ({ key, path: key })),
              },
            },
          ]
        : []),
      ...(security.auth || security.tls ? [memoryDir(mounts.admin.name)] : []),
      ...(security.tls ? [memoryDir(mounts.keystore.name)] : []),
    ];
    const admin =
      security.auth || security.tls
        ? [
            {
              name: "admin",
              image: image,
              command: ["bash", "-c", cassandraAdminScript(security)],
              env: [
                { name: "CQL_PORT", value: String(CQL_PORT) },
                { name: "ADMIN_DIR", value: CASSANDRA_ADMIN_DIR },
                ...(security.auth
                  ? [
                      { name: "SUPERUSER", value: superuser },
                      { name: "DATACENTER", value: datacenter },
                      { name: "SECRETS_DIR", value: CASSANDRA_AUTH_DIR },
                      { name: "STATE_FILE", value: SUPERUSER_STATE_FILE },
                    ]
                  : []),
              ],
              resources: CASSANDRA_ADMIN_RESOURCES,
              volumeMounts: [
                mounts.admin,
                ...(security.auth ? [mounts.data, mounts.auth] : []),
                ...(security.tls ? [tlsMount, mounts.keystore] : []),
              ],
              // Ready once the superuser logs in with the Secret's password (at once on a node that
              // applied it before): pod 0 of a new ring joins the Services, and pod 1 starts, only
              // once the superuser exists and the default role is disabled.
              readinessProbe: {
                exec: { command: ["test", "-e", CASSANDRA_ADMIN_READY] },
                periodSeconds: 5,
                failureThreshold: 1,
              },
            },
          ]
        : [];

    this.workload = new StatefulWorkload(
      name,
      {
        ...shared,
        app: "cassandra",
        component: "database",
        ports: [
          { name: "cql", port: CQL_PORT },
          { name: "intra-node", port: INTRA_NODE_PORT, peerOnly: true },
        ],
        storage: { ...storage, mountPath: DATA },
        metrics: metricsFor(args.metrics, () => cassandraExporter(names.configMap)),
        // Nodes find their seeds by DNS before any of them is ready.
        publishNotReadyAddresses: true,
        fixedAfterStart: {
          clusterName: { value: clusterName, instead: newRing },
          datacenter: { value: datacenter, instead: newRing },
          rack: { value: rack, instead: newRing },
        },
        scaleDownRefusal: args.decommissionedFrom === undefined ? CASSANDRA_SCALE_DOWN : undefined,
        ...(superuserPassword
          ? { secretData: { [CASSANDRA_SECRET_KEYS.superuser]: superuserPassword } }
          : {}),
        ...(volumes.length > 0 ? { volumes } : {}),
        containers: [
          {
            name: "cassandra",
            image: image,
            command: ["bash", "-c", cassandraStartScript(security)],
            env,
            resources: resources,
            ...(security.tls ? { volumeMounts: [tlsMount, mounts.keystore] } : {}),
            // Boot (commit log replay, gossip) is done once the intra-node port listens, before
            // a new node streams its data: the budget is startupSeconds without the copy time,
            // which only pulumi's wait adds (dataCopySeconds).
            startupProbe: {
              tcpSocket: { port: "intra-node" },
              periodSeconds: STARTUP_PERIOD,
              timeoutSeconds: 5,
              failureThreshold: Math.ceil(shared.startupSeconds / STARTUP_PERIOD),
            },
            readinessProbe: {
              exec: { command: ["bash", "-c", CASSANDRA_READINESS_SCRIPT] },
              periodSeconds: READINESS_PERIOD,
              timeoutSeconds: CQL_CONNECT_TIMEOUT + 1,
              failureThreshold: 3,
            },
            // Gossip keeps listening while a node joins and streams: a joining node is never killed.
            livenessProbe: {
              tcpSocket: { port: "intra-node" },
              periodSeconds: 20,
              timeoutSeconds: 5,
              failureThreshold: 6,
            },
            lifecycle: {
              // Flush memtables and stop taking writes, so the next start replays no commit log.
              preStop: { exec: { command: ["sh", "-c", `${NODETOOL_ENV} nodetool drain`] } },
            },
          },
          ...admin,
        ],
      },
      { parent: this },
    );

    this.serviceDnsName = this.workload.serviceDnsName;
    this.podDnsNames = this.workload.podDnsNames;
    this.seeds = pulumi.output(pods.slice(0, seeds));
    if (superuserPassword) {
      this.superuser = pulumi.output(superuser);
      this.superuserPassword = pulumi.secret(superuserPassword);
      this.superuserSecret = { name: names.secret, key: CASSANDRA_SECRET_KEYS.superuser };
    }
    this.registerOutputs({
      serviceDnsName: this.serviceDnsName,
      podDnsNames: this.podDnsNames,
      seeds: this.seeds,
      ...(superuserPassword
        ? {
            superuser: this.superuser,
            superuserPassword: this.superuserPassword,
            superuserSecret: this.superuserSecret,
          }
        : {}),
    });
  }
}
