// PostgreSQL as a StatefulSet: pod 0 initialises the primary; every other pod clones it with
// pg_basebackup on its first start and then streams from it as a hot-standby read replica, through
// a replication slot of its own. A replica that can never stream from it again (its WAL gone, a
// primary initialised anew, a diverged timeline) clones it again by itself, and an empty pod 0
// holds back while pod 1 holds the database, until restore.sh rebuilds it from pod 1. Three
// generated passwords (superuser, application role, replication role) live only in the workload's
// Secret, mounted as files: the Secret is the source of truth at every start and after every change,
// not only on the first boot. A `reconcile` sidecar applies it to the live primary's roles and
// keeps each pod's replication passfile current.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  agentMount,
  PEER_CLAIM,
  PEER_CLAIM_FILE,
  REPLICAS_FILE,
  RESTART_FILE,
  ROLE_FILE,
  ROLES,
  SET_ROLE_FUNCTION,
} from "./agent";
import { assertValidWorkload } from "./workloadRules";
import { metricsFor, postgresExporter } from "./metrics";
import { POSTGRES_DEFAULTS } from "./defaults";
import { objectNames } from "./names";
import { mebibytes } from "./quantity";
import { TLS_SUM_FUNCTION, UNRESOLVED_FUNCTION } from "./shell";
import { TLS_DIR, TLS_PATHS, tlsMount } from "./tls";
import { StatefulWorkload } from "./statefulWorkload";
import {
  BaseWorkloadArgs,
  fieldEnv,
  firstPodDnsName,
  podDnsName,
  resolveWorkloadArgs,
} from "./workloadArgs";

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
 * Seconds a replica's WAL receiver may go without streaming, while replay stands still too, before
 * the sidecar asks the primary whether it ever will again. Twelve of the receiver's own 5 s retries
 * (wal_retrieve_retry_interval): a replica that is only catching up replays (the clock starts
 * again), and a primary that is restarting does not answer (no verdict). The checks themselves are
 * definite, so this is only how soon a replica that never will is noticed.
 */
export const STREAM_STALL_SECONDS = 60;
/**
 * On the claim, next to PGDATA: why this replica must clone its primary again, written by the
 * sidecar when it finds out at run time (`<kind> <reason>`); the init container acts on it at the
 * pod's next start and removes it after the clone.
 */
export const POSTGRES_RECLONE_MARKER = `${MOUNT}/reclone`;
/**
 * Seconds an empty pod 0 waits for a pod 1 whose name does not resolve, but whose claim exists,
 * before it initialises a new primary. Under OrderedReady the controller creates no pod 1 while pod
 * 0 is unready, so such a pod 1 was scaled away, or was created moments before and is being given
 * an address, which takes seconds. A pod 1 without a claim (a first start, one pod) never held data
 * and is not waited for.
 */
export const POSTGRES_ABSENT_GRACE_SECONDS = 60;

/**
 * Shell functions for replication checks, used by the init container, the sidecar and the restore
 * script. `slot` is this pod's replication slot on the primary (the StatefulSet's name with `-` as
 * `_`, then the ordinal: lower-case letters, digits and `_`, at most 56 characters). `repl` runs one
 * replication-protocol command as the replication role (password from the passfile). `never_streams`
 * compares this replica with the primary: a system identifier of another database, a timeline that
 * forked off the primary's before this replica's position, or WAL the primary no longer has (its
 * slot lost or missing, and the primary refuses to stream from the segment of its position, as
 * its WAL receiver would ask) each mean that it can never stream again; it then sets `kind`
 * (foreign, diverged, gone) and `why`.
 */
