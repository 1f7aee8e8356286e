// Real redis-server processes on loopback, each set up as one pod of the Redis component would
// be: its own port, data directory, mounted password file and state directory, and the
// component's exact scripts run with `sh`. Pod N's peers are reached at 127.0.0.1 on their ports;
// with Sentinel, each pod has its own loopback address instead (its "DNS name"), and every pod
// uses the same two ports, as pods do.
import { ChildProcess, spawn, spawnSync } from "child_process";
import { freePort } from "../ports";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import {
  redisConfig,
  REDIS_AUTH_SCRIPT,
  REDIS_LIVENESS_SCRIPT,
  REDIS_PRESTOP_SCRIPT,
  REDIS_READINESS_SCRIPT,
  REDIS_START_SCRIPT,
  SENTINEL_SCRIPT,
} from "../../../components/redis";
import { TLS_FILES } from "../../../components/tls";
import { makeCertificate } from "../certificates";

/** The binaries the scripts need; a test suite skips with one line when any is missing. */
export function missingBinaries(): string[] {
  return ["redis-server", "redis-cli", "timeout"].filter(
    (bin) => spawnSync("sh", ["-c", `command -v ${bin}`]).status !== 0,
  );
}

/** A `before` hook: skips the suite, with one line saying what is missing, without the binaries. */
export function skipWithoutRedis(this: Mocha.Context): void {
  const missing = missingBinaries();
  if (missing.length > 0) {
    console.log(`    skipped: no ${missing.join(", ")} on the PATH (apt-get install redis-server)`);
    this.skip();
  }
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 100 ms until it holds; throws with `what` after `ms`. */
export async function waitFor(what: string, check: () => boolean, ms = 15000): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
  return Date.now() - start;
}

/** A running shell or server and everything it printed. */
class Proc {
  log = "";
  exited = false;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on("data", (d) => (this.log += d));
    child.stderr?.on("data", (d) => (this.log += d));
    child.on("exit", () => (this.exited = true));
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill("SIGTERM");
    try {
      await waitFor("the process to exit", () => this.exited, 5000);
    } catch {
      this.child.kill("SIGKILL");
      await waitFor("the process to be killed", () => this.exited, 2000);
    }
  }
}

export class Pod {
  server?: Proc;
  agent?: Proc;
  sentinel?: Proc;
  constructor(
    readonly ordinal: number,
    readonly port: number,
    readonly dir: string,
    readonly env: Record<string, string>,
  ) {}

  get data(): string {
    return join(this.dir, "data");
  }

  /** Where the pod's server (and Sentinel) listen: its own loopback address with Sentinel. */
  get host(): string {
    return this.env.REDIS_HOST ?? "127.0.0.1";
  }

  /** What the pod's containers last wrote to the agent's role file, if anything. */
  role(): string | undefined {
    try {
      return readFileSync(this.env.ROLE_FILE, "utf8").trim();
    } catch {
      return undefined;
    }
  }

  /** What kubelet does to a mounted Secret: the new file replaces the old one atomically. */
  setPassword(password: string): void {
    const file = this.env.REDIS_PASSWORD_FILE;
    writeFileSync(`${file}.new`, password);
    renameSync(`${file}.new`, file);
  }

  /** Plays the agent: writes the StatefulSet's replica count, whole (renamed over the old file). */
  setReplicas(n: number): void {
    writeFileSync(`${this.env.REPLICAS_FILE}.new`, `${n}\n`);
    renameSync(`${this.env.REPLICAS_FILE}.new`, this.env.REPLICAS_FILE);
  }

  /** Plays the agent: writes whether pod 1's claim exists. */
  writePeerClaim(answer: "absent" | "present" | undefined): void {
    if (answer) writeFileSync(this.env.PEER_CLAIM_FILE, `${answer}\n`);
    else rmSync(this.env.PEER_CLAIM_FILE, { force: true });
  }

  /** The same pod (claim, port, Secret) with some env changed. */
  withEnv(env: Record<string, string>): Pod {
    return new Pod(this.ordinal, this.port, this.dir, { ...this.env, ...env });
  }

  /** The redis container: the start script, which execs redis-server. */
  start(): Proc {
    this.server = new Proc(spawn("sh", ["-c", REDIS_START_SCRIPT], { env: this.env }));
    return this.server;
  }

  /** The auth container. */
  startAgent(): Proc {
    this.agent = new Proc(spawn("sh", ["-c", REDIS_AUTH_SCRIPT], { env: this.env }));
    return this.agent;
  }

