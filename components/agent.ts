// The pod agent: a small sidecar that speaks to the Kubernetes API for a pod whose own image cannot
// (no HTTPS client in the database images). A kind's containers talk to it through files in a
// shared in-memory directory, AGENT_DIR:
// - ROLE_FILE (written by the kind): `primary` or `replica`. The agent sets the pod's ROLE_LABEL to
//   it, which the workload's write and read Services select on.
// - RESTART_FILE (written by the kind): one line saying why this pod must start over (a replica
//   that must clone its primary again). The agent logs it and deletes its own pod; the StatefulSet
//   controller creates it again, and its init containers run again.
// - REPLICAS_FILE (written by the agent): the StatefulSet's `spec.replicas`, so that a primary knows
//   which replicas are gone without a pod template that changes (and rolls every pod) on scaling.
// - PEER_CLAIM_FILE (written by the agent): `absent` while pod 1's claim does not exist, `present`
//   once it does. An empty pod 0 must not start as the primary while pod 1 may hold data; a pod 1
//   that has no claim holds none, so pod 0 starts at once instead of waiting for it.
// The agent is a sidecar that starts before the pod's init containers (an init container that
// always restarts, Kubernetes 1.29+) and is started, its first pass done, before they run: the
// kinds' init containers can read its files too.
import * as k8s from "@pulumi/kubernetes";
import { podName } from "./names";

/** The shared directory (an emptyDir in memory). */
export const AGENT_DIR = "/run/stateful";
/** `primary` or `replica`, written by the kind's containers. */
export const ROLE_FILE = `${AGENT_DIR}/role`;
/** Why the pod must start over, written by the kind's containers: the agent deletes the pod. */
export const RESTART_FILE = `${AGENT_DIR}/restart`;
/** The StatefulSet's `spec.replicas`, written by the agent. */
export const REPLICAS_FILE = `${AGENT_DIR}/replicas`;
/** Whether pod 1's claim exists (`absent` or `present`), written by the agent. */
export const PEER_CLAIM_FILE = `${AGENT_DIR}/peer-claim`;
export const PEER_CLAIM = { absent: "absent", present: "present" } as const;
/** The pod label that carries the role; the write Service selects `primary`, the read Service `replica`. */
export const ROLE_LABEL = "stateful-workloads/role";
export const ROLES = { primary: "primary", replica: "replica" } as const;
/**
 * `set_role ROLE`, a shell function (POSIX sh) for the kinds' scripts: writes ROLE, one of ROLES,
 * to ROLE_FILE (or to $ROLE_FILE when set: tests), whole (a new file renamed over the old one) and
 * only when it changes; true when it wrote. It writes nothing in a container without the agent's
 * volume.
 */
export const SET_ROLE_FUNCTION = [
  "set_role() {",
  `  case $1 in ${ROLES.primary}|${ROLES.replica}) ;; *) return 1 ;; esac`,
  `  _rf="\${ROLE_FILE:-${ROLE_FILE}}"`,
  '  [ -d "${_rf%/*}" ] && [ "$(cat "$_rf" 2>/dev/null)" != "$1" ] || return 1',
  `  printf '%s\\n' "$1" >"$_rf.new" && mv -f "$_rf.new" "$_rf"`,
  "}",
].join("\n");
/** The volume a kind mounts (at AGENT_DIR) in the containers that write ROLE_FILE or RESTART_FILE. */
export const AGENT_VOLUME = "agent";
export const agentMount = { name: AGENT_VOLUME, mountPath: AGENT_DIR };

/** The agent's image: curl on Alpine (busybox sh), from the curl project, pinned. */
export const AGENT_IMAGE = "curlimages/curl:8.11.1";
/** Where the agent alone mounts its API credentials (the pod's other containers have none). */
export const AGENT_CREDENTIALS_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
export const AGENT_CREDENTIALS_VOLUME = "kube-api";
/** Seconds between two passes of the agent's loop. */
export const AGENT_INTERVAL = 2;
/**
 * Passes between two reads of the StatefulSet's replica count and of pod 1's claim (one minute at
 * the default interval); every pass until the count has been read once.
 */
export const AGENT_REPLICAS_EVERY = 30;
/** Passes between two re-applications of the role label (so a label removed by hand comes back). */
export const AGENT_RELABEL_EVERY = 150;
/** Seconds the agent's first pass may take before the kubelet restarts it: four calls of 10 s, and room. */
export const AGENT_STARTUP_SECONDS = 60;
/** The agent is unready when its loop has not completed a pass for this many seconds. */
export const AGENT_STALE_SECONDS = 30;
export const AGENT_RESOURCES = {
  requests: { cpu: "5m", memory: "16Mi" },
  limits: { memory: "32Mi" },
};