const REPLICATION_FUNCTIONS = [
  // PGDATA's parent is the claim's mount.
  `marker="${POSTGRES_RECLONE_MARKER.replace(MOUNT, "${PGDATA%/*}")}"`,
  'slot_prefix="$(printf %s "${POD_NAME%-*}" | tr - _)"',
  'slot="${slot_prefix}_${POD_NAME##*-}"',
  "repl() {",
  '  PGPASSFILE="$REPLICATION_PASSFILE" PGCONNECT_TIMEOUT=5 psql -X -w -q -A -t -F "|" \\',
  '    "host=$1 port=$2 user=$REPLICATION_USER dbname=replication replication=true" -c "$3"',
  "}",
  'is_lsn() { case $1 in ""|*[!0-9A-F/]*|/*|*/|*/*/*) return 1 ;; */*) return 0 ;; esac; return 1; }',
  "lsn() { echo $(( (16#${1%/*} << 32) | 16#${1#*/} )); }",
  "hex_lsn() { printf '%X/%X' $(($1 >> 32)) $(($1 & 0xFFFFFFFF)); }",
  'ctl() { LC_ALL=C pg_controldata "$PGDATA" 2>/dev/null | sed -n "s/^$1: *//p"; }',
  // wal_segment POSITION sets seg_size (bytes), seg (the number of the WAL segment that holds
  // POSITION) and seg_name (that segment's file name after its 8 digits of timeline); false when
  // the control file does not say the segment size.
  "wal_segment() {",
  '  seg_size=$(ctl "Bytes per WAL segment")',
  '  case $seg_size in ""|*[!0-9]*) return 1 ;; esac',
  '  seg=$(( $(lsn "$1") / seg_size )); _per=$(( 0x100000000 / seg_size ))',
  "  seg_name=$(printf '%08X%08X' $((seg / _per)) $((seg % _per)))",
  "}",
  // standby_conf DATADIR [HOST PORT [APPLICATION [SLOT]]] rewrites DATADIR's postgresql.auto.conf
  // without its primary_conninfo and primary_slot_name and, given a HOST, with those of a standby of
  // HOST:PORT: the replication role through the passfile (no password in it), under APPLICATION's
  // name and through SLOT when given.
  "standby_conf() {",
  '  _conf="$1/postgresql.auto.conf"',
  "  {",
  "    grep -Ev '^[[:space:]]*primary_(conninfo|slot_name)[[:space:]]*=' \"$_conf\" 2>/dev/null || :",
  '    if [ -n "${2:-}" ]; then',
  `      printf "primary_conninfo = 'host=%s port=%s user=%s passfile=%s%s'\\n" "$2" "$3" \\`,
  '        "$REPLICATION_USER" "$REPLICATION_PASSFILE" "${4:+ application_name=$4}"',
  `      if [ -n "\${5:-}" ]; then printf "primary_slot_name = '%s'\\n" "$5"; fi`,
  "    fi",
  '  } >"$_conf.new" && chmod 600 "$_conf.new" && mv -f "$_conf.new" "$_conf"',
  "}",
  // Creates this pod's slot on the primary unless it exists; true when it exists.
  "ensure_slot() {",
  '  slot_error=$(repl "$PRIMARY_HOST" "$PRIMARY_PORT" "CREATE_REPLICATION_SLOT $slot PHYSICAL RESERVE_WAL" 2>&1) &&',
  '    { echo "created the replication slot $slot on the primary"; return 0; }',
  '  case $slot_error in *"already exists"*) return 0 ;; esac',
  "  return 1",
  "}",
  // wal_on_primary TIMELINE POSITION PRIMARY_POSITION prints gone, there or unknown: whether the
  // primary still streams the WAL segment of POSITION on TIMELINE, asked as the WAL receiver asks
  // (from the segment's start), into a scratch directory. The primary's current segment is always
  // there. A refusal comes at once; still waiting, silent, after 8 s is no refusal.
  "wal_on_primary() {",
  '  wal_segment "$2" || { echo unknown; return; }',
  '  _dir="$PGDATA.walcheck"',
  '  if [ "$seg" -ge $(( $(lsn "$3") / seg_size )) ]; then echo there; return; fi',
  '  rm -rf "$_dir" && mkdir "$_dir" || { echo unknown; return; }',
  `  truncate -s "$seg_size" "$_dir/$(printf '%08X' "$1")$seg_name.partial"`,
  '  _rc=0; _out=$(PGPASSFILE="$REPLICATION_PASSFILE" PGCONNECT_TIMEOUT=5 timeout 8 pg_receivewal -D "$_dir" \\',
  '    -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" -w -n --no-sync \\',
  '    -E "$(hex_lsn $((seg * seg_size + 1)))" 2>&1) || _rc=$?',
  '  rm -rf "$_dir"',
  '  case $_rc:$_out in *"has already been removed"*) echo gone ;; 0:*|124:) echo there ;; *) echo unknown ;; esac',
  "}",
  // never_streams SYSID TIMELINE POSITION [always]: 0 with kind and why set when this replica can
  // never stream from the primary, 1 when nothing says so, 2 when the primary does not answer.
  // `always` asks for the WAL even when the slot holds it (at run time, when streaming has stopped).
  "never_streams() {",
  "  kind= why=",
  '  _id=$(repl "$PRIMARY_HOST" "$PRIMARY_PORT" IDENTIFY_SYSTEM 2>/dev/null) || return 2',
  '  IFS="|" read -r _sys _tl _pos _ <<<"$_id"',
  '  case $_tl in ""|*[!0-9]*) return 2 ;; esac',
  '  is_lsn "$_pos" || return 2',
  '  if [ "$1" != "$_sys" ]; then',
  '    kind=foreign why="its system identifier $1 is not the primary\'s ($_sys): the primary was initialised anew"',
  "    return 0",
  "  fi",
  '  if [ "$2" -gt "$_tl" ]; then',
  '    kind=diverged why="its timeline $2 is ahead of the primary\'s ($_tl)"; return 0',
  '  elif [ "$2" -lt "$_tl" ]; then',
  '    _hist=$(repl "$PRIMARY_HOST" "$PRIMARY_PORT" "TIMELINE_HISTORY $_tl" 2>/dev/null) || return 2',
  '    _fork=$(printf \'%s\\n\' "${_hist#*|}" | sed -n "s/^$2[[:space:]][[:space:]]*\\([0-9A-F]*\\/[0-9A-F]*\\).*/\\1/p")',
  '    if ! is_lsn "$_fork"; then',
  '      kind=diverged why="its timeline $2 is not in the history of the primary\'s timeline $_tl"; return 0',
  "    fi",
  '    if [ "$(lsn "$3")" -gt "$(lsn "$_fork")" ]; then',
  '      kind=diverged why="its timeline $2 goes on to $3, past $_fork, where the primary\'s timeline $_tl forked off it"',
  "      return 0",
  "    fi",
  '  elif [ "$(lsn "$3")" -gt "$(lsn "$_pos")" ]; then',
  '    kind=diverged why="its position $3 is ahead of the primary\'s ($_pos) on timeline $2"; return 0',
  "  fi",
  '  _rs=$(repl "$PRIMARY_HOST" "$PRIMARY_PORT" "READ_REPLICATION_SLOT $slot" 2>/dev/null) || _rs="?|"',
  '  IFS="|" read -r _type _restart _ <<<"$_rs"',
  '  if is_lsn "$_restart" && [ "$(lsn "$_restart")" -le "$(lsn "$3")" ] && [ -z "${4:-}" ]; then return 1; fi',
  "  case $_type in",
  '    physical) if is_lsn "$_restart"; then _slot_is="its replication slot $slot holds WAL from $_restart on"',
  '      else _slot_is="its replication slot $slot was invalidated (lost)"; fi ;;',
  '    "") _slot_is="it has no replication slot on the primary" ;;',
  '    *) _slot_is="its replication slot could not be read" ;;',
  "  esac",
  '  if [ "$(wal_on_primary "$2" "$3" "$_pos")" = gone ]; then',
  '    kind=gone why="the WAL it needs is gone: $_slot_is, and the primary no longer has the WAL segment of its position $3 (timeline $2)"',
  "    return 0",
  "  fi",
  "  return 1",
  "}",
];