  /** The sentinel container. */
  startSentinel(): Proc {
    this.sentinel = new Proc(spawn("sh", ["-c", SENTINEL_SCRIPT], { env: this.env }));
    return this.sentinel;
  }

  /** Runs a script as the pod would (a probe, the restore script): its exit code and output. */
  run(script: string, timeout = 10000): { code: number | null; out: string } {
    const r = spawnSync("sh", ["-c", script], { env: this.env, encoding: "utf8", timeout });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  }

  /** The redis container's preStop hook, as kubelet runs it before it stops the container. */
  preStop(): { code: number | null; out: string } {
    return this.run(REDIS_PRESTOP_SCRIPT, 40000);
  }

  /** Commands on redis-cli's stdin with `password`; the trimmed output, stderr included. */
  cli(password: string, ...commands: string[]): string {
    return this.cliAt(this.port, password, commands);
  }

  /** The same on the pod's Sentinel. */
  sentinelCli(password: string, ...commands: string[]): string {
    return this.cliAt(Number(this.env.SENTINEL_PORT), password, commands);
  }

  private cliAt(port: number, password: string, commands: string[]): string {
    const tls = this.env.REDIS_TLS_DIR;
    const over = tls ? ["--tls", "--cacert", join(tls, TLS_FILES.ca)] : [];
    const r = spawnSync("redis-cli", [...over, "-h", this.host, "-p", String(port)], {
      input: commands.join("\n") + "\n",
      env: { PATH: process.env.PATH, REDISCLI_AUTH: password },
      encoding: "utf8",
      timeout: 5000,
    });
    return `${r.stdout}${r.stderr}`.replace(/\r/g, "").trim();
  }

  info(password: string, field: string): string | undefined {
    const m = this.cli(password, "INFO").match(new RegExp(`^${field}:(.*)$`, "m"));
    return m?.[1];
  }

  ready(): boolean {
    return this.run(REDIS_READINESS_SCRIPT).code === 0;
  }

  alive(): boolean {
    return this.run(REDIS_LIVENESS_SCRIPT).code === 0;
  }

  async stop(): Promise<void> {
    await this.agent?.stop();
    await this.sentinel?.stop();
    await this.server?.stop();
  }
}

/** Writes a new certificate's files into `dir`, in place, as the kubelet refreshes a Secret. */
export function installCertificate(dir: string, serial: number): void {
  for (const [file, content] of Object.entries(makeCertificate(serial))) {
    writeFileSync(join(dir, file), content, { mode: 0o600 });
  }
}

/** Options of a RedisSet. */
export interface SetOptions {
  /**
   * Set the pods up as with Sentinel: each on its own loopback address, with the env the component
   * gives and Sentinel's timing shortened (a primary is down after 2.5 s).
   */
  sentinel?: boolean;
  /**
   * Serve TLS only, with a certificate in the set's `tls` directory (REDIS_TLS_DIR, as the
   * component's env gives it); the test's redis-cli speaks TLS too, verified against its CA.
   */
  tls?: boolean;
  /**
   * The replica count the pods' agents report (REPLICAS_FILE), when it is not the number of pods
   * made: pods beyond it are made but left for a test to start after a scale-up.
   */
  replicas?: number;
}

/** The name the Sentinels know the set's primary by (the StatefulSet's name). */
export const SENTINEL_MASTER = "cache";

/**
 * `count` loopback addresses of a /24 picked at random in 127.0.0.0/8 (Linux answers on all of
 * it), so that sets of pods do not meet; pod i's is `<net>.1<i>`, and `pattern` names them all as
 * the component's REDIS_PEER_NAME does (`{i}` for the ordinal).
 */
function loopbackAddresses(count: number): { hosts: string[]; pattern: string } {
  const octet = () => 1 + Math.floor(Math.random() * 254);
  const net = `127.${octet()}.${octet()}`;
  return {
    hosts: Array.from({ length: count }, (_, i) => `${net}.1${i}`),
    pattern: `${net}.1{i}`,
  };
}

/** A Redis "StatefulSet" of `replicas` pods sharing one temporary directory. */
export class RedisSet {
  private constructor(
    readonly root: string,
    readonly pods: Pod[],
  ) {}

