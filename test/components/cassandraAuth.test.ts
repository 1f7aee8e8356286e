// Cassandra's authentication and client TLS as the component renders them (Pulumi mocks): the
// generated superuser password lives only in the workload's Secret and reaches the admin sidecar
// as a file; its outputs are secrets; without auth nothing changes from the plain ring; with TLS
// the server and the sidecar mount the certificate and the keystore; and a new password or a new
// replica count leaves the pod template as it is (no pod restarts).
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { GENERATED, RecordedResource, registered, setupMocks } from "../../harness/mocks";
import { validateObject } from "../../harness/schema";
import { isSecret, only, plainLeaks, valueOf } from "../support/assertions";
import {
  Cassandra,
  CassandraArgs,
  cassandraAdminScript,
  CASSANDRA_ADMIN_DIR,
  CASSANDRA_ADMIN_READY,
  CASSANDRA_ADMIN_RESOURCES,
  CASSANDRA_AUTH_DIR,
  CASSANDRA_KEYSTORE,
  CASSANDRA_KEYSTORE_DIR,
  CASSANDRA_SECRET_KEYS,
  CASSANDRA_START_SCRIPT,
  cassandraStartScript,
  SUPERUSER_STATE_FILE,
} from "../../components/cassandra";
import { CASSANDRA_DEFAULTS } from "../../components/defaults";
import { TLS_DIR, TLS_VOLUME } from "../../components/tls";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const STS = "kubernetes:apps/v1:StatefulSet";
const SECRET = "kubernetes:core/v1:Secret";
const PASSWORD = "random:index/randomPassword:RandomPassword";

const base: CassandraArgs = { namespace: "data", storage: { className: "standard" } };

/**
 * Renders a ring. `passwordsFrom` stands for a provider that generates other passwords (a new
 * RandomPassword after a `pulumi up --replace`, or keepers changed): the mocks' result gets it as
 * its prefix instead of the usual one.
 */
async function build(overrides: Partial<CassandraArgs> = {}, passwordsFrom = GENERATED) {
  await setupMocks();
  if (passwordsFrom !== GENERATED) {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({
          id: `${args.name}-id`,
          state:
            args.type === PASSWORD
              ? { ...args.inputs, result: `${passwordsFrom}${args.name}` }
              : args.inputs,
        }),
        call: (args) => args.inputs,
      },
      "stateful",
      "test",
      false,
    );
  }
  const ring = new Cassandra("ring", { ...base, ...overrides });
  const resources = await registered();
  const sts = only(resources, STS).inputs as Obj;
  const pod = sts.spec.template.spec;
  const named = (name: string) => pod.containers.find((c: Obj) => c.name === name);
  return {
    ring,
    resources,
    sts,
    template: sts.spec.template,
    pod,
    server: named("cassandra"),
    admin: named("admin"),
    secrets: resources.filter((r: RecordedResource) => r.type === SECRET),
  };
}

const env = (container: Obj, name: string) =>
  container.env?.find((e: Obj) => e.name === name)?.value;