/**
 * Shell functions of the init container. `stopped_position` reads the stopped replica's system
 * identifier, timeline and position: the control file's last restartpoint or minimum recovery point,
 * or, further on, where its WAL ends (pg_waldump reads it from the restartpoint on, to its end).
 * `hold_while_pod1_may_hold_data`, on an empty pod 0 only, asks pod 1 (FIRST_REPLICA_HOST) over a
 * replication connection whether it holds a database (IDENTIFY_SYSTEM answers on a standby) and
 * holds pod 0 back while it does, or exists without answering; it lets pod 0 initialise a new
 * primary at once when pod 1's name does not resolve and the agent says that pod 1 has no claim,
 * once the name has not resolved for ABSENT_GRACE seconds otherwise, or as soon as restore.sh has
 * filled PGDATA.
 */
const INIT_FUNCTIONS = [
  UNRESOLVED_FUNCTION,
  "stopped_position() {",
  '  sysid=$(ctl "Database system identifier"); tl=$(ctl "Latest checkpoint\'s TimeLineID")',
  '  pos=$(ctl "Latest checkpoint location"); _redo=$(ctl "Latest checkpoint\'s REDO location")',
  '  _min=$(ctl "Minimum recovery ending location"); _mtl=$(ctl "Min recovery ending loc\'s timeline")',
  '  case $sysid$tl in ""|*[!0-9]*) return 1 ;; esac',
  '  is_lsn "$pos" || return 1',
  '  case $_mtl in ""|*[!0-9]*) ;; *) if [ "$_mtl" -gt "$tl" ]; then tl=$_mtl; fi ;; esac',
  '  if is_lsn "$_min" && [ "$(lsn "$_min")" -gt "$(lsn "$pos")" ]; then pos=$_min; fi',
  '  is_lsn "$_redo" || return 0',
  '  _end=$(LC_ALL=C pg_waldump -p "$PGDATA/pg_wal" -t "$tl" -s "$_redo" 2>&1 >/dev/null |',
  "    grep -o ' at [0-9A-F]*/[0-9A-F]*' | tail -n 1) || _end=",
  "  _end=${_end# at }",
  '  if is_lsn "$_end" && [ "$(lsn "$_end")" -gt "$(lsn "$pos")" ]; then pos=$_end; fi',
  "  return 0",
  "}",
  "pod1_state() {",
  '  _out=$(repl "$FIRST_REPLICA_HOST" "${FIRST_REPLICA_PORT:-$PRIMARY_PORT}" IDENTIFY_SYSTEM 2>&1) &&',
  '    { echo "data ${_out%%|*}"; return; }',
  // No pod by that name; refused, silent, auth errors: it did not say.
  '  if unresolved "$_out"; then echo absent; else echo unknown; fi',
  "}",
  "hold_while_pod1_may_hold_data() {",
  `  _grace="\${ABSENT_GRACE:-${POSTGRES_ABSENT_GRACE_SECONDS}}"; _since=$(date +%s); _held= _told=`,
  '  while [ ! -s "$PGDATA/PG_VERSION" ]; do',
  "    _state=$(pod1_state)",
  "    case $_state in",
  "      absent)",
  // No claim for pod 1 (the agent asked the API server): pod 1 never held data, nothing to wait for.
  `        if [ "$(cat "\${PEER_CLAIM_FILE:-${PEER_CLAIM_FILE}}" 2>/dev/null)" = ${PEER_CLAIM.absent} ]; then`,
  '          echo "$FIRST_REPLICA_HOST does not exist and has no claim, so it never held data: initialising a new, empty primary"; return 0',
  "        fi",
  // Whole seconds: more than the grace apart on the clock is at least the grace in fact.
  '        if [ $(( $(date +%s) - _since )) -gt "$_grace" ]; then',
  '          echo "$FIRST_REPLICA_HOST does not exist after ${_grace}s: initialising a new, empty primary"; return 0',
  "        fi",
  '        if [ -z "$_told" ]; then _told=1',
  '          echo "$PGDATA is empty: waiting up to ${_grace}s for $FIRST_REPLICA_HOST, which does not exist (yet), before initialising a new primary"',
  "        fi ;;",
  "      *)",
  '        if [ -z "$_held" ]; then _held=1',
  '          case $_state in data*) _has="holds a database (system identifier ${_state#data })" ;;',
  '            *) _has="exists but does not answer (it may hold a database)" ;; esac',
  '          echo "NOT STARTING: $PGDATA is empty, and $FIRST_REPLICA_HOST $_has; as the primary this pod would start a new, empty database that no replica can follow. Rebuild this pod from it: kubectl exec $POD_NAME -c clone-primary -- bash ' +
    `${SCRIPTS_DIR}/restore.sh (README, PostgreSQL: pod 0 lost its data)"`,
  "        fi ;;",
  "    esac",
  '    sleep "${HOLD_INTERVAL:-10}" & wait $!',
  "  done",
  '  if [ -n "$_held" ]; then echo "$PGDATA holds a data directory now: starting as the primary"; fi',
  "}",
];

