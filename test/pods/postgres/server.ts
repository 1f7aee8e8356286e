// Real PostgreSQL servers for the pod scripts' tests: the server binaries of the machine (Debian's
// postgresql-<major> package, or PG_BIN), run as a non-root user on loopback, each with its own port,
// socket directory and data directory under one temporary directory. The scripts run with the same
// environment variables the pod spec gives them, pointed at these directories.
import { ChildProcess, execFileSync, spawn } from "child_process";
import { freePort } from "../ports";
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "fs";
import { tmpdir } from "os";
import { join } from "path";
import {
  POSTGRES_CLONE_SCRIPT,
  POSTGRES_RECONCILE_SCRIPT,
  POSTGRES_SECRET_KEYS,
} from "../../../components/postgres";

const NEEDED = [
  "initdb",
  "postgres",
  "pg_ctl",
  "pg_basebackup",
  "psql",
  "pg_isready",
  "pg_controldata",
  "pg_receivewal",
  "pg_waldump",
];

/** Where the server binaries are and whom to run them as, or what is missing. */
export interface Toolbox {
  bin: string;
  /** Set when the tests run as root: the servers and scripts run as this user instead. */
  runAs?: { user: string; uid: number; gid: number };
}

export function findToolbox(): Toolbox | { missing: string } {
  const candidates = process.env.PG_BIN
    ? [process.env.PG_BIN]
    : existsSync("/usr/lib/postgresql")
      ? readdirSync("/usr/lib/postgresql")
          .filter((v) => /^\d+$/.test(v))
          .sort((a, b) => Number(b) - Number(a))
          .map((v) => `/usr/lib/postgresql/${v}/bin`)
      : [];
  const bin = candidates.find((dir) => NEEDED.every((b) => existsSync(join(dir, b))));
  if (!bin) {
    return {
      missing: `no PostgreSQL server binaries (${NEEDED.join(", ")}) in /usr/lib/postgresql/<major>/bin or $PG_BIN (apt-get install postgresql-15)`,
    };
  }
  if (process.getuid?.() !== 0) return { bin };
  try {
    const id = (flag: string) =>
      Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    return { bin, runAs: { user: "postgres", uid: id("-u"), gid: id("-g") } };
  } catch {
    return { missing: "running as root, and no 'postgres' user to run the server as" };
  }
}

/** Skips the suite (one line saying what is missing) or returns the toolbox. */
export function toolboxOrSkip(suite: Mocha.Context): Toolbox {
  const found = findToolbox();
  if ("missing" in found) {
    console.log(`      skipped: ${found.missing}`);
    suite.skip();
  }
  return found as Toolbox;
}

export type Passwords = Record<keyof typeof POSTGRES_SECRET_KEYS, string>;

