// The agent's script with a stand-in curl that records each call: what reaches the API and how,
// without a cluster (test/cluster/agent.test.ts runs it against a real API server).
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { AGENT_SCRIPT, ROLE_LABEL } from "../../components/agent";

const TOKEN = "token-that-must-stay-off-argv";

/**
 * A directory for the agent with its credentials, and a stand-in curl that logs every call (argv
 * and stdin), copies `reply.body` to -o and prints `reply.status`; a claim's GET gets the next of
 * `claimStatuses` (the last one once they run out).
 */
function standIn(reply: { status: string; body: string }, claimStatuses: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "agent-"));
  const sa = join(dir, "sa");
  const bin = join(dir, "bin");
  mkdirSync(sa);
  mkdirSync(bin);
  writeFileSync(join(sa, "token"), TOKEN);
  writeFileSync(join(sa, "namespace"), "data");
  writeFileSync(join(sa, "ca.crt"), "");
  writeFileSync(join(dir, "reply"), reply.body);
  writeFileSync(join(dir, "claim-statuses"), claimStatuses.join("\n") + "\n");
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
      'case "$url" in',
      "  */persistentvolumeclaims/*)",
      `    n=$(grep -c persistentvolumeclaims "${dir}/calls")`,
      `    s=$(sed -n "\${n}p" "${dir}/claim-statuses"); [ -n "$s" ] || s=$(tail -n 1 "${dir}/claim-statuses")`,
      '    printf %s "$s" ;;',
      `  *) printf %s "${reply.status}" ;;`,
      "esac",
    ].join("\n"),
  );
  chmodSync(join(bin, "curl"), 0o755);
  const env = {
    PATH: `${bin}:${process.env.PATH}`,
    AGENT_DIR: dir,
    AGENT_CREDENTIALS_DIR: sa,
    API_URL: "https://api.test",
    AGENT_INTERVAL: "0",
    POD_NAME: "db-1",
    POD_UID: "uid-1",
    STATEFULSET_NAME: "db",
    PEER_CLAIM: "data-db-1",
  };
  const read = (f: string) =>
    existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8").trim() : undefined;
  return { dir, env, read };
}

/** One pass of the agent, in a directory that holds `files`; a claim's GET answers `claimStatus`. */
function pass(
  files: Record<string, string>,
  reply = { status: "200", body: "{}" },
  claimStatus = reply.status,
) {
  const { dir, env, read } = standIn(reply, [claimStatus]);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  const run = spawnSync("sh", ["-c", AGENT_SCRIPT], { encoding: "utf8", env });
  assert.equal(run.status, 0, run.stderr);
  return {
    out: run.stdout,
    calls: read("calls") ?? "",
    replicas: read("replicas"),
    peerClaim: read("peer-claim"),
  };
}

/**
 * The agent running, reading the scale and the claim at every pass, until it has read the claim as
 * often as `claimStatuses` says; then stopped. `files` are written before it starts.
 */
async function running(claimStatuses: string[], files: Record<string, string> = {}) {
  const { dir, env, read } = standIn({ status: "200", body: "{}" }, claimStatuses);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  const agent = spawn("sh", ["-c", AGENT_SCRIPT], {
    env: { ...env, AGENT_INTERVAL: "0.05", AGENT_READ_EVERY: "1" },
  });
  let out = "";
  agent.stdout.on("data", (d) => (out += d));
  // "close": the process has exited and its output has been read to the end.
  const exited = new Promise<number | null>((r) => agent.on("close", (code) => r(code)));
  const claimReads = () => (read("calls") ?? "").split("persistentvolumeclaims").length - 1;
  const stop = async () => {
    agent.kill("SIGTERM");
    assert.equal(await exited, 0, "stops cleanly on SIGTERM");
    return { out, read };
  };
  return { dir, read, claimReads, stop };
}

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(ok(), `timed out waiting for ${what}`);
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

  it("keeps an answer of present when the API fails, drops one of absent, and says why", async () => {
    for (const status of ["403", "500", "000"]) {
      for (const [first, after] of [
        ["200", "present"],
        ["404", undefined],
      ] as const) {
        const agent = await running([first, status]);
        // A third read has begun: the second one's pass is complete (a pass stopped in the middle
        // of a call ends there).
        await until(() => agent.claimReads() >= 3, "three reads of the claim");
        const { out, read } = await agent.stop();
        assert.equal(read("peer-claim"), after, `${first} then HTTP ${status}`);
        assert.match(out, new RegExp(`reading claim data-db-1 failed: HTTP ${status}`));
      }
    }
  });

  it("a restarted agent answers nothing before its own first pass", () => {
    const { peerClaim } = pass(
      { "peer-claim": "absent\n", "agent-heartbeat": "1\n" },
      { status: "200", body: "{}" },
      "403",
    );
    assert.equal(peerClaim, undefined, "the last agent's answer is gone");
  });

  it("labels the pod with the last role written when it is stopped (a primary's preStop handover)", async () => {
    const agent = await running(["200"], { role: "primary\n" });
    const labelled = (role: string) => () =>
      (agent.read("calls") ?? "").includes(`"${ROLE_LABEL}":"${role}"`);
    await until(labelled("primary"), "the primary label");
    writeFileSync(join(agent.dir, "role"), "replica\n");
    const { out } = await agent.stop();
    assert.ok(labelled("replica")(), "labelled replica on its way out");
    assert.match(out, /labelled this pod stateful-workloads\/role=replica/);
  });
});