/**
 * The init container of every pod, at every start:
 * 1. A data directory of another major version than the server's stops the pod here, with one log
 *    line that says what to do, and sleeps: the pod stays in Init and the rollout stops at it,
 *    instead of a crash loop on "database files are incompatible with server".
 * 2. Writes the replication passfile from the mounted Secret.
 * 3. Pod 0 with an empty PGDATA holds back while pod 1 holds a database (see INIT_FUNCTIONS), so
 *    that it never starts a new, empty primary under replicas that hold the data.
 * 4. A replica with a data directory is checked against the primary (REPLICATION_FUNCTIONS), or
 *    the sidecar's marker (POSTGRES_RECLONE_MARKER) says why it must clone again; otherwise it
 *    makes sure that its replication slot exists and resumes streaming.
 * 5. A replica without one, or that must clone again, clones the primary with pg_basebackup through
 *    a fresh slot of its own into a scratch directory (an interrupted clone starts over rather than
 *    leaving half a data directory), retrying until the primary lets it in, and swaps it in only
 *    after success. The old data directory of a replica whose WAL is gone is a stale copy of the
 *    primary's and is deleted first; that of a foreign or diverged one may hold what a human wants
 *    to look at, and is kept beside the new one (`<PGDATA>.<kind>-<time>`) unless the claim has no
 *    room for both, when it is deleted; the log says which.
 * 6. On every replica, writes standby.signal, its own primary_conninfo, which names the passfile
 *    rather than holding the password (one written by an earlier `pg_basebackup -R` is replaced),
 *    and primary_slot_name.
 */
export const POSTGRES_CLONE_SCRIPT = [
  "set -eu",
  // bash is the container's PID 1, which ignores SIGTERM unless it traps it: without this, a pod
  // deleted while it waits for the primary would wait out its whole grace period.
  "trap 'exit 143' TERM INT",
  ...SHARED_FUNCTIONS,
  ...REPLICATION_FUNCTIONS,
  ...INIT_FUNCTIONS,
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
  'if [ "${POD_NAME##*-}" = 0 ]; then',
  '  if [ ! -s "$PGDATA/PG_VERSION" ] && [ -n "${FIRST_REPLICA_HOST:-}" ]; then hold_while_pod1_may_hold_data; fi',
  '  echo "pod 0 is the primary: nothing to clone"; exit 0',
  "fi",
  "kind= why= answered=",
  'if [ -s "$PGDATA/PG_VERSION" ]; then',
  '  if [ -s "$marker" ]; then',
  '    read -r kind why <"$marker" || :',
  '    why="$why (found by the reconcile sidecar while the server ran)"; answered=1',
  "  elif stopped_position; then",
  '    checked=0; never_streams "$sysid" "$tl" "$pos" || checked=$?',
  '    if [ "$checked" = 2 ]; then echo "the primary $PRIMARY_HOST does not answer: no checks; streaming resumes once it is back"',
  "    else answered=1; fi",
  "  else",
  '    echo "cannot read the control file of $PGDATA: no checks against the primary"',
  "  fi",
  "fi",
  'if [ -s "$PGDATA/PG_VERSION" ] && [ -z "$kind" ]; then',
  '  echo "already a replica: streaming resumes"',
  '  if [ -n "$answered" ] && ! ensure_slot; then echo "could not create the replication slot $slot on the primary: $slot_error"; fi',
  "else",
  '  if [ -n "$kind" ]; then echo "CLONING AGAIN: this replica can never stream from $PRIMARY_HOST: $why"; fi',
  `  until pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -t ${ISREADY_TIMEOUT}; do`,
  '    echo "waiting for the primary $PRIMARY_HOST"; sleep 2 & wait $!',
  "  done",
  '  if [ "$kind" = gone ]; then',
  '    echo "deleting $PGDATA first: a copy of the primary\'s own data that can no longer catch up"',
  "  fi",
  '  if [ -z "$kind" ] || [ "$kind" = gone ]; then rm -rf "$PGDATA"; fi',
  "  until",
  '    rm -rf "$PGDATA.clone"',
  // A fresh slot: it holds the WAL from the clone's start on, whatever an earlier one held.
  '    repl "$PRIMARY_HOST" "$PRIMARY_PORT" "DROP_REPLICATION_SLOT $slot" >/dev/null 2>&1 || :',
  '    use_slot=; if ensure_slot; then use_slot=1; else echo "cloning without a replication slot: $slot_error"; fi',
  '    out=$(PGPASSFILE="$REPLICATION_PASSFILE" pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" \\',
  '      -U "$REPLICATION_USER" -D "$PGDATA.clone" -X stream --checkpoint=fast --no-password \\',
  '      ${use_slot:+-S "$slot"} 2>&1)',
  "  do",
  "    printf '%s\\n' \"$out\"",
  '    if [ -d "$PGDATA" ] && case $out in *"No space left on device"*) true ;; *) false ;; esac; then',
  '      echo "no room on the claim for both the old $PGDATA and a new clone: deleting the old one"; rm -rf "$PGDATA"',
  "    fi",
  '    echo "cloning the primary failed: retrying in 5s"; sleep 5 & wait $!; write_passfile || :',
  "  done",
  '  if [ -n "$out" ]; then printf \'%s\\n\' "$out"; fi',
  '  if [ -d "$PGDATA" ]; then',
  '    aside="$PGDATA.$kind-$(date -u +%Y%m%dT%H%M%SZ)"',
  '    mv "$PGDATA" "$aside"',
  '    echo "kept the old data directory at $aside: look at it, then delete it to free its space"',
  "  fi",
  '  mv "$PGDATA.clone" "$PGDATA"',
  '  rm -f "$marker"',
  '  echo "cloned the primary $PRIMARY_HOST"',
  "fi",
  'if grep -Eq "^[[:space:]]*primary_conninfo[[:space:]]*=.*password=" "$PGDATA/postgresql.auto.conf" 2>/dev/null; then',
  '  echo "removing the replication password from primary_conninfo: it now reads $REPLICATION_PASSFILE"',
  "fi",
  'standby_conf "$PGDATA" "$PRIMARY_HOST" "$PRIMARY_PORT" "$POD_NAME" "$slot"',
  'touch "$PGDATA/standby.signal"',
  "",
].join("\n");

