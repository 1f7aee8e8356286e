// A real Cassandra node for the pod scripts' tests: Cassandra's own jars (org.apache.cassandra:
// cassandra-all at the version of the pinned image, from Maven Central) run by the JVM of the
// machine, and cqlsh from PyPI, on loopback. The node is started the way the pod starts it: the
// main container's exact start script edits the node's cassandra.yaml, then execs
// docker-entrypoint.sh, and the admin sidecar's exact script runs beside it. Three small
// commands play what the image has on its PATH and the scripts call: docker-entrypoint.sh (the
// official image's edits that matter here: seeds, addresses, cluster name, snitch, datacenter and
// rack), cassandra (bin/cassandra: the JVM with the options cassandra-env.sh and jvm17-server.options
// give it) and nodetool (the NodeTool class over JMX). Downloads are cached, so a second run
// downloads nothing; without a JVM, Maven, Python or the downloads the suites skip and say why.
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "fs";
import { homedir, tmpdir } from "os";
import { join } from "path";
import {
  CASSANDRA_SECRET_KEYS,
  cassandraAdminScript,
  cassandraStartScript,
  CassandraSecurity,
} from "../../../components/cassandra";
import { CASSANDRA_DEFAULTS, DEFAULTS } from "../../../components/defaults";
import { TLS_FILES } from "../../../components/tls";
import { freePort } from "../ports";

/** The Cassandra release of the pinned image (`cassandra:5.0.2` → 5.0.2): the jars the node runs. */
export const CASSANDRA_VERSION = /:(\d+\.\d+\.\d+)/.exec(DEFAULTS.cassandra.image)![1];
/** cqlsh as released with Cassandra 5.0 (the image's own is bin/cqlsh of the same release line). */
const CQLSH_VERSION = "6.2.0";
/** The node's heap: Cassandra's least workable one, for a machine the tests share. */
const HEAP = "512M";

/** Where the downloads are kept between runs (CASSANDRA_TEST_CACHE overrides it). */
export function cacheDir(): string {
  return (
    process.env.CASSANDRA_TEST_CACHE ??
    join(homedir(), ".cache", "stateful-workloads", `cassandra-${CASSANDRA_VERSION}`)
  );
}

/** The cached jars and cqlsh. */
export interface Toolbox {
  java: string;
  lib: string;
  cqlsh: string;
}

const onPath = (bin: string) => spawnSync("sh", ["-c", `command -v ${bin}`]).status === 0;

function run(command: string, args: string[], cwd: string, timeoutMs: number): string | undefined {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", timeout: timeoutMs });
  if (r.status === 0) return undefined;
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-5).join(" | ");
  return `${command} ${args.slice(0, 3).join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}): ${out}`;
}

/**
 * The JVM, the jars and cqlsh, fetched once into the cache (Maven's copy-dependencies, a virtualenv
 * with pip), or what is missing.
 */
