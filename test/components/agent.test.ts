// The agent's script with a stand-in curl that records each call: what reaches the API and how,
// without a cluster (test/cluster/agent.test.ts runs it against a real API server).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { AGENT_SCRIPT, ROLE_LABEL } from "../../components/agent";

const TOKEN = "token-that-must-stay-off-argv";

/**
 * One pass of the agent with a curl that answers `status` and `body` (or `claimStatus` for a claim)
 * and logs every call.
 */
function pass(
  files: Record<string, string>,
  reply = { status: "200", body: "{}" },
  claimStatus = reply.status,
) {
  const dir = mkdtempSync(join(tmpdir(), "agent-"));
  const sa = join(dir, "sa");
  const bin = join(dir, "bin");
  mkdirSync(sa);
  mkdirSync(bin);
  writeFileSync(join(sa, "token"), TOKEN);
  writeFileSync(join(sa, "namespace"), "data");
  writeFileSync(join(sa, "ca.crt"), "");
  writeFileSync(join(dir, "reply"), reply.body);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  // Logs argv and stdin per call, copies the canned reply to -o, prints the status (-w).
  writeFileSync(
    join(bin, "curl"),
    [
      "#!/bin/sh",
      `log="${dir}/calls"`,
      'printf "ARGV %s\\n" "$*" >>"$log"',
      'printf "STDIN %s\\n" "$(cat)" >>"$log"',
      "for url; do :; done",
      'while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift ;; esac; shift; done',
      `cp "${dir}/reply" "$out"`,
      `case "$url" in */persistentvolumeclaims/*) printf %s "${claimStatus}" ;; *) printf %s "${reply.status}" ;; esac`,
    ].join("\n"),
  );
  chmodSync(join(bin, "curl"), 0o755);
  const run = spawnSync("sh", ["-c", AGENT_SCRIPT], {
    encoding: "utf8",
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      AGENT_DIR: dir,
      AGENT_CREDENTIALS_DIR: sa,
      API_URL: "https://api.test",
      AGENT_INTERVAL: "0",
      POD_NAME: "db-1",
      POD_UID: "uid-1",
      STATEFULSET_NAME: "db",
      PEER_CLAIM: "data-db-1",
    },
  });
  assert.equal(run.status, 0, run.stderr);
  const calls = existsSync(join(dir, "calls")) ? readFileSync(join(dir, "calls"), "utf8") : "";
  const replicas = existsSync(join(dir, "replicas"))
    ? readFileSync(join(dir, "replicas"), "utf8").trim()
    : undefined;
  const read = (f: string) =>
    existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8").trim() : undefined;
  return { out: run.stdout, calls, replicas, peerClaim: read("peer-claim") };
}

describe("pod agent script (stand-in curl)", () => {
  it("sends the token on stdin, never on a command line", () => {
    const { calls } = pass({ role: "primary\n" });
    const argv = calls.split("\n").filter((l) => l.startsWith("ARGV"));
    assert.ok(argv.length >= 2, "a label patch and a scale read");
    for (const line of argv) assert.ok(!line.includes(TOKEN), `token on argv: ${line}`);
    assert.match(calls, new RegExp(`STDIN Authorization: Bearer ${TOKEN}`));
  });

  it("labels its own pod with a merge patch of the role", () => {
    const { calls, out } = pass({ role: "replica\n" });
    assert.match(calls, /-X PATCH .*Content-Type: application\/merge-patch\+json/);
    assert.ok(
      calls.includes(`{"metadata":{"labels":{"${ROLE_LABEL}":"replica"}}}`),
      "the label patch body",
    );
    assert.match(calls, /https:\/\/api\.test\/api\/v1\/namespaces\/data\/pods\/db-1/);
    assert.match(out, /labelled this pod stateful-workloads\/role=replica/);
  });

  it("labels nothing for a role file that holds neither primary nor replica, and says so", () => {
    const { calls, out } = pass({ role: "leader\n" });
    assert.doesNotMatch(calls, /-X PATCH/);
    assert.match(out, /holds neither primary nor replica/);
  });

  it("reports a refused call with its HTTP status and keeps going", () => {
    const { out, replicas } = pass(
      { role: "primary\n" },
      { status: "403", body: '{"reason":"Forbidden"}' },
    );
    assert.match(out, /labelling this pod primary failed: HTTP 403/);
    assert.match(out, /reading the replica count failed: HTTP 403/);
    assert.equal(replicas, undefined);
  });

  it("reads the replica count from the scale, a zero left out included", () => {
    const scale = (spec: string) =>
      `{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"db"},"spec":${spec},"status":{"replicas":3,"selector":"x"}}`;
    assert.equal(pass({}, { status: "200", body: scale('{"replicas":5}') }).replicas, "5");
    assert.equal(pass({}, { status: "200", body: scale("{}") }).replicas, "0");
  });

  it("deletes its own pod incarnation (a uid precondition) when asked to start over", () => {
    const { calls, out } = pass({ restart: "its WAL is gone\n" });
    assert.match(calls, /-X DELETE .*"preconditions":\{"uid":"uid-1"\}/);
    assert.match(out, /deleted this pod so that it starts over: its WAL is gone/);
  });

  it("says whether pod 1's claim exists: absent on 404 only, present on 200", () => {
    const absent = pass({}, { status: "200", body: "{}" }, "404");
    assert.match(
      absent.calls,
      /-X GET .*https:\/\/api\.test\/api\/v1\/namespaces\/data\/persistentvolumeclaims\/data-db-1/,
    );
    assert.equal(absent.peerClaim, "absent");
    assert.equal(pass({}, { status: "200", body: "{}" }, "200").peerClaim, "present");
  });

  it("keeps its last answer on pod 1's claim when the API fails, and says why", () => {
    for (const status of ["403", "500", "000"]) {
      const { out, peerClaim } = pass(
        { "peer-claim": "present\n" },
        { status: "200", body: "{}" },
        status,
      );
      assert.equal(peerClaim, "present", `after HTTP ${status}`);
      assert.match(out, new RegExp(`reading claim data-db-1 failed: HTTP ${status}`));
    }
    assert.equal(pass({}, { status: "200", body: "{}" }, "403").peerClaim, undefined, "no guess");
  });
});