/**
 * The most WAL the primary keeps for replication slots (`max_slot_wal_keep_size`) is the size of
 * the claim's filesystem divided by this: a quarter. WAL shares the claim with the data, and a slot
 * keeps every segment from its replica's position on: a replica that is away for long would fill
 * the claim and stop the primary. Past this bound its slot is lost and the replica clones the
 * primary again by itself; a quarter leaves the rest of the claim to the data and to max_wal_size.
 * The sidecar sets it (`bound_slot_wal`) from the filesystem it finds, rather than the server's
 * arguments from `storage.size`, so that a claim that grows changes no pod template (no restart).
 */
const SLOT_WAL_SHARE = 4;
/** The bound is never below wal_keep_size (MiB), where it would change nothing. */
const SLOT_WAL_FLOOR_MIB = parseInt(POSTGRES_DEFAULTS.walKeepSize, 10);

/**
 * Shell functions of the sidecar. On a replica (any pod but 0), `watch_stream` notices a WAL
 * receiver that has not streamed, while replay stood still, for STREAM_STALL_SECONDS; it makes sure
 * that the pod's slot exists (a primary rebuilt from pod 1 has none), then asks the primary
 * (`never_streams`, with the running server's replay position and timeline). When the answer is
 * that this replica never will stream, it writes the reason to the claim (POSTGRES_RECLONE_MARKER,
 * for the init container) and to the agent's RESTART_FILE (the agent deletes the pod, whose init
 * container then clones the primary again), once. On the primary, `drop_slots` drops the inactive
 * slots named like its replicas' (`<prefix>_<ordinal>`, no other) that are lost, or whose ordinal is
 * at or above the StatefulSet's replica count in the agent's REPLICAS_FILE (when it is there, and
 * still after two of its rewrites), and logs each drop; `bound_slot_wal` keeps the WAL that slots
 * may hold within the claim (SLOT_WAL_SHARE).
 */