/**
 * The agent's loop (POSIX sh). The service account token goes to curl on stdin (`-H @/dev/stdin`),
 * never on a command line; replies go to a private temporary file. A failed call is logged once
 * (with the HTTP status) and retried: a label at the next pass, a read at the next read; the loop
 * never stops on an error.
 * Paths and the API address can be overridden through the environment (tests run it on a
 * workstation against a real API server).
 */
export const AGENT_SCRIPT = [
  "set -u",
  `dir="\${AGENT_DIR:-${AGENT_DIR}}"`,
  `sa="\${AGENT_CREDENTIALS_DIR:-${AGENT_CREDENTIALS_DIR}}"`,
  'api="${API_URL:-https://${KUBERNETES_SERVICE_HOST:-kubernetes.default.svc}:${KUBERNETES_SERVICE_PORT:-443}}"',
  `interval="\${AGENT_INTERVAL:-${AGENT_INTERVAL}}"`,
  'ns="$(cat "$sa/namespace")"',
  'pod="/api/v1/namespaces/$ns/pods/$POD_NAME"',
  'scale="/apis/apps/v1/namespaces/$ns/statefulsets/$STATEFULSET_NAME/scale"',
  'claim="/api/v1/namespaces/$ns/persistentvolumeclaims/$PEER_CLAIM"',
  'reply="$(mktemp)"',
  // A new agent (a restarted pod keeps its in-memory directory) is started, and answers, only once
  // it has made a pass of its own.
  'rm -f "$dir/agent-heartbeat" "$dir/peer-claim"',
  'said=""',
  'say() { [ "$1" = "$said" ] || echo "agent: $1"; said="$1"; }',
  "# call METHOD PATH [CONTENT-TYPE BODY]: prints the HTTP status (000: no answer)",
  "call() {",
  '  if [ $# -gt 2 ]; then set -- "$1" "$2" -H "Content-Type: $3" --data-binary "$4"; fi',
  "  _m=$1 _p=$2; shift 2",
  '  printf \'Authorization: Bearer %s\\n\' "$(cat "$sa/token")" |',
  '    curl -s --max-time 10 --cacert "$sa/ca.crt" -H @/dev/stdin -X "$_m" "$@" \\',
  '      -o "$reply" -w \'%{http_code}\' "$api$_p"',
  "}",
  'labelled="" pass=0',
  "# label [always]: the pod's role label follows the role file (when it changed, or always)",
  "label() {",
  '  role="$(cat "$dir/role" 2>/dev/null)" || role=""',
  '  case "$role" in',
  `    "") ;;`,
  `    ${ROLES.primary}|${ROLES.replica})`,
  '      if [ "$role" != "$labelled" ] || [ -n "${1:-}" ]; then',
  `        code="$(call PATCH "$pod" application/merge-patch+json '{"metadata":{"labels":{"${ROLE_LABEL}":"'"$role"'"}}}')"`,
  '        if [ "$code" = 200 ]; then',
  '          [ "$role" = "$labelled" ] || say "labelled this pod ' +
    ROLE_LABEL +
    '=$role"; labelled="$role"',
  '        else say "labelling this pod $role failed: HTTP $code $(head -c 300 "$reply" 2>/dev/null)"; fi',
  "      fi ;;",
  '    *) say "$dir/role holds neither primary nor replica: not labelled" ;;',
  "  esac",
  "}",
  // Stopped last, after the pod's other containers: a primary's preStop hook may have written
  // `replica` moments before, which the label must say before the agent goes.
  "trap 'label; rm -f \"$reply\"; exit 0' TERM INT",
  "while :; do",
  "  pass=$((pass + 1))",
  `  if [ $((pass % ${AGENT_RELABEL_EVERY})) = 0 ]; then label always; else label; fi`,
  '  if [ -s "$dir/restart" ]; then',
  '    why="$(head -c 500 "$dir/restart")"',
  '    code="$(call DELETE "$pod" application/json \'{"apiVersion":"v1","kind":"DeleteOptions","preconditions":{"uid":"\'"$POD_UID"\'"}}\')"',
  '    case "$code" in',
  '      200|202) say "deleted this pod so that it starts over: $why" ;;',
  '      *) say "deleting this pod failed: HTTP $code $(head -c 300 "$reply" 2>/dev/null); it must start over: $why" ;;',
  "    esac",
  "  fi",
  `  if [ $(((pass - 1) % \${AGENT_READ_EVERY:-${AGENT_REPLICAS_EVERY}})) = 0 ] || [ "$interval" = 0 ] || [ ! -s "$dir/replicas" ]; then`,
  '    code="$(call GET "$scale")"',
  '    if [ "$code" = 200 ]; then',
  // A Scale's spec has one field; the API server leaves a zero out (`"spec":{}`).
  '      n="$(tr -d \' \\n\' <"$reply" | sed -n \'s/.*"spec":{"replicas":\\([0-9]*\\)}.*/\\1/p\')"',
  '      printf \'%s\\n\' "${n:-0}" >"$dir/replicas.new" && mv -f "$dir/replicas.new" "$dir/replicas"',
  '    else say "reading the replica count failed: HTTP $code $(head -c 300 "$reply" 2>/dev/null)"; fi',
  // Only a 404 says that the claim does not exist. On any other failure an answer of `present`
  // stands (a claim is not deleted while its pod may start), one of `absent` goes: it may be stale.
  '    code="$(call GET "$claim")"',
  '    case "$code" in',
  `      200) held=${PEER_CLAIM.present} ;;`,
  `      404) held=${PEER_CLAIM.absent} ;;`,
  '      *) held=""; say "reading claim $PEER_CLAIM failed: HTTP $code $(head -c 300 "$reply" 2>/dev/null)"',
  `        [ "$(cat "$dir/peer-claim" 2>/dev/null)" != ${PEER_CLAIM.absent} ] || rm -f "$dir/peer-claim" ;;`,
  "    esac",
  '    if [ -n "$held" ]; then',
  '      printf \'%s\\n\' "$held" >"$dir/peer-claim.new" && mv -f "$dir/peer-claim.new" "$dir/peer-claim"',
  "    fi",
  "  fi",
  '  date +%s >"$dir/agent-heartbeat"',
  '  [ "$interval" = 0 ] && break',
  '  sleep "$interval" & wait $!',
  "done",
  "",
].join("\n");

