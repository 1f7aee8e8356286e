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

  /** Whether this machine lets the tests run a script as PID 1 of a PID namespace of its own. */
  const canBePid1 = () => spawnSync("unshare", ["--pid", "--fork", "true"]).status === 0;

  /**
   * The script as the container's PID 1, which ignores SIGTERM unless it traps it: bash in a PID
   * namespace of its own. `term` sends SIGTERM to that bash alone, as the kubelet does.
   */
  const asPid1 = (script: string, env: Record<string, string>) => {
    const child = spawn("unshare", ["--pid", "--fork", "--kill-child", "bash", "-c", script], {
      env: { ...lab.baseEnv(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    let code: number | null | undefined;
    child.on("exit", (c) => (code = c));
    return {
      output: () => out,
      exitCode: () => code,
      term: () => {
        const pid1 = spawnSync("pgrep", ["-P", String(child.pid)], {
          encoding: "utf8",
        }).stdout.trim();
        assert.match(pid1, /^\d+$/, "the namespace's PID 1");
        process.kill(Number(pid1), "SIGTERM");
      },
      kill: () => code === undefined && child.kill("SIGKILL"),
    };
  };
  /** The same in the background, not as PID 1 (where unshare is not permitted). */
  const background = (script: string, env: Record<string, string>) => {
    const bg = lab.spawnScript(script, env);
    return {
      output: bg.output,
      exitCode: () => (bg.exited() ? bg.child.exitCode : undefined),
      term: () => undefined,
      kill: () => void bg.stop(),
    };
  };

  for (const [what, offset] of [
    ["an older major (the image went up)", -1],
    ["a newer major (the image went back)", +1],
  ] as const) {
    for (const podName of ["db-0", "db-1"]) {
      it(`${what} on ${podName}: one line that says what to do, then it stays stopped`, async function () {
        setVersion(major + offset);
        const env = pod.env(pod, { POD_NAME: podName });
        const pid1 = canBePid1();
        const init = pid1
          ? asPid1(POSTGRES_CLONE_SCRIPT, env)
          : background(POSTGRES_CLONE_SCRIPT, env);
        try {
          await waitFor("the init container's line", 10, () =>
            init.output().includes("\n") ? true : undefined,
          );
          await sleep(1000);
          assert.equal(init.exitCode(), undefined, "still running: the pod stays in Init");
          const lines = init.output().split("\n").filter(Boolean);
          assert.equal(lines.length, 1, init.output());
          assert.equal(
            lines[0],
            `NOT STARTING: ${pod.pgdata} holds a PostgreSQL ${major + offset} data directory and this image runs PostgreSQL ${major}; set the image back to a ${major + offset}.x tag, or upgrade the data first (README, PostgreSQL: major version upgrade)`,
          );
          if (!pid1) {
            console.log(
              "      SIGTERM not checked: unshare --pid is not permitted here (needs root)",
            );
            return;
          }
          // Deleting the pod (SIGTERM to PID 1) ends it at once, through halt's own trap, not after
          // the grace period.
          init.term();
          await sleep(2000);
          assert.equal(init.exitCode(), 1, "stops within 2 s of SIGTERM, through halt's trap");
        } finally {
          init.kill();
        }
      });
    }
  }

  it("the server's own major version passes on (pod 0: nothing to clone)", () => {
    setVersion(major);
    const out = lab.run("bash", ["-c", POSTGRES_CLONE_SCRIPT], pod.env(pod, { POD_NAME: "db-0" }));
    assert.equal(out, "pod 0 is the primary: nothing to clone\n");
  });

  it("a replica waiting for its primary stops promptly on SIGTERM too, as PID 1", async function () {
    if (!canBePid1()) {
      console.log("      skipped: unshare --pid is not permitted here (needs root)");
      return this.skip();
    }
    const fresh = await lab.pod("db-2");
    fresh.writeSecret(newPasswords());
    const init = asPid1(
      POSTGRES_CLONE_SCRIPT,
      fresh.env(fresh, {
        POD_NAME: "db-2",
        PRIMARY_PORT: String(await freePort()), // nothing listens: the primary is not up yet
      }),
    );
    try {
      await waitFor("the waiting line", 10, () =>
        init.output().includes("waiting for the primary") ? true : undefined,
      );
      init.term();
      await sleep(2000);
      assert.equal(init.exitCode(), 143, "stops within 2 s of SIGTERM, not after the grace period");
    } finally {
      init.kill();
    }
  });
});