const SIDECAR_FUNCTIONS = [
  `stall="\${STREAM_STALL_SECONDS:-${STREAM_STALL_SECONDS}}" stalled_since= replayed= restart_asked= noted=`,
  "departing= slot_wal_asked=",
  "running_position() {",
  `  _row=$(psql -X -w -q -A -t -F '|' -U postgres -d postgres -c "SELECT (SELECT system_identifier FROM pg_control_system()), greatest(r.min_recovery_end_timeline, c.timeline_id), pg_last_wal_replay_lsn(), coalesce((SELECT status FROM pg_stat_wal_receiver), 'stopped') FROM pg_control_recovery() r, pg_control_checkpoint() c" 2>/dev/null) || return 1`,
  '  IFS="|" read -r sysid tl pos receiver <<<"$_row"',
  '  case $sysid$tl in ""|*[!0-9]*) return 1 ;; esac',
  '  is_lsn "$pos" || return 1',
  // Once a replica follows its primary onto a newer timeline, it replays files named after that one.
  '  wal_segment "$pos" || return 0',
  '  for _f in "$PGDATA"/pg_wal/????????$seg_name; do',
  '    [ -e "$_f" ] || continue',
  "    _f=${_f##*/}; _t=$(( 16#${_f:0:8} ))",
  '    if [ "$_t" -gt "$tl" ]; then tl=$_t; fi',
  "  done",
  "}",
  "watch_stream() {",
  '  [ -z "$restart_asked" ] || return 0',
  "  running_position || return 0",
  "  _now=$(date +%s)",
  '  if [ "$receiver" = streaming ]; then stalled_since= noted=; return 0; fi',
  '  if [ -z "$stalled_since" ] || [ "$pos" != "$replayed" ]; then stalled_since=$_now replayed=$pos; fi',
  "  ensure_slot || :",
  '  [ $((_now - stalled_since)) -ge "$stall" ] || return 0',
  '  checked=0; never_streams "$sysid" "$tl" "$pos" always || checked=$?',
  '  if [ "$checked" = 0 ]; then',
  "    restart_asked=1",
  '    printf \'%s %s\\n\' "$kind" "$why" >"$marker.new" && mv -f "$marker.new" "$marker"',
  '    echo "not streaming for ${stall}s, and never will: $why; this pod must start over and clone the primary again"',
  '    if [ -n "${RESTART_FILE:-}" ]; then',
  '      echo "a replica that must clone its primary again: $why" >"$RESTART_FILE.new" && mv -f "$RESTART_FILE.new" "$RESTART_FILE"',
  "    fi",
  "    return 0",
  "  fi",
  // Look again after another stall period.
  "  stalled_since=$_now",
  '  if [ -z "$noted" ]; then noted=1',
  '    if [ "$checked" = 2 ]; then echo "not streaming for ${stall}s: the primary $PRIMARY_HOST does not answer"',
  '    else echo "not streaming for ${stall}s, though nothing the primary says means it never will: waiting"; fi',
  "  fi",
  "}",
  // A slot is departing while its ordinal is at or above the replica count in REPLICAS_FILE; it is
  // dropped only once the file has been seen rewritten twice since. The agent reads the count, then
  // writes the file, one pass after the other: the second rewrite read it after the first, so after
  // the slot was seen, so after its pod existed. A count read before a scale-up never drops the slot
  // of a replica that is new (between its slot's creation and its streaming, the slot is inactive).
  // `departing` holds "<slot> <the file's modification time> <rewrites seen>" a line.
  "drop_slots() {",
  '  case $slot_prefix in ""|*[!a-z0-9_]*) return 0 ;; esac',
  `  _slots=$(psql -X -w -q -A -t -F '|' -U postgres -d postgres -c "SELECT slot_name, wal_status FROM pg_replication_slots WHERE slot_type = 'physical' AND NOT active AND slot_name ~ '^\${slot_prefix}_[0-9]+\\$'" 2>/dev/null) || return 0`,
  // After the slots, the time first, then the count: a count no older than the time.
  '  _stamp=$(date -r "${REPLICAS_FILE:-/dev/null}" +%s 2>/dev/null) || _stamp=',
  '  _replicas=$(cat "${REPLICAS_FILE:-/dev/null}" 2>/dev/null) || _replicas=',
  "  case $_replicas in *[!0-9]*) _replicas= ;; esac",
  "  _was=$departing departing=",
  '  while IFS="|" read -r _name _status; do',
  '    [ -n "$_name" ] || continue',
  '    if [ "$_status" = lost ]; then',
  '      _why="lost: its replica fell further behind than max_slot_wal_keep_size while away, and clones the primary again"',
  '    elif [ -n "$_replicas" ] && [ -n "$_stamp" ] && [ "${_name##*_}" -ge "$_replicas" ]; then',
  `      _seen=$(printf '%s\\n' "$_was" | sed -n "s/^$_name //p")`,
  '      read -r _at _rewrites <<<"${_seen:-$_stamp 0}"',
  '      if [ "$_at" != "$_stamp" ]; then _at=$_stamp _rewrites=$((_rewrites + 1)); fi',
  '      if [ "$_rewrites" -lt 2 ]; then departing="$departing$_name $_at $_rewrites"$\'\\n\'; continue; fi',
  '      _why="pod ${_name##*_} is gone: the StatefulSet has $_replicas replicas"',
  "    else continue; fi",
  `    if psql -X -w -q -U postgres -d postgres -c "SELECT pg_drop_replication_slot('$_name')" >/dev/null 2>&1; then`,
  '      echo "dropped the replication slot $_name: $_why"',
  "    fi",
  '  done <<<"$_slots"',
  "}",
  // slot_wal_mib: the most WAL (MiB) the primary keeps for replication slots, from the size of the
  // claim's filesystem (PGDATA's parent; see SLOT_WAL_SHARE).
  "slot_wal_mib() {",
  '  _kib=$(df -Pk "${PGDATA%/*}" 2>/dev/null | { read -r _; read -r _ _k _; echo "$_k"; })',
  '  case $_kib in ""|*[!0-9]*) return 1 ;; esac',
  `  _mib=$(( _kib / 1024 / ${SLOT_WAL_SHARE} ))`,
  `  if [ "$_mib" -lt ${SLOT_WAL_FLOOR_MIB} ]; then _mib=${SLOT_WAL_FLOOR_MIB}; fi`,
  '  echo "$_mib"',
  "}",
  // bound_slot_wal, on the primary: sets max_slot_wal_keep_size (ALTER SYSTEM, then a reload: no
  // restart) when it is not slot_wal_mib, as at the first start and after the claim grew; once a
  // value (a setting given on the server's command line would win over it: no retries).
  "bound_slot_wal() {",
  "  _want=$(slot_wal_mib) || return 0",
  `  _have=$(psql -X -w -q -A -t -U postgres -d postgres -c "SELECT setting FROM pg_settings WHERE name = 'max_slot_wal_keep_size'" 2>/dev/null) || return 0`,
  '  [ -n "$_have" ] && [ "$_have" != "$_want" ] && [ "$_want" != "$slot_wal_asked" ] || return 0',
  `  psql -X -w -q -U postgres -d postgres -c "ALTER SYSTEM SET max_slot_wal_keep_size = '\${_want}MB'" \\`,
  "    -c 'SELECT pg_reload_conf()' >/dev/null 2>&1 || return 0",
  "  slot_wal_asked=$_want",
  '  case $_have in -1) _have="no bound" ;; *) _have="${_have}MB" ;; esac',
  '  echo "max_slot_wal_keep_size: ${_want}MB, a quarter of the claim (it was $_have)"',
  "}",
];

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
 * On every pass, on a replica it watches the WAL receiver, and on the primary it bounds the WAL that
 * slots keep by the claim and drops the slots of replicas that are gone or lost (SIDECAR_FUNCTIONS).
 */
