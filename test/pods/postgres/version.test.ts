// A data directory of another major version: the init container stops the pod with one log line
// that says what to do, and stays stopped (the pod sits in Init, the rollout stops at it), where
// the server itself would crash-loop.
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { POSTGRES_CLONE_SCRIPT } from "../../../components/postgres";
import { freePort } from "../ports";
import { Lab, newPasswords, Pod, sleep, toolboxOrSkip, waitFor } from "./server";

describe("PostgreSQL pod scripts: a data directory of another major version (real server)", function () {
  this.timeout(30_000);
  let lab: Lab;
  let pod: Pod;
  let major: number;

  before(async function () {
    lab = new Lab(toolboxOrSkip(this));
    pod = await lab.pod("db-1");
    pod.writeSecret(newPasswords());
    pod.initdb();
    major = Number(readFileSync(join(pod.pgdata, "PG_VERSION"), "utf8"));
  });

  after(async () => {
    await lab?.cleanup();
  });

  const setVersion = (v: number) => {
    writeFileSync(join(pod.pgdata, "PG_VERSION"), `${v}\n`);
  };

  it("the server itself refuses such a directory (what crash-loops without the check)", () => {
    setVersion(major + 1);
    const { status, output } = lab.attempt("postgres", ["-D", pod.pgdata, "-p", String(pod.port)]);
    assert.notEqual(status, 0);
    assert.match(output, /database files are incompatible with server/);
  });

  for (const [what, offset] of [
    ["an older major (the image went up)", -1],
    ["a newer major (the image went back)", +1],
  ] as const) {
    for (const podName of ["db-0", "db-1"]) {
      it(`${what} on ${podName}: one line that says what to do, then it stays stopped`, async () => {
        setVersion(major + offset);
        const init = lab.spawnScript(POSTGRES_CLONE_SCRIPT, pod.env(pod, { POD_NAME: podName }));
        await waitFor("the init container's line", 10, () =>
          init.output().includes("\n") ? true : undefined,
        );
        await sleep(1000);
        assert.equal(init.exited(), false, "still running: the pod stays in Init");
        const lines = init.output().split("\n").filter(Boolean);
        assert.equal(lines.length, 1, init.output());
        assert.equal(
          lines[0],
          `NOT STARTING: ${pod.pgdata} holds a PostgreSQL ${major + offset} data directory and this image runs PostgreSQL ${major}; set the image back to a ${major + offset}.x tag, or upgrade the data first (README, PostgreSQL: major version upgrade)`,
        );
        // Deleting the pod (SIGTERM) ends it at once, not after the grace period.
        const stopped = Date.now();
        await init.stop();
        assert.equal(init.exited(), true);
        assert.ok(Date.now() - stopped < 2000, "stops promptly on SIGTERM");
      });
    }
  }

  it("the server's own major version passes on (pod 0: nothing to clone)", () => {
    setVersion(major);
    const out = lab.run("bash", ["-c", POSTGRES_CLONE_SCRIPT], pod.env(pod, { POD_NAME: "db-0" }));
    assert.equal(out, "pod 0 is the primary: nothing to clone\n");
  });

  it("a replica waiting for its primary stops promptly on SIGTERM too, as PID 1", async function () {
    // In the pod the script's bash is PID 1, which ignores SIGTERM unless it traps it: run it as
    // PID 1 of a PID namespace of its own and signal that bash alone, as the kubelet does.
    if (spawnSync("unshare", ["--pid", "--fork", "true"]).status !== 0) {
      console.log("      skipped: unshare --pid is not permitted here (needs root)");
      return this.skip();
    }
    const fresh = await lab.pod("db-2");
    fresh.writeSecret(newPasswords());
    const env = fresh.env(fresh, {
      POD_NAME: "db-2",
      PRIMARY_PORT: String(await freePort()), // nothing listens: the primary is not up yet
    });
    const init = spawn(
      "unshare",
      ["--pid", "--fork", "--kill-child", "bash", "-c", POSTGRES_CLONE_SCRIPT],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    init.stdout.on("data", (d) => (out += d));
    let exited = false;
    init.on("exit", () => (exited = true));
    try {
      await waitFor("the waiting line", 10, () =>
        out.includes("waiting for the primary") ? true : undefined,
      );
      const pid1 = spawnSync("pgrep", ["-P", String(init.pid)], { encoding: "utf8" }).stdout.trim();
      assert.match(pid1, /^\d+$/, "the namespace's PID 1");
      process.kill(Number(pid1), "SIGTERM");
      await sleep(2000);
      assert.equal(exited, true, "stops within 2 s of SIGTERM, not after the grace period");
    } finally {
      if (!exited) init.kill("SIGKILL");
    }
  });
});