/** The agent is ready while its loop keeps completing passes, whatever the API answered. */
export const AGENT_READINESS_SCRIPT =
  `beat="$(cat ${AGENT_DIR}/agent-heartbeat 2>/dev/null)" || exit 1; ` +
  `[ $(( $(date +%s) - beat )) -lt ${AGENT_STALE_SECONDS} ]`;

/**
 * The agent's container, a sidecar started before the init containers: `statefulSet` names the
 * StatefulSet whose replica count it reads, `peerClaim` pod 1's claim.
 */
export function agentContainer(statefulSet: string, peerClaim: string) {
  const field = (name: string, fieldPath: string) => ({
    name,
    valueFrom: { fieldRef: { fieldPath } },
  });
  return {
    name: "agent",
    image: AGENT_IMAGE,
    command: ["sh", "-c", AGENT_SCRIPT],
    env: [
      field("POD_NAME", "metadata.name"),
      field("POD_UID", "metadata.uid"),
      { name: "STATEFULSET_NAME", value: statefulSet },
      { name: "PEER_CLAIM", value: peerClaim },
    ],
    // A sidecar: it runs for the pod's whole life, from before the init containers to after the
    // other containers have stopped.
    restartPolicy: "Always" as const,
    resources: AGENT_RESOURCES,
    volumeMounts: [
      agentMount,
      { name: AGENT_CREDENTIALS_VOLUME, mountPath: AGENT_CREDENTIALS_DIR, readOnly: true },
    ],
    // The next init container starts once the first pass is done, so its files are there to read.
    // A pass ends whatever the API answers (each call gives up after 10 s).
    startupProbe: {
      exec: { command: ["sh", "-c", AGENT_READINESS_SCRIPT] },
      periodSeconds: 1,
      timeoutSeconds: 2,
      failureThreshold: AGENT_STARTUP_SECONDS,
    },
    readinessProbe: {
      exec: { command: ["sh", "-c", AGENT_READINESS_SCRIPT] },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
  };
}

/** Seconds the agent's token lives; the kubelet renews it at 80% of that. */
const TOKEN_SECONDS = 3600;

/**
 * The shared directory, and the agent's credentials: a bound token of the workload's service
 * account, the cluster's CA and the namespace, as the kubelet would mount them by default, but in
 * the agent's container only (the pod has automountServiceAccountToken off).
 */
export function agentVolumes(): k8s.types.input.core.v1.Volume[] {
  return [
    { name: AGENT_VOLUME, emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
    {
      name: AGENT_CREDENTIALS_VOLUME,
      projected: {
        defaultMode: 0o440,
        sources: [
          { serviceAccountToken: { path: "token", expirationSeconds: TOKEN_SECONDS } },
          { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
          {
            downwardAPI: {
              items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }],
            },
          },
        ],
      },
    },
  ];
}

/**
 * What the agent may do, and no more: read and label (patch) and delete its workload's own pods by
 * name, read its StatefulSet's scale, and read pod 1's claim (`peerClaim`). The pod names follow
 * the replica count.
 */
export function agentRules(statefulSet: string, replicas: number, peerClaim: string) {
  return [
    {
      apiGroups: [""],
      resources: ["pods"],
      resourceNames: Array.from({ length: replicas }, (_, i) => podName(statefulSet, i)),
      verbs: ["get", "patch", "delete"],
    },
    {
      apiGroups: ["apps"],
      resources: ["statefulsets/scale"],
      resourceNames: [statefulSet],
      verbs: ["get"],
    },
    {
      apiGroups: [""],
      resources: ["persistentvolumeclaims"],
      resourceNames: [peerClaim],
      verbs: ["get"],
    },
  ];
}