  static async create(
    replicas: number,
    password: string,
    options: SetOptions = {},
  ): Promise<RedisSet> {
    const root = mkdtempSync(join(tmpdir(), "redis-pods-"));
    try {
      const ports: number[] = [];
      if (options.sentinel) {
        const port = await freePort();
        for (let i = 0; i < replicas; i++) ports.push(port);
      } else {
        for (let i = 0; i < replicas; i++) ports.push(await freePort());
      }
      const loopback = options.sentinel ? loopbackAddresses(replicas) : undefined;
      const hosts = loopback?.hosts ?? ports.map(() => "127.0.0.1");
      const sentinelPort = options.sentinel ? await freePort() : undefined;
      const tlsDir = join(root, "tls");
      if (options.tls) {
        mkdirSync(tlsDir);
        installCertificate(tlsDir, 101);
      }
      const pods = ports.map((port, i) => {
        const dir = join(root, `cache-${i}`);
        for (const sub of ["data", "auth", "state", "etc", "sentinel", "agent"])
          mkdirSync(join(dir, sub), { recursive: true });
        const conf = redisConfig(64)
          .replace(/^bind .*$/m, `bind ${hosts[i]}`)
          .replace(/^port .*$/m, `port ${port}`)
          .replace(/^dir .*$/m, `dir ${join(dir, "data")}`)
          // Timing only: a full sync starts at once instead of waiting 5 s for more replicas.
          .concat("repl-diskless-sync-delay 0\n");
        writeFileSync(join(dir, "etc", "redis.conf"), conf);
        const env: Record<string, string> = {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          POD_NAME: `cache-${i}`,
          PRIMARY_HOST: hosts[0],
          PRIMARY_PORT: String(ports[0]),
          REDIS_PORT: String(port),
          REDIS_CONF: join(dir, "etc", "redis.conf"),
          REDIS_DATA_DIR: join(dir, "data"),
          REDIS_PASSWORD_FILE: join(dir, "auth", "redis-password"),
          REDIS_STATE_DIR: join(dir, "state"),
          REDIS_AUTH_INTERVAL: "1",
          REDIS_HOLD_INTERVAL: "1",
          // Pod 1's name whatever the replica count, as the component gives it: a single pod's
          // names one that does not resolve, which an empty pod 0 waits out (for a second here).
          ...(replicas > 1
            ? { FIRST_REPLICA_HOST: hosts[1], FIRST_REPLICA_PORT: String(ports[1]) }
            : { FIRST_REPLICA_HOST: "cache-1.cache.nowhere.invalid", REDIS_ABSENT_GRACE: "1" }),
          ROLE_FILE: join(dir, "agent", "role"),
          PEER_CLAIM_FILE: join(dir, "agent", "peer-claim"),
          REPLICAS_FILE: join(dir, "agent", "replicas"),
          ...(options.tls ? { REDIS_TLS_DIR: tlsDir } : {}),
          ...(options.sentinel
            ? {
                // What the component's env gives (sentinelEnv), with addresses for names.
                POD_HOST: hosts[i],
                REDIS_PEER_NAME: loopback!.pattern,
                SENTINEL_MASTER,
                // Where the pod's own server and Sentinel listen (127.0.0.1 in a pod).
                REDIS_HOST: hosts[i],
                REDIS_BIND: hosts[i],
                SENTINEL_PORT: String(sentinelPort),
                SENTINEL_DIR: join(dir, "sentinel"),
                // Timing only: the Sentinel's shell looks every second (replica count, certificate),
                // pods reset their Sentinels a second apart after a scale-down, and take Sentinels
                // known beyond the count for departed after 2 s.
                SENTINEL_WATCH_INTERVAL: "1",
                SENTINEL_RESET_STAGGER: "1",
                SENTINEL_DEPARTED_AFTER: "2",
                // Timing only: a primary is down after 2.5 s (not less: a server slowed down by a
                // busy machine must not look down), a failover attempt may take 3 s.
                SENTINEL_DOWN_AFTER_MS: "2500",
                SENTINEL_FAILOVER_TIMEOUT_MS: "3000",
                REDIS_FAILOVER_WAIT: "10",
              }
            : {}),
        };
        const pod = new Pod(i, port, dir, env);
        pod.setPassword(password);
        pod.setReplicas(options.replicas ?? replicas);
        return pod;
      });
      return new RedisSet(root, pods);
    } catch (err) {
      rmSync(root, { recursive: true, force: true });
      throw err;
    }
  }

  get primary(): Pod {
    return this.pods[0];
  }

  /** The pods whose server says it is a primary now. */
  primaries(password: string): Pod[] {
    return this.pods.filter((p) => p.info(password, "role") === "master");
  }

  get replicas(): Pod[] {
    return this.pods.slice(1);
  }

  async stop(): Promise<void> {
    for (const pod of [...this.pods].reverse()) await pod.stop();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}