export const POSTGRES_RECONCILE_SCRIPT = [
  "set -u",
  ...SHARED_FUNCTIONS,
  ...REPLICATION_FUNCTIONS,
  ...SIDECAR_FUNCTIONS,
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
  // reload_tls: the server reads its certificate and key at start and at a reload; when the files
  // in TLS_DIR (the Secret, which the kubelet refreshes after cert-manager renews it) differ from
  // those last loaded, a reload makes new connections use them. No restart, no dropped connection.
  TLS_SUM_FUNCTION,
  "reload_tls() {",
  '  [ -n "${TLS_DIR:-}" ] || return 0',
  '  _tls=$(tls_sum "$TLS_DIR") || return 0',
  '  [ "$_tls" != "$tls_for" ] || return 0',
  "  psql -X -w -q -U postgres -d postgres -c 'SELECT pg_reload_conf()' >/dev/null 2>&1 || return 0",
  '  if [ -n "$tls_for" ]; then echo "reloaded the server: it serves the renewed TLS certificate"; fi',
  "  tls_for=$_tls",
  "}",
  'rm -f "$RECONCILED_MARKER"',
  "applied= passfile_for= waiting= tls_for=",
  // The pod's role, for the agent's label (the write and read Services select on it).
  SET_ROLE_FUNCTION,
  "while :; do",
  `  fingerprint=$(cd "$SECRETS_DIR" && cat ${Object.values(POSTGRES_SECRET_KEYS).join(" ")} | sha256sum) || fingerprint=`,
  '  if [ -n "$fingerprint" ] && [ "$fingerprint" != "$passfile_for" ]; then',
  '    if write_passfile; then passfile_for=$fingerprint; echo "wrote the replication passfile from the Secret"; fi',
  "  fi",
  "  recovery=$(psql -X -w -q -A -t -U postgres -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null) || recovery=",
  "  case $recovery in",
  "    t)",
  `      set_role ${ROLES.replica} && echo "role: ${ROLES.replica}"`,
  '      if [ ! -e "$RECONCILED_MARKER" ]; then',
  '        touch "$RECONCILED_MARKER"; echo "a replica: its roles are the primary\'s, nothing to reconcile"',
  "      fi",
  '      if [ "${POD_NAME##*-}" != 0 ]; then watch_stream; fi',
  "      applied= ;;",
  "    f)",
  `      set_role ${ROLES.primary} && echo "role: ${ROLES.primary}"`,
  '      if [ -n "$fingerprint" ] && [ "$fingerprint" != "$applied" ]; then',
  "        if reconcile; then",
  "          applied=$fingerprint",
  '          touch "$RECONCILED_MARKER"',
  '          echo "reconciled the roles with the Secret: postgres, $APP_USER (database $APP_DATABASE), $REPLICATION_USER"',
  "        else",
  '          echo "reconciling the roles with the Secret failed: retrying in ${interval}s"',
  "        fi",
  "      fi",
  "      bound_slot_wal",
  "      drop_slots ;;",
  "    *)",
  '      if [ -z "$waiting" ]; then echo "waiting for the server on $PGHOST"; waiting=1; fi ;;',
  "  esac",
  "  case $recovery in t|f) reload_tls ;; esac",
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

/**
 * Run by hand in pod 0's init container while it holds back (INIT_FUNCTIONS): rebuilds pod 0's empty
 * PGDATA from pod 1 (FIRST_REPLICA_HOST). It copies pod 1 with pg_basebackup into a scratch
 * directory, starts the copy (no TCP, a private socket) as pod 1's standby until it has replayed
 * all that pod 1 has replayed, promotes it (a new timeline, forking off at or after pod 1's
 * position, so that pod 1 and every replica not ahead of it follow it; one that is ahead clones it
 * by itself), stops it and moves it into place. Pod 0 then starts from it as the primary.
 */
export const POSTGRES_RESTORE_SCRIPT = [
  "set -eu",
  ...SHARED_FUNCTIONS,
  ...REPLICATION_FUNCTIONS,
  'say() { echo "restore: $*"; }',
  'if [ "${POD_NAME##*-}" != 0 ]; then say "run this in pod 0\'s clone-primary container, not in $POD_NAME"; exit 1; fi',
  'if [ -z "${FIRST_REPLICA_HOST:-}" ]; then say "FIRST_REPLICA_HOST is not set: no pod 1 to restore from"; exit 1; fi',
  'if [ -s "$PGDATA/PG_VERSION" ]; then say "$PGDATA already holds a data directory: nothing to restore"; exit 1; fi',
  'write_passfile || { say "no replication password in $SECRETS_DIR"; exit 1; }',
  'port="${FIRST_REPLICA_PORT:-$PRIMARY_PORT}" copy="$PGDATA.restore" run="$PGDATA.restore-run"',
  'target=$(PGPASSFILE="$REPLICATION_PASSFILE" PGCONNECT_TIMEOUT=5 psql -X -w -q -A -t -c "SELECT pg_last_wal_replay_lsn()" \\',
  '  "host=$FIRST_REPLICA_HOST port=$port user=$REPLICATION_USER dbname=postgres" 2>&1) || :',
  'if ! is_lsn "$target"; then say "$FIRST_REPLICA_HOST is not a replica that says how far it replayed: $target"; exit 1; fi',
  'rm -rf "$copy" "$run"',
  'say "copying $FIRST_REPLICA_HOST, which replayed up to $target, into $copy"',
  'PGPASSFILE="$REPLICATION_PASSFILE" pg_basebackup -h "$FIRST_REPLICA_HOST" -p "$port" -U "$REPLICATION_USER" \\',
  '  -D "$copy" -X stream --checkpoint=fast --no-password',
  'standby_conf "$copy" "$FIRST_REPLICA_HOST" "$port"',
  'touch "$copy/standby.signal"',
  'mkdir -m 700 "$run"',
  `pg_ctl -D "$copy" -l "$run/server.log" -w -t 300 -s \\`,
  `  -o "-c listen_addresses= -c port=${POSTGRES_PORT} -c unix_socket_directories=$run -c hot_standby=on" start`,
  "started=$(date +%s)",
  `until [ "$(psql -X -w -q -A -t -h "$run" -p ${POSTGRES_PORT} -U postgres -d postgres \\`,
  `  -c "SELECT pg_last_wal_replay_lsn() >= '$target'" 2>/dev/null)" = t ]; do`,
  '  if [ $(( $(date +%s) - started )) -ge "${RESTORE_WAIT:-300}" ]; then',
  '    say "the copy did not replay up to $target in ${RESTORE_WAIT:-300}s: stopping it; see $run/server.log, then run this again"',
  '    pg_ctl -D "$copy" -m fast -w -s stop || :; exit 1',
  "  fi",
  "  sleep 1",
  "done",
  'pg_ctl -D "$copy" -w -t 300 -s promote',
  'pg_ctl -D "$copy" -m fast -w -t 60 -s stop',
  'standby_conf "$copy"',
  'rm -f "$copy/standby.signal"',
  'timeline=$(PGDATA="$copy" ctl "Latest checkpoint\'s TimeLineID")',
  'rm -rf "$run" "$PGDATA"',
  'mv "$copy" "$PGDATA"',
  'say "$PGDATA holds the data of $FIRST_REPLICA_HOST, promoted to timeline $timeline: this pod starts from it as the primary"',
  "",
].join("\n");

/**
 * Server settings from the container's memory (shared buffers a quarter of the request). None
 * follows the claim's size: the sidecar bounds the WAL that slots keep (SLOT_WAL_SHARE), since a
 * `-c` argument here would win over what it sets.
 */
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

/**
 * pg_hba.conf of a workload with TLS (its `hba_file`, from the ConfigMap): the pod's own containers
 * over the Unix socket as the image has them (trust), and every TCP connection, replication
 * included, over TLS with a password; a connection without TLS matches no line and is refused.
 * Without TLS the servers keep the data directory's own file (the image's, with the replication
 * line the sidecar adds).
 */
export function postgresTlsHba(replicationUser: string): string {
  return [
    "# TYPE  DATABASE     USER  ADDRESS  METHOD",
    "local   all          all            trust",
    "local   replication  all            trust",
    `hostssl replication  ${replicationUser}  all  scram-sha-256`,
    "hostssl all          all   all      scram-sha-256",
    "",
  ].join("\n");
}

/** The server's settings with TLS: the mounted certificate, TLS 1.2 at least, and the hba above. */
export const POSTGRES_TLS_SETTINGS: Record<string, string> = {
  ssl: "on",
  ssl_cert_file: TLS_PATHS.certificate,
  ssl_key_file: TLS_PATHS.key,
  ssl_min_protocol_version: "TLSv1.2",
  hba_file: `${SCRIPTS_DIR}/pg_hba.conf`,
};

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
  /** Pod 0's stable DNS name: the primary. */
  public readonly primaryDnsName: pulumi.Output<string>;
  /** The write Service's DNS name: it selects the primary while the primary is ready. */
  public readonly writeDnsName: pulumi.Output<string>;
  /** The read Service's DNS name: the replicas (pod 0 alone when there is one pod). */
  public readonly readDnsName: pulumi.Output<string>;
  /** `postgresql://<user>:<password>@<write Service>:5432/<database>` (with TLS, `?sslmode=require`), a Pulumi secret. */
  public readonly connectionString: pulumi.Output<string>;
  /** The same for the read Service, a Pulumi secret. */
  public readonly readConnectionString: pulumi.Output<string>;
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
    // Pod 1's name whatever the replica count, so that scaling never changes the pod template: an
    // empty pod 0 asks it whether it holds a database before initialising a new one.
    const firstReplica = podDnsName(shared, 1);
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
    ];
    const isReady = PG_ISREADY;
    const tls = shared.tls !== undefined;
    const settings = { ...postgresSettings(resources), ...(tls ? POSTGRES_TLS_SETTINGS : {}) };
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
        // Writes go to `<name>-rw` (the primary), reads to `<name>-ro` (the replicas).
        primaryAndReplicas: true,
        // A data directory starts only under the major version that wrote it: the guard refuses a
        // change at preview (the init container is the backstop for images pinned by digest).
        fixedAfterStart: major
          ? { "PostgreSQL major version": { value: major, instead: MAJOR_UPGRADE } }
          : {},
        ports: [{ name: "postgresql", port: POSTGRES_PORT }],
        storage: { ...storage, mountPath: MOUNT },
        metrics: metricsFor(args.metrics, () =>
          postgresExporter({ socketDir: POSTGRES_RUN_DIR, port: POSTGRES_PORT }),
        ),
        configData: {
          "clone.sh": POSTGRES_CLONE_SCRIPT,
          "reconcile.sh": POSTGRES_RECONCILE_SCRIPT,
          "restore.sh": POSTGRES_RESTORE_SCRIPT,
          ...(tls ? { "pg_hba.conf": postgresTlsHba(POSTGRES_DEFAULTS.replicationUser) } : {}),
        },
        // Pod names resolve while their pods are unready: an empty pod 0 must reach pod 1, a replica
        // that does not stream. Clients use the write and read Services, which follow readiness.
        publishNotReadyAddresses: true,
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
              { name: "FIRST_REPLICA_HOST", value: firstReplica },
            ],
            resources: resources,
            // The agent says whether pod 1 has a claim.
            volumeMounts: [mounts.data, mounts.run, mounts.auth, mounts.scripts, agentMount],
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
              // The certificate, and pg_hba.conf from the ConfigMap.
              ...(tls ? [tlsMount, mounts.scripts] : []),
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
              { name: "ROLE_FILE", value: ROLE_FILE },
              // A replica asks the primary whether it can ever stream again, and asks the agent to
              // restart the pod when it cannot; the primary drops the slots of departed replicas.
              { name: "PRIMARY_HOST", value: primary },
              { name: "PRIMARY_PORT", value: String(POSTGRES_PORT) },
              { name: "RESTART_FILE", value: RESTART_FILE },
              { name: "REPLICAS_FILE", value: REPLICAS_FILE },
              // It reloads the server when cert-manager renews the certificate.
              ...(tls ? [{ name: "TLS_DIR", value: TLS_DIR }] : []),
            ],
            resources: RECONCILE_RESOURCES,
            volumeMounts: [
              mounts.data,
              mounts.run,
              mounts.auth,
              mounts.scripts,
              agentMount,
              ...(tls ? [tlsMount] : []),
            ],
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
    this.writeDnsName = this.workload.writeDnsName!;
    this.readDnsName = this.workload.readDnsName!;
    const url = (host: pulumi.Output<string>) =>
      pulumi.secret(
        pulumi.interpolate`postgresql://${user}:${userPassword}@${host}:${POSTGRES_PORT}/${database}${tls ? "?sslmode=require" : ""}`,
      );
    this.connectionString = url(this.writeDnsName);
    this.readConnectionString = url(this.readDnsName);
    this.registerOutputs({
      serviceDnsName: this.serviceDnsName,
      podDnsNames: this.podDnsNames,
      primaryDnsName: this.primaryDnsName,
      writeDnsName: this.writeDnsName,
      readDnsName: this.readDnsName,
      connectionString: this.connectionString,
      readConnectionString: this.readConnectionString,
      password: this.password,
    });
  }
}