describe("Cassandra authentication and client TLS", () => {
  describe("auth (on by default)", () => {
    it("generates the superuser's password (32 letters and digits) into the Secret <name>-auth", async () => {
      const { resources, secrets } = await build();
      const password = only(resources, PASSWORD);
      assert.equal(password.name, "ring-superuser-password");
      assert.equal((password.inputs as Obj).length, 32);
      assert.equal((password.inputs as Obj).special, false);
      assert.equal(secrets.length, 1);
      const secret = secrets[0].inputs as Obj;
      assert.equal(secret.metadata.name, "ring-auth");
      assert.deepEqual(secret.stringData, {
        [CASSANDRA_SECRET_KEYS.superuser]: `${GENERATED}ring-superuser-password`,
      });
      validateObject(secret);
    });

    it("exports the superuser, its password as a secret, and where pods find it", async () => {
      const { ring } = await build();
      assert.equal(await valueOf(ring.superuser!), CASSANDRA_DEFAULTS.superuser);
      assert.equal(ring.superuser && (await valueOf(ring.superuser)), "admin");
      assert.equal(await isSecret(ring.superuserPassword!), true);
      assert.equal(await valueOf(ring.superuserPassword!), `${GENERATED}ring-superuser-password`);
      assert.deepEqual(ring.superuserSecret, {
        name: "ring-auth",
        key: CASSANDRA_SECRET_KEYS.superuser,
      });
    });

    it("never puts the password in an env value, an argument or any other plain field", async () => {
      const { resources, pod } = await build();
      assert.deepEqual(plainLeaks(resources, GENERATED), []);
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        for (const e of c.env ?? []) {
          assert.ok(!String(e.value ?? "").includes(GENERATED), `${c.name} env ${e.name}`);
          assert.equal(e.valueFrom?.secretKeyRef, undefined, `${c.name} env ${e.name}: files only`);
        }
        for (const a of [...(c.command ?? []), ...(c.args ?? [])]) {
          assert.ok(!String(a).includes(GENERATED), `${c.name} argument`);
        }
      }
    });

    it("edits cassandra.yaml for PasswordAuthenticator before the entrypoint, and runs the admin sidecar", async () => {
      const { server, admin, pod } = await build();
      assert.deepEqual(server.command, [
        "bash",
        "-c",
        cassandraStartScript({ auth: true, tls: false }),
      ]);
      const script = server.command[2];
      for (const cls of ["PasswordAuthenticator", "CassandraAuthorizer", "CassandraRoleManager"]) {
        assert.match(
          script,
          new RegExp(`class_name: org\\.apache\\.cassandra\\.auth\\.${cls}$`, "m"),
        );
      }
      assert.ok(
        script.indexOf("replace_block authenticator") < script.indexOf("exec docker-entrypoint.sh"),
      );
      assert.doesNotMatch(script, /client_encryption_options/);
      // The server needs no password: only the sidecar mounts the Secret.
      assert.deepEqual(server.volumeMounts, [{ name: "data", mountPath: "/var/lib/cassandra" }]);
      assert.deepEqual(admin.command, [
        "bash",
        "-c",
        cassandraAdminScript({ auth: true, tls: false }),
      ]);
      assert.equal(admin.image, server.image, "the sidecar uses the image's own cqlsh");
      assert.deepEqual(admin.resources, CASSANDRA_ADMIN_RESOURCES);
      assert.deepEqual(Object.fromEntries(admin.env.map((e: Obj) => [e.name, e.value])), {
        CQL_PORT: "9042",
        ADMIN_DIR: CASSANDRA_ADMIN_DIR,
        SUPERUSER: "admin",
        DATACENTER: "dc1",
        SECRETS_DIR: CASSANDRA_AUTH_DIR,
        STATE_FILE: SUPERUSER_STATE_FILE,
      });
      assert.deepEqual(admin.volumeMounts, [
        { name: "admin", mountPath: CASSANDRA_ADMIN_DIR },
        { name: "data", mountPath: "/var/lib/cassandra" },
        { name: "auth", mountPath: CASSANDRA_AUTH_DIR, readOnly: true },
      ]);
      assert.deepEqual(admin.readinessProbe.exec.command, ["test", "-e", CASSANDRA_ADMIN_READY]);
      assert.equal(admin.securityContext.allowPrivilegeEscalation, false);
      const volume = (name: string) => pod.volumes.find((v: Obj) => v.name === name);
      assert.deepEqual(volume("auth").secret, {
        secretName: "ring-auth",
        defaultMode: 0o440,
        items: [{ key: CASSANDRA_SECRET_KEYS.superuser, path: CASSANDRA_SECRET_KEYS.superuser }],
      });
      assert.deepEqual(volume("admin").emptyDir, { medium: "Memory", sizeLimit: "1Mi" });
      assert.equal(volume(TLS_VOLUME), undefined);
    });

    it("the datacenter the sidecar replicates system_auth in follows the ring's", async () => {
      const { admin } = await build({ datacenter: "eu-west" });
      assert.equal(env(admin, "DATACENTER"), "eu-west");
    });

    it("renders schema-valid objects, and scripts bash can parse", async () => {
      const { resources } = await build({ tls: { secretName: "ring-cert" } });
      for (const r of resources.filter((r) => r.type.startsWith("kubernetes:"))) {
        validateObject(r.inputs);
      }
      for (const security of [
        { auth: true, tls: false },
        { auth: false, tls: true },
        { auth: true, tls: true },
      ]) {
        for (const script of [cassandraStartScript(security), cassandraAdminScript(security)]) {
          execFileSync("bash", ["-n", "-c", script]);
        }
      }
    });
  });

  describe("auth: false", () => {
    it("renders today's ring: the plain start command, one container, no Secret, no volumes", async () => {
      const { server, admin, pod, secrets, resources, ring } = await build({ auth: false });
      assert.equal(cassandraStartScript({ auth: false, tls: false }), CASSANDRA_START_SCRIPT);
      assert.equal(
        CASSANDRA_START_SCRIPT,
        [
          "set -eu",
          "if [ -e /var/lib/cassandra/.joined ]; then",
          '  echo "this node has joined the ring before: adding its own address $POD_IP to the seeds"',
          '  export CASSANDRA_SEEDS="${CASSANDRA_SEEDS:+$CASSANDRA_SEEDS,}$POD_IP"',
          "fi",
          "exec docker-entrypoint.sh cassandra -f",
        ].join("\n"),
      );
      assert.deepEqual(server.command, ["bash", "-c", CASSANDRA_START_SCRIPT]);
      assert.equal(admin, undefined);
      assert.deepEqual(
        pod.containers.map((c: Obj) => c.name),
        ["cassandra"],
      );
      assert.deepEqual(pod.volumes, []);
      assert.deepEqual(server.volumeMounts, [{ name: "data", mountPath: "/var/lib/cassandra" }]);
      assert.deepEqual(secrets, []);
      assert.equal(resources.filter((r) => r.type === PASSWORD).length, 0);
      assert.equal(ring.superuser, undefined);
      assert.equal(ring.superuserPassword, undefined);
      assert.equal(ring.superuserSecret, undefined);
    });
  });

  describe("tls", () => {
    const tls = { secretName: "ring-cert" };

    it("the server builds its keystore from the Secret's files and serves CQL over TLS only", async () => {
      const { server, pod } = await build({ tls });
      assert.deepEqual(server.volumeMounts, [
        { name: "data", mountPath: "/var/lib/cassandra" },
        { name: TLS_VOLUME, mountPath: TLS_DIR, readOnly: true },
        { name: "keystore", mountPath: CASSANDRA_KEYSTORE_DIR },
      ]);
      const script = server.command[2];
      assert.equal(script, cassandraStartScript({ auth: true, tls: true }));
      assert.match(
        script,
        new RegExp(
          [
            "client_encryption_options:",
            "  enabled: true",
            "  optional: false",
            "  keystore: \\$keystore",
            "  require_client_auth: false",
            "  ssl_context_factory:",
            "    class_name: org\\.apache\\.cassandra\\.security\\.PEMBasedSslContextFactory",
          ].join("\\n"),
        ),
      );
      assert.match(
        script,
        new RegExp(`keystore="\\$\\{CASSANDRA_KEYSTORE:-${CASSANDRA_KEYSTORE}\\}"`),
      );
      assert.match(script, /awk 1 "\$_key" "\$_crt" >"\$keystore\.\$\$"/, "key, then the chain");
      assert.ok(
        script.indexOf("build_keystore || exit 1") < script.indexOf("exec docker-entrypoint.sh"),
      );
      const volumes = pod.volumes.filter((v: Obj) => v.name === TLS_VOLUME);
      assert.equal(volumes.length, 1, "one tls volume");
      assert.equal(volumes[0].secret.secretName, "ring-cert");
      assert.deepEqual(pod.volumes.find((v: Obj) => v.name === "keystore").emptyDir, {
        medium: "Memory",
        sizeLimit: "1Mi",
      });
    });

    it("the admin sidecar keeps the keystore current and has the node reload it (nodetool reloadssl)", async () => {
      const { admin } = await build({ tls });
      assert.deepEqual(admin.volumeMounts, [
        { name: "admin", mountPath: CASSANDRA_ADMIN_DIR },
        { name: "data", mountPath: "/var/lib/cassandra" },
        { name: "auth", mountPath: CASSANDRA_AUTH_DIR, readOnly: true },
        { name: TLS_VOLUME, mountPath: TLS_DIR, readOnly: true },
        { name: "keystore", mountPath: CASSANDRA_KEYSTORE_DIR },
      ]);
      const script = admin.command[2];
      assert.match(script, /MAX_HEAP_SIZE=128M nodetool reloadssl/);
      assert.match(script, /^ssl=--ssl$/m);
      assert.match(script, /^export SSL_VALIDATE=false$/m, "loopback to its own node");
    });

    it("with auth off, TLS alone: the sidecar only keeps the keystore, and is ready at once", async () => {
      const { admin, secrets, server } = await build({ tls, auth: false });
      assert.deepEqual(secrets, []);
      assert.equal(server.command[2], cassandraStartScript({ auth: false, tls: true }));
      assert.doesNotMatch(server.command[2], /PasswordAuthenticator/);
      const script = admin.command[2];
      assert.doesNotMatch(script, /cqlsh|ALTER ROLE/);
      assert.match(script, /^touch "\$ready"$/m);
      assert.deepEqual(
        admin.volumeMounts.map((m: Obj) => m.name),
        ["admin", TLS_VOLUME, "keystore"],
      );
      assert.deepEqual(
        admin.env.map((e: Obj) => e.name),
        ["CQL_PORT", "ADMIN_DIR"],
      );
    });
  });

  describe("day two: no pod restarts", () => {
    it("a new superuser password changes the Secret, not the pod template", async () => {
      const before = await build();
      const after = await build({}, "rotated-");
      assert.deepEqual((after.secrets[0].inputs as Obj).stringData, {
        [CASSANDRA_SECRET_KEYS.superuser]: "rotated-ring-superuser-password",
      });
      assert.notDeepEqual(
        (before.secrets[0].inputs as Obj).stringData,
        (after.secrets[0].inputs as Obj).stringData,
      );
      assert.deepEqual(after.template, before.template);
    });

    it("scaling the ring up changes no pod template (with auth and TLS)", async () => {
      const tls = { secretName: "ring-cert" };
      const three = await build({ replicas: 3, tls });
      const five = await build({ replicas: 5, tls });
      assert.equal(five.sts.spec.replicas, 5);
      assert.deepEqual(five.template, three.template);
    });
  });
});