export function findToolbox(): Toolbox | { missing: string } {
  if (!onPath("java")) return { missing: "no java on the PATH (Cassandra 5.0 needs Java 17)" };
  const version = spawnSync("java", ["-version"], { encoding: "utf8" }).stderr ?? "";
  const major = Number(/version "(\d+)/.exec(version)?.[1] ?? 0);
  if (major !== 17 && major !== 11) {
    return { missing: `java is version ${major || "unknown"}; Cassandra 5.0 runs on 11 or 17` };
  }
  const cache = cacheDir();
  const lib = join(cache, "lib");
  const venv = join(cache, "venv");
  mkdirSync(cache, { recursive: true });
  if (!existsSync(join(lib, ".complete"))) {
    if (!onPath("mvn")) return { missing: `no jars in ${lib} and no mvn to fetch them` };
    writeFileSync(
      join(cache, "pom.xml"),
      [
        '<project xmlns="http://maven.apache.org/POM/4.0.0">',
        "  <modelVersion>4.0.0</modelVersion>",
        "  <groupId>local.tests</groupId><artifactId>cassandra-node</artifactId><version>1</version>",
        "  <packaging>pom</packaging>",
        "  <dependencies><dependency>",
        `    <groupId>org.apache.cassandra</groupId><artifactId>cassandra-all</artifactId><version>${CASSANDRA_VERSION}</version>`,
        "  </dependency></dependencies>",
        "</project>",
        "",
      ].join("\n"),
    );
    rmSync(lib, { recursive: true, force: true });
    const failed = run(
      "mvn",
      [
        "-B",
        "-q",
        "dependency:copy-dependencies",
        `-DoutputDirectory=${lib}`,
        "-DincludeScope=runtime",
      ],
      cache,
      15 * 60_000,
    );
    if (failed) return { missing: `the Cassandra ${CASSANDRA_VERSION} jars: ${failed}` };
    writeFileSync(join(lib, ".complete"), "");
  }
  if (!existsSync(join(venv, ".complete"))) {
    if (!onPath("python3")) return { missing: "no python3 for cqlsh" };
    rmSync(venv, { recursive: true, force: true });
    const failed =
      run("python3", ["-m", "venv", venv], cache, 120_000) ??
      run(
        join(venv, "bin", "pip"),
        ["install", "-q", `cqlsh==${CQLSH_VERSION}`],
        cache,
        10 * 60_000,
      );
    if (failed) return { missing: `cqlsh ${CQLSH_VERSION}: ${failed}` };
    writeFileSync(join(venv, ".complete"), "");
  }
  return { java: "java", lib, cqlsh: join(venv, "bin", "cqlsh") };
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

/** Skips the suite when openssl (which makes the test certificates) is missing. */
export function opensslOrSkip(suite: Mocha.Context): void {
  if (!onPath("openssl")) {
    console.log("      skipped: no openssl to make certificates");
    suite.skip();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined; throws after `seconds`. */
export async function waitFor<T>(
  what: string,
  seconds: number,
  check: () => T | undefined,
  everyMs = 250,
): Promise<T> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${seconds}s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A process in the background (the node, the sidecar) and everything it printed. */
export class Background {
  private out = "";
  private done = false;
  private readonly closed: Promise<void>;
  constructor(readonly child: ChildProcess) {
    child.stdout!.on("data", (d) => (this.out += d));
    child.stderr!.on("data", (d) => (this.out += d));
    this.closed = new Promise((r) => child.on("close", () => ((this.done = true), r())));
  }
  output(): string {
    return this.out;
  }
  exited(): boolean {
    return this.done;
  }
  /** SIGTERM to its process group (a node then runs its shutdown hook), SIGKILL after `seconds`. */
  async stop(seconds = 30): Promise<void> {
    if (this.done) return;
    try {
      process.kill(-this.child.pid!, "SIGTERM");
    } catch {
      // already gone
    }
    await Promise.race([this.closed, sleep(seconds * 1000)]);
    if (!this.done) {
      try {
        process.kill(-this.child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      await this.closed;
    }
  }
}

/**
 * The cassandra.yaml a node starts from. The release's own file (conf/cassandra.yaml of the
 * source tag) is not among the downloads: Maven Central carries the jars and their sources, not
 * the binary distribution's conf/. This one holds the settings a node needs, with the blocks the
 * start script replaces in the shapes Cassandra's files give them (a `class_name : ` mapping with
 * a space before the colon and commented alternatives under it, plain values with comments and
 * blank lines around them, client_encryption_options with comments inside), so that the script's
 * edits run over the same forms.
 */
export function baseYaml(ports: { storage: number; cql: number }): string {
  return `# Cassandra storage config YAML (written by the pod tests)
cluster_name: 'Test Cluster'
num_tokens: 16
allocate_tokens_for_local_replication_factor: 3
hinted_handoff_enabled: true

# Authentication backend, implementing IAuthenticator; used to identify users
authenticator:
  class_name : org.apache.cassandra.auth.AllowAllAuthenticator
# MutualTlsAuthenticator can be configured using the following configuration.
#  class_name : org.apache.cassandra.auth.MutualTlsAuthenticator
#  parameters :
#    validator_class_name: org.apache.cassandra.auth.SpiffeCertificateValidator

# Authorization backend, implementing IAuthorizer; used to limit access/provide permissions
authorizer: AllowAllAuthorizer

# Part of the Authentication & Authorization backend, implementing IRoleManager
role_manager: CassandraRoleManager

network_authorizer: AllowAllNetworkAuthorizer

roles_validity: 2000ms
permissions_validity: 2000ms
credentials_validity: 2000ms
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
commitlog_sync: periodic
commitlog_sync_period: 10000ms
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      # Ex: "<ip1>,<ip2>,<ip3>"
      - seeds: "127.0.0.1:7000"
storage_port: ${ports.storage}
listen_address: localhost
# broadcast_address: 1.2.3.4
start_native_transport: true
native_transport_port: ${ports.cql}
rpc_address: localhost
# broadcast_rpc_address: 1.2.3.4
endpoint_snitch: SimpleSnitch

server_encryption_options:
  internode_encryption: none
  keystore: conf/.keystore
  keystore_password: cassandra

# Configure client-to-server encryption.
client_encryption_options:
  # Enable client-to-server encryption
  enabled: false
  # If enabled and optional is set to true, encrypted and unencrypted connections are handled on the native_transport_port
  # optional: true
  keystore: conf/.keystore
  keystore_password: cassandra
  # Verify client certificates
  require_client_auth: false

  # require_endpoint_verification: false
  # truststore: conf/.truststore

# internode_compression controls whether traffic between nodes is compressed.
internode_compression: dc
`;
}

const LOGBACK = `<configuration scan="false">
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT" /></root>
</configuration>
`;

/** jvm17-server.options' and jvm17-clients.options' module flags: what Cassandra's classes reach into. */
const MODULE_OPTIONS = [
  ...[
    "java.base/jdk.internal.misc",
    "java.base/jdk.internal.ref",
    "java.base/sun.nio.ch",
    "java.management.rmi/com.sun.jmx.remote.internal.rmi",
    "java.rmi/sun.rmi.registry",
    "java.rmi/sun.rmi.server",
    "java.sql/java.sql",
    "java.base/java.lang.ref",
    "jdk.unsupported/sun.misc",
  ].flatMap((m) => ["--add-exports", `${m}=ALL-UNNAMED`]),
  ...[
    "java.base/java.lang.module",
    "java.base/jdk.internal.loader",
    "java.base/jdk.internal.ref",
    "java.base/jdk.internal.reflect",
    "java.base/jdk.internal.math",
    "java.base/jdk.internal.module",
    "java.base/jdk.internal.util.jar",
    "jdk.management/com.sun.management.internal",
    "java.base/sun.nio.ch",
    "java.base/java.io",
    "java.base/java.nio",
    "java.base/java.util.concurrent",
    "java.base/java.util",
    "java.base/java.util.concurrent.atomic",
    "java.base/java.lang",
    "java.base/java.math",
    "java.base/java.lang.reflect",
    "java.base/java.net",
  ].flatMap((m) => ["--add-opens", `${m}=ALL-UNNAMED`]),
];

/** The server options of jvm-server.options and cassandra-env.sh that matter here. */
const JVM_OPTIONS = [
  ...MODULE_OPTIONS,
  "-Djava.security.manager=allow",
  "-XX:+UseG1GC",
  "-Xss256k",
  "-XX:+HeapDumpOnOutOfMemoryError",
  "-XX:+ExitOnOutOfMemoryError",
  "-Djava.net.preferIPv4Stack=true",
  "-Dcassandra-foreground=yes",
  // One node, its own seed: nothing to wait for in gossip (saves seconds of every start).
  "-Dcassandra.skip_wait_for_gossip_to_settle=0",
];

/**
 * The main container's start script, run to its end without a server: over `yaml` as the image's
 * cassandra.yaml and the TLS Secret's `tlsFiles`, with a docker-entrypoint.sh that only says it
 * ran. Its exit status and output, and the file as the script left it.
 */
export function runStartScript(
  security: CassandraSecurity,
  yaml: string,
  tlsFiles: Record<string, string> = {},
): { status: number; output: string; yaml: string } {
  const dir = mkdtempSync(join(tmpdir(), "cassandra-start-"));
  try {
    for (const d of ["conf", "tls", "bin"]) mkdirSync(join(dir, d));
    writeFileSync(join(dir, "conf", "cassandra.yaml"), yaml);
    for (const [name, text] of Object.entries(tlsFiles))
      writeFileSync(join(dir, "tls", name), text);
    writeFileSync(
      join(dir, "bin", "docker-entrypoint.sh"),
      '#!/bin/sh\necho "entrypoint ran: $*"\n',
    );
    chmodSync(join(dir, "bin", "docker-entrypoint.sh"), 0o755);
    const r = spawnSync("bash", ["-c", cassandraStartScript(security)], {
      env: {
        PATH: `${join(dir, "bin")}:/usr/bin:/bin`,
        CASSANDRA_CONF: join(dir, "conf"),
        TLS_DIR: join(dir, "tls"),
        CASSANDRA_KEYSTORE: join(dir, "keystore.pem"),
        POD_IP: "127.0.0.1",
      },
      encoding: "utf8",
      timeout: 20_000,
    });
    return {
      status: r.status ?? -1,
      output: `${r.stdout}${r.stderr}`,
      yaml: readFileSync(join(dir, "conf", "cassandra.yaml"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One node's directories, ports and processes, laid out as the pod's. */
export class Node {
  readonly dir: string;
  /** The claim (/var/lib/cassandra): data, commit log and the superuser state file. */
  readonly claim: string;
  /** /etc/cassandra: the image's config, fresh in every new container. */
  readonly conf: string;
  /** The Secret's files (CASSANDRA_AUTH_DIR), written as the kubelet writes them. */
  readonly secrets: string;
  /** The TLS Secret's files (TLS_DIR). */
  readonly tls: string;
  /** The admin sidecar's emptyDir (CASSANDRA_ADMIN_DIR). */
  readonly adminDir: string;
  /** The keystore's emptyDir (CASSANDRA_KEYSTORE_DIR). */
  readonly keystoreDir: string;
  /** A client's home: no cqlshrc, no credentials. */
  readonly clientHome: string;
  private readonly bin: string;
  server?: Background;
  sidecar?: Background;
  private readonly all: Background[] = [];
  private secretWrites = 0;

  private constructor(
    readonly tools: Toolbox,
    readonly root: string,
    readonly ports: { storage: number; cql: number; jmx: number },
  ) {
    this.dir = root;
    this.claim = join(root, "claim");
    this.conf = join(root, "conf");
    this.secrets = join(root, "auth");
    this.tls = join(root, "tls");
    this.adminDir = join(root, "admin");
    this.keystoreDir = join(root, "keystore");
    this.clientHome = join(root, "client");
    this.bin = join(root, "bin");
    for (const d of [
      this.claim,
      this.conf,
      this.secrets,
      this.tls,
      this.adminDir,
      this.keystoreDir,
      this.clientHome,
      this.bin,
    ]) {
      mkdirSync(d, { recursive: true });
    }
    this.writeCommands();
  }

  static async create(tools: Toolbox): Promise<Node> {
    const root = mkdtempSync(join(tmpdir(), "cassandra-pod-"));
    const ports = { storage: await freePort(), cql: await freePort(), jmx: await freePort() };
    return new Node(tools, root, ports);
  }

  get stateFile(): string {
    return join(this.claim, ".superuser-password");
  }
  get readyMarker(): string {
    return join(this.adminDir, "ready");
  }
  get keystore(): string {
    return join(this.keystoreDir, "keystore.pem");
  }

  /** The commands the image has on its PATH that the scripts call. */
  private writeCommands(): void {
    const script = (name: string, body: string) => {
      writeFileSync(join(this.bin, name), `#!/bin/bash\n${body}\n`);
      chmodSync(join(this.bin, name), 0o755);
    };
    // The official image's entrypoint, for what it edits here; then `exec "$@"`.
    script(
      "docker-entrypoint.sh",
      [
        "set -e",
        'conf="$CASSANDRA_CONF/cassandra.yaml"',
        'sed -ri \'s/(- seeds:).*/\\1 "\'"$CASSANDRA_SEEDS"\'"/\' "$conf"',
        "for yaml in broadcast_address broadcast_rpc_address cluster_name endpoint_snitch listen_address rpc_address; do",
        '  var="CASSANDRA_${yaml^^}"; val="${!var:-}"',
        '  if [ -n "$val" ]; then sed -ri \'s/^(# )?(\'"$yaml"\':).*/\\2 \'"$val"\'/\' "$conf"; fi',
        "done",
        "for rackdc in dc rack; do",
        '  var="CASSANDRA_${rackdc^^}"; val="${!var:-}"',
        '  if [ -n "$val" ]; then sed -ri \'s/^(\'"$rackdc"\'=).*/\\1 \'"$val"\'/\' "$CASSANDRA_CONF/cassandra-rackdc.properties"; fi',
        "done",
        'exec "$@"',
      ].join("\n"),
    );
    // bin/cassandra -f: the server's JVM in the foreground.
    script(
      "cassandra",
      [
        `exec ${this.tools.java} -Xms"$MAX_HEAP_SIZE" -Xmx"$MAX_HEAP_SIZE" \\`,
        `  ${JVM_OPTIONS.join(" ")} \\`,
        '  -Dcassandra.jmx.local.port="$JMX_PORT" \\',
        '  -Dcassandra.config="file://$CASSANDRA_CONF/cassandra.yaml" \\',
        '  -Dlogback.configurationFile="file://$CASSANDRA_CONF/logback.xml" \\',
        '  -Dcassandra.storagedir="$CASSANDRA_STORAGE" -Dcassandra.logdir="$CASSANDRA_STORAGE/logs" \\',
        `  -javaagent:${join(this.tools.lib, "jamm-0.4.0.jar")} \\`,
        `  -cp "$CASSANDRA_CONF:${this.tools.lib}/*" org.apache.cassandra.service.CassandraDaemon`,
      ].join("\n"),
    );
    // bin/nodetool: its own JVM (heap MAX_HEAP_SIZE), over the node's local JMX port.
    script(
      "nodetool",
      `exec ${this.tools.java} -Xmx"\${MAX_HEAP_SIZE:-128M}" ${MODULE_OPTIONS.join(" ")} -cp "${this.tools.lib}/*" ` +
        'org.apache.cassandra.tools.NodeTool -h 127.0.0.1 -p "$JMX_PORT" "$@"',
    );
    script("cqlsh", `exec ${this.tools.cqlsh} "$@"`);
  }

  private baseEnv(): Record<string, string> {
    return {
      PATH: `${this.bin}:/usr/local/bin:/usr/bin:/bin`,
      LANG: "C.UTF-8",
      HOME: this.clientHome,
      CASSANDRA_CONF: this.conf,
      JMX_PORT: String(this.ports.jmx),
      TLS_DIR: this.tls,
      CASSANDRA_KEYSTORE: this.keystore,
    };
  }

  /** The main container's env (the pod spec's, pointed at this node). */
  private serverEnv(): Record<string, string> {
    return {
      ...this.baseEnv(),
      CASSANDRA_STORAGE: this.claim,
      POD_IP: "127.0.0.1",
      CASSANDRA_LISTEN_ADDRESS: "127.0.0.1",
      CASSANDRA_RPC_ADDRESS: "127.0.0.1",
      CASSANDRA_SEEDS: `127.0.0.1:${this.ports.storage}`,
      CASSANDRA_CLUSTER_NAME: CASSANDRA_DEFAULTS.clusterName,
      CASSANDRA_ENDPOINT_SNITCH: "GossipingPropertyFileSnitch",
      CASSANDRA_DC: CASSANDRA_DEFAULTS.datacenter,
      CASSANDRA_RACK: CASSANDRA_DEFAULTS.rack,
      MAX_HEAP_SIZE: HEAP,
    };
  }

  /** The admin sidecar's env (the pod spec's, pointed at this node), polling every second. */
  sidecarEnv(): Record<string, string> {
    return {
      ...this.baseEnv(),
      CQL_PORT: String(this.ports.cql),
      ADMIN_DIR: this.adminDir,
      SUPERUSER: CASSANDRA_DEFAULTS.superuser,
      DATACENTER: CASSANDRA_DEFAULTS.datacenter,
      SECRETS_DIR: this.secrets,
      STATE_FILE: this.stateFile,
      ADMIN_INTERVAL: "1",
    };
  }

  /** A new container's /etc/cassandra: the image's files, unedited. */
  freshConf(yaml = baseYaml(this.ports)): void {
    writeFileSync(join(this.conf, "cassandra.yaml"), yaml);
    writeFileSync(join(this.conf, "logback.xml"), LOGBACK);
    writeFileSync(join(this.conf, "cassandra-rackdc.properties"), "dc=dc1\nrack=rack1\n");
  }

  private spawn(script: string, env: Record<string, string>): Background {
    const bg = new Background(
      spawn("bash", ["-c", script], {
        env,
        cwd: this.dir,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    this.all.push(bg);
    return bg;
  }

  /** Runs the main container's command (a new container: fresh config) in the background. */
  startServer(security: CassandraSecurity): Background {
    this.freshConf();
    this.server = this.spawn(cassandraStartScript(security), this.serverEnv());
    return this.server;
  }

  /** Runs the admin sidecar's command (a new container: empty emptyDir) in the background. */
  startSidecar(security: CassandraSecurity): Background {
    this.sidecar = this.otherSidecar(security);
    return this.sidecar;
  }

  /**
   * An admin sidecar with some of its env changed (another pod's, with its own directories), in
   * the background; its ADMIN_DIR starts empty.
   */
  otherSidecar(security: CassandraSecurity, extra: Record<string, string> = {}): Background {
    const env = { ...this.sidecarEnv(), ...extra };
    rmSync(env.ADMIN_DIR, { recursive: true, force: true });
    mkdirSync(env.ADMIN_DIR, { recursive: true });
    return this.spawn(cassandraAdminScript(security), env);
  }

  /** True while the CQL port accepts a connection. */
  cqlListens(): boolean {
    return (
      spawnSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${this.ports.cql}`], { timeout: 3000 })
        .status === 0
    );
  }

  /** Waits for the CQL port (the readiness probe's check); the seconds it took. */
  async untilServing(seconds = 150): Promise<number> {
    const started = Date.now();
    await waitFor("the CQL port", seconds, () => {
      if (this.server?.exited()) {
        throw new Error(`the node exited:\n${this.server.output().slice(-3000)}`);
      }
      return this.cqlListens() ? true : undefined;
    });
    return (Date.now() - started) / 1000;
  }

  /** Writes the Secret's file (into `dir`, the node's by default) as the kubelet does: swapped in. */
  writeSecret(password: string, dir = this.secrets): void {
    this.secretWrites += 1;
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.new-${this.secretWrites}`);
    writeFileSync(tmp, password, { mode: 0o440 });
    renameSync(tmp, join(dir, CASSANDRA_SECRET_KEYS.superuser));
  }

  /** Writes the TLS Secret's files, all swapped in at once as the kubelet's ..data link is. */
  writeCertificate(files: Record<string, Buffer>): void {
    const next = join(this.tls, `.next-${Date.now()}`);
    mkdirSync(next);
    for (const name of [TLS_FILES.key, TLS_FILES.certificate, TLS_FILES.ca]) {
      writeFileSync(join(next, name), files[name], { mode: 0o440 });
    }
    for (const name of [TLS_FILES.key, TLS_FILES.certificate, TLS_FILES.ca]) {
      renameSync(join(next, name), join(this.tls, name));
    }
    rmSync(next, { recursive: true, force: true });
  }

  /**
   * cqlsh as a client: as ROLE with PASSWORD (from a 0600 credentials file) or anonymously, over
   * TLS when `ca` is given (the certificate checked against it) or `ssl` without a check.
   */
  cql(
    statement: string,
    login?: { role: string; password: string },
    tls?: { ca?: string },
  ): { ok: boolean; output: string } {
    const args = ["--connect-timeout", "10", "--request-timeout", "30", "-e", statement];
    const env: Record<string, string> = { ...this.baseEnv() };
    if (login) {
      const creds = join(this.clientHome, "credentials");
      writeFileSync(
        creds,
        `[plain_text_auth]\nusername = ${login.role}\npassword = ${login.password}\n`,
        { mode: 0o600 },
      );
      args.unshift("--credentials", creds);
    }
    if (tls) {
      args.unshift("--ssl");
      if (tls.ca) env.SSL_CERTFILE = tls.ca;
      else env.SSL_VALIDATE = "false";
    }
    const r = spawnSync(this.tools.cqlsh, [...args, "127.0.0.1", String(this.ports.cql)], {
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    return { ok: r.status === 0, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
  }

  /** Whether ROLE logs in with PASSWORD (plain CQL unless `tls`). */
  logsIn(role: string, password: string, tls?: { ca?: string }): boolean {
    return this.cql("SELECT release_version FROM system.local", { role, password }, tls).ok;
  }

  /** Whether the certificate chain the CQL port serves checks against `ca` (openssl's own check). */
  servesChainOf(ca: string): boolean {
    const r = spawnSync(
      "openssl",
      [
        "s_client",
        "-connect",
        `127.0.0.1:${this.ports.cql}`,
        "-CAfile",
        ca,
        "-verify_return_error",
      ],
      { input: "", timeout: 10_000, encoding: "utf8" },
    );
    return r.status === 0;
  }

  /** nodetool against the node's JMX port; its output. */
  nodetool(...args: string[]): string {
    return execFileSync(join(this.bin, "nodetool"), args, {
      env: { ...this.baseEnv(), MAX_HEAP_SIZE: "128M" },
      encoding: "utf8",
      timeout: 60_000,
    });
  }

  read(path: string): string | undefined {
    return existsSync(path) ? readFileSync(path, "utf8") : undefined;
  }

  /** Everything every process of this node printed (server and sidecars). */
  everything(): string {
    return this.all.map((b) => b.output()).join("\n");
  }

  async stop(): Promise<void> {
    await this.sidecar?.stop(5);
    await this.server?.stop(60);
  }

  async destroy(): Promise<void> {
    for (const bg of this.all) await bg.stop(5);
    rmSync(this.root, { recursive: true, force: true });
  }
}