let counter = 0;
/** Fresh generated-looking passwords, different on every call. */
export function newPasswords(): Passwords {
  counter += 1;
  const r = () => Math.random().toString(36).slice(2, 12);
  return {
    superuser: `su${counter}x${r()}`,
    user: `app${counter}x${r()}`,
    replication: `repl${counter}x${r()}`,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined, or throws after `seconds`. */
export async function waitFor<T>(
  what: string,
  seconds: number,
  check: () => T | undefined,
): Promise<T> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${seconds}s waiting for ${what}`);
    await sleep(200);
  }
}

/** A script started in the background (the sidecar, a halted init container), with its output. */
export interface Background {
  child: ChildProcess;
  output: () => string;
  exited: () => boolean;
  stop: () => Promise<void>;
}

/** One temporary directory for a suite's pods; removed (servers stopped first) by `cleanup`. */
export class Lab {
  readonly root: string;
  private readonly pods: Pod[] = [];
  private readonly background: Background[] = [];

  constructor(readonly tools: Toolbox) {
    this.root = mkdtempSync(join(tmpdir(), "pg-pods-"));
    this.own(this.root);
  }

  /** Gives a path to the user the servers run as. */
  own(path: string): void {
    if (this.tools.runAs) chownSync(path, this.tools.runAs.uid, this.tools.runAs.gid);
  }

  /** The environment every script and server command gets: the binaries first on PATH. */
  baseEnv(): Record<string, string> {
    return {
      PATH: `${this.tools.bin}:/usr/local/bin:/usr/bin:/bin`,
      LANG: "C.UTF-8",
      HOME: this.root,
    };
  }

  private asUser() {
    return this.tools.runAs ? { uid: this.tools.runAs.uid, gid: this.tools.runAs.gid } : {};
  }

  /** Runs a command as the server user; throws with its output on failure. */
  run(command: string, args: string[], env: Record<string, string> = {}, input?: string): string {
    try {
      return execFileSync(command, args, {
        encoding: "utf8",
        env: { ...this.baseEnv(), ...env },
        cwd: this.root,
        input,
        stdio: "pipe",
        timeout: 60_000,
        ...this.asUser(),
      });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `${command} ${args.join(" ")} failed: ${e.message}\n${e.stdout}\n${e.stderr}`,
        { cause: err },
      );
    }
  }

  /** Runs a command; returns its exit status and output instead of throwing. */
  attempt(
    command: string,
    args: string[],
    env: Record<string, string> = {},
  ): { status: number; output: string } {
    try {
      return { status: 0, output: this.run(command, args, env) };
    } catch (err) {
      return { status: 1, output: (err as Error).message };
    }
  }

  /** Starts a bash script in the background as the server user, collecting its output. */
  spawnScript(script: string, env: Record<string, string>): Background {
    let out = "";
    const child = spawn("bash", ["-c", script], {
      env: { ...this.baseEnv(), ...env },
      cwd: this.root,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      ...this.asUser(),
    });
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    let done = false;
    const closed = new Promise<void>((r) => child.on("close", () => ((done = true), r())));
    const bg: Background = {
      child,
      output: () => out,
      exited: () => done,
      stop: async () => {
        if (!done) {
          try {
            process.kill(-child.pid!, "SIGTERM");
          } catch {
            // already gone
          }
          await Promise.race([closed, sleep(5000)]);
          if (!done) process.kill(-child.pid!, "SIGKILL");
        }
      },
    };
    this.background.push(bg);
    return bg;
  }

  /** Everything every background script printed. */
  backgroundOutput(): string {
    return this.background.map((b) => b.output()).join("");
  }

  async pod(name: string): Promise<Pod> {
    const pod = new Pod(this, name, await freePort());
    this.pods.push(pod);
    return pod;
  }

  async cleanup(): Promise<void> {
    for (const bg of this.background) await bg.stop();
    for (const pod of this.pods) pod.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * One pod's directories (data, socket/run, mounted Secret) and its server. The directory layout
 * mirrors the pod's: PGDATA is a subdirectory of the claim, the run directory holds the socket,
 * the passfile and the sidecar's marker.
 */
export class Pod {
  readonly dir: string;
  readonly claim: string;
  readonly pgdata: string;
  readonly run: string;
  readonly secrets: string;
  readonly log: string;
  /** The agent's shared directory (AGENT_DIR in the pod): RESTART_FILE and REPLICAS_FILE. */
  readonly agent: string;

  constructor(
    readonly lab: Lab,
    readonly name: string,
    readonly port: number,
  ) {
    this.dir = join(lab.root, name);
    this.claim = join(this.dir, "data");
    this.pgdata = join(this.claim, "pgdata");
    this.run = join(this.dir, "run");
    this.secrets = join(this.dir, "auth");
    this.log = join(this.dir, "server.log");
    this.agent = join(this.dir, "agent");
    for (const d of [this.dir, this.claim, this.run, this.secrets, this.agent]) {
      mkdirSync(d, { recursive: true });
      lab.own(d);
    }
  }

  get passfile(): string {
    return join(this.run, "replication.pgpass");
  }

  get marker(): string {
    return join(this.run, "reconciled");
  }

  /** Where the sidecar asks the agent to restart the pod. */
  get restartFile(): string {
    return join(this.agent, "restart");
  }

  /** Where the agent writes the StatefulSet's replica count. */
  get replicasFile(): string {
    return join(this.agent, "replicas");
  }

  /** The marker on the claim: why the init container must clone the primary again. */
  get recloneMarker(): string {
    return join(this.claim, "reclone");
  }

  private agentPasses = 0;

  /**
   * Plays the agent: writes the StatefulSet's replica count, as a new file (renamed over the old
   * one) whose modification time is a minute after the last one's, as the agent's are.
   */
  writeReplicas(n: number): void {
    const tmp = `${this.replicasFile}.new`;
    writeFileSync(tmp, `${n}\n`);
    this.lab.own(tmp);
    this.agentPasses += 1;
    const at = Math.floor(Date.now() / 1000) + 60 * this.agentPasses;
    utimesSync(tmp, at, at);
    renameSync(tmp, this.replicasFile);
  }

  /** Plays the agent: writes whether pod 1's claim exists. */
  writePeerClaim(answer: "absent" | "present"): void {
    const file = join(this.agent, "peer-claim");
    writeFileSync(file, `${answer}\n`);
    this.lab.own(file);
  }

  /** What a file holds, or undefined when it is not there. */
  read(path: string): string | undefined {
    return existsSync(path) ? readFileSync(path, "utf8") : undefined;
  }

  /** The entries of the claim (the volume's root): PGDATA and whatever was kept beside it. */
  claimEntries(): string[] {
    return readdirSync(this.claim).sort();
  }

  /** Writes the mounted Secret's files as the kubelet does: a whole new set, swapped in. */
  writeSecret(p: Passwords): void {
    for (const [field, key] of Object.entries(POSTGRES_SECRET_KEYS)) {
      const tmp = join(this.secrets, `.${key}.new`);
      writeFileSync(tmp, p[field as keyof Passwords], { mode: 0o440 });
      this.lab.own(tmp);
      renameSync(tmp, join(this.secrets, key));
    }
  }

  /** What the pod spec sets for the init container and the sidecar, pointed at this pod's dirs. */
  env(primary: Pod, extra: Record<string, string> = {}): Record<string, string> {
    return {
      POD_NAME: this.name,
      PGDATA: this.pgdata,
      SECRETS_DIR: this.secrets,
      REPLICATION_USER: "replicator",
      REPLICATION_PASSFILE: this.passfile,
      PRIMARY_HOST: "127.0.0.1",
      PRIMARY_PORT: String(primary.port),
      APP_USER: "app",
      APP_DATABASE: "app",
      PGHOST: this.run,
      PGPORT: String(this.port),
      RECONCILED_MARKER: this.marker,
      RECONCILE_INTERVAL: "0.2",
      RESTART_FILE: this.restartFile,
      REPLICAS_FILE: this.replicasFile,
      ROLE_FILE: join(this.agent, "role"),
      PEER_CLAIM_FILE: join(this.agent, "peer-claim"),
      ...extra,
    };
  }

  /**
   * What the image's entrypoint does on an empty data directory: initdb with the superuser's
   * password from the mounted Secret and data checksums, local connections trusted, every other
   * connection by password (`host all all all scram-sha-256`). The loopback addresses get no trust
   * lines here: they stand for the pod network.
   */
  initdb(): void {
    this.lab.run("initdb", [
      "-D",
      this.pgdata,
      "--username=postgres",
      `--pwfile=${join(this.secrets, POSTGRES_SECRET_KEYS.superuser)}`,
      "--data-checksums",
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
    ]);
    const hba =
      "local all all trust\nlocal replication all trust\nhost all all all scram-sha-256\n";
    writeFileSync(join(this.pgdata, "pg_hba.conf"), hba);
    this.lab.own(join(this.pgdata, "pg_hba.conf"));
  }

  /** Starts the server as the main container does, with the settings that matter here. */
  start(settings: Record<string, string> = {}): void {
    const all: Record<string, string> = {
      listen_addresses: "127.0.0.1",
      port: String(this.port),
      unix_socket_directories: this.run,
      wal_level: "replica",
      max_wal_senders: "10",
      hot_standby: "on",
      log_connections: "on",
      log_statement: "all",
      log_min_duration_statement: "0",
      fsync: "off",
      shared_buffers: "16MB",
      ...settings,
    };
    const options = Object.entries(all)
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(" ");
    this.lab.run("pg_ctl", [
      "-D",
      this.pgdata,
      "-l",
      this.log,
      "-o",
      options,
      "-w",
      "-t",
      "30",
      "start",
    ]);
  }

  stop(): void {
    if (existsSync(join(this.pgdata, "postmaster.pid"))) {
      this.lab.attempt("pg_ctl", ["-D", this.pgdata, "-m", "fast", "-w", "-t", "30", "stop"]);
    }
  }

  /** Empties the claim, as a new volume would be. */
  wipeClaim(): void {
    this.stop();
    rmSync(this.claim, { recursive: true, force: true });
    mkdirSync(this.claim);
    this.lab.own(this.claim);
  }

  /** The server's system identifier, timeline and WAL position, as pg_controldata reads them. */
  control(): Record<string, string> {
    const out = this.lab.run("pg_controldata", [this.pgdata], { LC_ALL: "C" });
    return Object.fromEntries(
      out
        .split("\n")
        .map((l) => /^([^:]+):\s*(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => !!m)
        .map((m) => [m[1], m[2]]),
    );
  }

  /** Writes WAL and moves on to new segments: rows, then `segments` WAL switches, then a checkpoint. */
  churnWal(segments: number): void {
    for (let i = 0; i < segments; i++) {
      this.sql(
        "CREATE TABLE IF NOT EXISTS churn (v int); INSERT INTO churn SELECT generate_series(1, 100)",
      );
      this.sql("SELECT pg_switch_wal()");
    }
    this.sql("CHECKPOINT");
  }

  serverLog(): string {
    return existsSync(this.log) ? readFileSync(this.log, "utf8") : "";
  }

  /** psql as postgres over this pod's socket (trusted), one value out. */
  sql(query: string, db = "postgres"): string {
    return this.lab
      .run("psql", [
        "-X",
        "-w",
        "-q",
        "-A",
        "-t",
        "-h",
        this.run,
        "-p",
        String(this.port),
        "-U",
        "postgres",
        "-d",
        db,
        "-c",
        query,
      ])
      .trim();
  }

  /** Like `sql`, but undefined where the query fails (a relation not replayed yet). */
  trySql(query: string, db = "postgres"): string | undefined {
    try {
      return this.sql(query, db);
    } catch {
      return undefined;
    }
  }

  /**
   * Logs in over TCP with a password, as a client on the network would (scram-sha-256); the
   * password travels in PGPASSWORD. `replication` asks for a physical replication connection.
   */
  login(
    user: string,
    password: string,
    db: string,
    replication = false,
  ): { ok: boolean; output: string } {
    const conn = `host=127.0.0.1 port=${this.port} user=${user} dbname=${db}${replication ? " replication=true" : ""}`;
    const { status, output } = this.lab.attempt(
      "psql",
      ["-X", "-w", "-A", "-t", conn, "-c", replication ? "IDENTIFY_SYSTEM" : "SELECT current_user"],
      { PGPASSWORD: password, PGCONNECT_TIMEOUT: "5" },
    );
    return { ok: status === 0, output };
  }
}

/** The pod's containers, as the scripts run in them. */
export const containers = {
  /** The `clone-primary` init container, to its end; its output. */
  init(pod: Pod, primary: Pod, extra: Record<string, string> = {}): string {
    return pod.lab.run("bash", ["-c", POSTGRES_CLONE_SCRIPT], pod.env(primary, extra));
  },
  /** The `clone-primary` init container, in the background (it may hold the pod back). */
  initInBackground(pod: Pod, primary: Pod, extra: Record<string, string> = {}): Background {
    return pod.lab.spawnScript(POSTGRES_CLONE_SCRIPT, pod.env(primary, extra));
  },
  /** The `reconcile` sidecar, in the background. */
  sidecar(pod: Pod, primary: Pod, extra: Record<string, string> = {}): Background {
    return pod.lab.spawnScript(POSTGRES_RECONCILE_SCRIPT, pod.env(primary, extra));
  },
};

/** The WAL receiver's status on a replica ("none" without one). */
export function receiverStatus(replica: Pod): string {
  return replica.trySql("SELECT status FROM pg_stat_wal_receiver") || "none";
}

/** Waits until the replica's WAL receiver streams. */
export async function untilStreaming(replica: Pod, seconds = 20): Promise<void> {
  await waitFor(`${replica.name} to stream`, seconds, () =>
    receiverStatus(replica) === "streaming" ? true : undefined,
  );
}

/** Waits until `query` on `pod` answers `value`. */
export async function untilAnswers(
  pod: Pod,
  query: string,
  value: string,
  seconds = 15,
  db = "postgres",
): Promise<void> {
  await waitFor(`${pod.name} to answer ${value} to ${query}`, seconds, () =>
    pod.trySql(query, db) === value ? true : undefined,
  );
}

/**
 * Pod 0 from scratch, as on a first start: the init container, initdb, the server (with `settings`),
 * and the sidecar (with `sidecarEnv`), once it has created the roles from the Secret.
 */
export async function firstPrimary(
  pod: Pod,
  passwords: Passwords,
  settings: Record<string, string> = {},
  sidecarEnv: Record<string, string> = {},
): Promise<Background> {
  pod.writeSecret(passwords);
  containers.init(pod, pod);
  pod.initdb();
  pod.start(settings);
  rmSync(pod.marker, { force: true }); // a new pod's run directory is empty
  const sidecar = containers.sidecar(pod, pod, sidecarEnv);
  await waitFor(`${pod.name}'s sidecar to reconcile`, 20, () =>
    existsSync(pod.marker) ? true : undefined,
  );
  return sidecar;
}

/** A replica's first start: its init container clones `primary`, then its server streams. */
export async function firstReplica(
  pod: Pod,
  primary: Pod,
  passwords: Passwords,
  extra: Record<string, string> = {},
): Promise<string> {
  pod.writeSecret(passwords);
  const out = containers.init(pod, primary, extra);
  pod.start();
  await untilStreaming(pod);
  return out;
}
