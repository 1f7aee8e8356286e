// The pod agent (components/agent.ts) against a real API server: a PostgreSQL workload rendered by
// the real program is applied, and the agent's exact script runs here with each pod's own bound
// service-account token, as it would in the pod. What it shows: the Role lets the agent label,
// delete and read what it needs and nothing else, and the write and read Services' endpoints
// follow the role labels. What it cannot show: the script inside the curl image on a kubelet (the
// rig's nodes run no containers).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { AGENT_SCRIPT, ROLE_LABEL } from "../../components/agent";
import { configOfStackFile, stackFile } from "../../harness/stacks";
import {
  applyAll,
  clearNamespaces,
  connectOrSkip,
  isApiError,
  deleteVolumes,
  isReady,
  markNamespace,
  Pod,
  podEndpoints,
  provideVolumes,
} from "./cluster";
import { Kube, KubeObject, waitFor } from "./kube";
import { renderConfig, StatefulSetManifest } from "./render";

const STACK = "agent-suite";
const NS = `agent-${process.pid}`;
const NAME = "db";

describe("pod agent on a real API server: role labels steer the write and read Services", function () {
  this.timeout(300_000);
  let kube: Kube;
  let work: string;

  /** The agent's exact script, one pass, for `pod` with `token`'s rights; returns its output. */
  function agentPass(
    pod: { name: string; uid: string },
    token: string,
    files: Record<string, string>,
  ) {
    const dir = join(work, pod.name);
    const sa = join(dir, "sa");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, "token"), token);
    writeFileSync(join(sa, "namespace"), NS);
    const cluster = kube.kc.getCurrentCluster()!;
    writeFileSync(
      join(sa, "ca.crt"),
      cluster.caData ? Buffer.from(cluster.caData, "base64") : readFileSync(cluster.caFile!),
    );
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    const run = spawnSync("sh", ["-c", AGENT_SCRIPT], {
      encoding: "utf8",
      timeout: 30_000,
      env: {
        PATH: process.env.PATH,
        AGENT_DIR: dir,
        AGENT_CREDENTIALS_DIR: sa,
        API_URL: cluster.server.replace(/\/$/, ""),
        AGENT_INTERVAL: "0",
        POD_NAME: pod.name,
        POD_UID: pod.uid,
        STATEFULSET_NAME: NAME,
        PEER_CLAIM: `data-${NAME}-1`,
      },
    });
    assert.equal(run.status, 0, `the agent's pass ended with ${run.status}: ${run.stderr}`);
    const read = (f: string) => readFileSync(join(dir, f), "utf8").trim();
    return { out: run.stdout, replicas: read("replicas"), peerClaim: read("peer-claim") };
  }

  /** A token of the workload's service account, bound to the pod as the kubelet's would be. */
  async function tokenOf(pod: Pod): Promise<string> {
    const reply = await kube.request<{ status: { token: string } }>(
      "POST",
      `/api/v1/namespaces/${NS}/serviceaccounts/${NAME}/token`,
      {
        body: {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: {
            expirationSeconds: 600,
            boundObjectRef: {
              apiVersion: "v1",
              kind: "Pod",
              name: pod.metadata.name,
              uid: pod.metadata.uid,
            },
          },
        },
      },
    );
    return reply.object.status.token;
  }

  const pod = (name: string) => kube.get<Pod>("v1", "Pod", NS, name);
  const ident = (p: Pod) => ({ name: p.metadata.name, uid: p.metadata.uid! });

  const endpoints = async (service: string) => (await podEndpoints(kube, NS, service)).ready;

  async function expectEndpoints(service: string, want: string[]): Promise<void> {
    let last: string[] = [];
    try {
      await waitFor(
        `endpoints of ${service}`,
        async () => {
          last = await endpoints(service);
          return JSON.stringify(last) === JSON.stringify(want) ? true : undefined;
        },
        30_000,
      );
    } catch {
      assert.fail(
        `${service} has endpoints ${JSON.stringify(last)}, expected ${JSON.stringify(want)}`,
      );
    }
  }

  /**
   * One `pulumi up` of the workload at `replicas`, as the engine orders it: every object, the wait
   * for the rollout, then what waits for it (the read Service, the claim patches).
   */
  async function up(replicas: number): Promise<void> {
    const config = configOfStackFile(stackFile("prod"));
    config["stateful:storageClass"] = "standard";
    config["stateful:namespaces"] = JSON.stringify([
      {
        name: NS,
        workloads: [{ kind: "postgres", name: NAME, replicas, storage: { size: "1Gi" } }],
      },
    ]);
    const { objects, afterRollout } = await renderConfig(config, STACK);
    for (const o of objects.map(withoutAgent)) {
      await kube.apply(o);
      if (o.kind === "Namespace") await markNamespace(kube, NS, STACK);
      if (o.kind === "StatefulSet") {
        await provideVolumes(kube, STACK, o as StatefulSetManifest);
      }
    }
    await waitFor(
      `the ${replicas} pods to be ready`,
      async () => {
        const pods = await kube.list<Pod>("v1", "Pod", NS);
        return pods.filter(isReady).length === replicas ? true : undefined;
      },
      180_000,
    );
    assert.deepEqual(await applyAll(kube, afterRollout, false), [], "applied after the rollout");
  }

  before(async function () {
    kube = await connectOrSkip(this, "agent suite");
    work = mkdtempSync(join(tmpdir(), "agent-suite-"));
    await clearNamespaces(kube, [NS], 120_000);
    await up(1);
  });

  after(async function () {
    if (!kube) return;
    await clearNamespaces(kube, [NS], 120_000);
    await deleteVolumes(kube, STACK);
    rmSync(work, { recursive: true, force: true });
  });

  it("tells pod 0 that pod 1 has no claim while there is one pod, and that it has one once there are more", async () => {
    const p0 = await pod(`${NAME}-0`);
    const alone = agentPass(ident(p0), await tokenOf(p0), {});
    assert.equal(alone.peerClaim, "absent", alone.out);
    assert.equal(alone.replicas, "1");
    await up(3);
    const more = agentPass(ident(p0), await tokenOf(p0), {});
    assert.equal(more.peerClaim, "present", more.out);
    assert.equal(more.replicas, "3");
  });

  it("no pod is in the write or read Service before the agent labels it", async () => {
    assert.deepEqual(await endpoints(`${NAME}-rw`), []);
    assert.deepEqual(await endpoints(`${NAME}-ro`), []);
  });

  it("labels each pod with the role its containers wrote; the write Service gets the primary, the read Service the replicas", async () => {
    for (const [i, role] of ["primary", "replica", "replica"].entries()) {
      const p = await pod(`${NAME}-${i}`);
      const { out, replicas } = agentPass(ident(p), await tokenOf(p), { role: `${role}\n` });
      assert.match(out, new RegExp(`labelled this pod ${ROLE_LABEL}=${role}`));
      assert.equal(replicas, "3", "the StatefulSet's replica count, read from its scale");
      assert.equal((await pod(`${NAME}-${i}`)).metadata.labels?.[ROLE_LABEL], role);
    }
    await expectEndpoints(`${NAME}-rw`, [`${NAME}-0`]);
    await expectEndpoints(`${NAME}-ro`, [`${NAME}-1`, `${NAME}-2`]);
  });

  it("moves the write Service when the primary moves (a failover)", async () => {
    for (const [i, role] of ["replica", "primary"].entries()) {
      const p = await pod(`${NAME}-${i}`);
      agentPass(ident(p), await tokenOf(p), { role: `${role}\n` });
    }
    await expectEndpoints(`${NAME}-rw`, [`${NAME}-1`]);
    await expectEndpoints(`${NAME}-ro`, [`${NAME}-0`, `${NAME}-2`]);
  });

  it("a later `pulumi up` (here a scale to 4) moves neither a label nor the write Service back to pod 0", async () => {
    const roles = async () =>
      Object.fromEntries(
        (await kube.list<Pod>("v1", "Pod", NS)).map((p) => [
          p.metadata.name,
          p.metadata.labels?.[ROLE_LABEL] ?? "",
        ]),
      );
    assert.deepEqual(await roles(), {
      [`${NAME}-0`]: "replica",
      [`${NAME}-1`]: "primary",
      [`${NAME}-2`]: "replica",
    });
    await up(4);
    assert.deepEqual(
      await roles(),
      {
        [`${NAME}-0`]: "replica",
        [`${NAME}-1`]: "primary",
        [`${NAME}-2`]: "replica",
        [`${NAME}-3`]: "",
      },
      "the pods kept the roles the failover gave them; the new pod waits for its agent",
    );
    await expectEndpoints(`${NAME}-rw`, [`${NAME}-1`]);
    await expectEndpoints(`${NAME}-ro`, [`${NAME}-0`, `${NAME}-2`]);
    const p3 = await pod(`${NAME}-3`);
    const { replicas } = agentPass(ident(p3), await tokenOf(p3), { role: "replica\n" });
    assert.equal(replicas, "4", "the new pod's agent may act: the Role names it");
    await expectEndpoints(`${NAME}-ro`, [`${NAME}-0`, `${NAME}-2`, `${NAME}-3`]);
  });

  it("may not label a pod that is not its workload's", async () => {
    const bystander = await kube.apply<Pod>({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "bystander", namespace: NS },
      spec: {
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 1000,
          seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [
          {
            name: "c",
            image: "registry.k8s.io/pause:3.10",
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          },
        ],
      },
    });
    const p0 = await pod(`${NAME}-0`);
    const { out } = agentPass(ident(bystander.object), await tokenOf(p0), { role: "primary\n" });
    assert.match(out, /labelling this pod primary failed: HTTP 403/);
    assert.equal((await pod("bystander")).metadata.labels?.[ROLE_LABEL], undefined);
  });

  it("deletes only its own pod incarnation when asked to start over, and the controller makes it again", async () => {
    const before = await pod(`${NAME}-2`);
    const token = await tokenOf(before);
    const stale = agentPass(
      { name: before.metadata.name, uid: "00000000-0000-0000-0000-000000000000" },
      token,
      {
        restart: "the WAL it needs is gone\n",
      },
    );
    assert.match(stale.out, /deleting this pod failed: HTTP 409/, "a precondition on another uid");
    assert.equal((await pod(`${NAME}-2`)).metadata.uid, before.metadata.uid);

    const { out } = agentPass(ident(before), token, { restart: "the WAL it needs is gone\n" });
    assert.match(out, /deleted this pod so that it starts over: the WAL it needs is gone/);
    await waitFor(
      `${NAME}-2 to come back as a new pod`,
      async () => {
        const now = await kube.find<Pod>("v1", "Pod", NS, `${NAME}-2`);
        return now && now.metadata.uid !== before.metadata.uid && isReady(now) ? true : undefined;
      },
      120_000,
    );
  });
  it("a primary gone unready: its per-pod name stays, the write Service has no ready endpoint, and the budget refuses a second disruption", async () => {
    // After the failover test, db-1 is the primary. The rig's nodes run no probes: readiness is
    // set through the status subresource, as a kubelet would on a failing readiness probe.
    const p1 = await pod(`${NAME}-1`);
    assert.equal(p1.metadata.labels?.[ROLE_LABEL], "primary");
    const conditions = (p1.status as { conditions: { type: string; status: string }[] }).conditions;
    await kube.request("PATCH", `/api/v1/namespaces/${NS}/pods/${NAME}-1/status`, {
      contentType: "application/merge-patch+json",
      body: {
        status: {
          conditions: conditions.map((c) =>
            c.type === "Ready" || c.type === "ContainersReady" ? { ...c, status: "False" } : c,
          ),
        },
      },
    });
    // The headless Service publishes unready pods: pod 0's start-up checks can still reach pod 1.
    await waitFor(
      "the headless Service to keep naming the unready pod",
      async () => {
        const headless = await podEndpoints(kube, NS, NAME);
        return headless.all.includes(`${NAME}-1`) && headless.ready.includes(`${NAME}-1`)
          ? true
          : undefined;
      },
      30_000,
    );
    // Clients' write address: the endpoint stays listed, not ready, so no connection reaches it.
    await expectEndpoints(`${NAME}-rw`, []);
    assert.deepEqual((await podEndpoints(kube, NS, `${NAME}-rw`)).all, [`${NAME}-1`]);
    // One pod down already: the budget (maxUnavailable 1) lets no drain take another.
    await waitFor(
      "the budget to count the unready pod",
      async () => {
        const pdb = await kube.get<KubeObject & { status?: { disruptionsAllowed?: number } }>(
          "policy/v1",
          "PodDisruptionBudget",
          NS,
          NAME,
        );
        return pdb.status?.disruptionsAllowed === 0 ? true : undefined;
      },
      30_000,
    );
    const eviction = await kube
      .request("POST", `/api/v1/namespaces/${NS}/pods/${NAME}-0/eviction`, {
        body: {
          apiVersion: "policy/v1",
          kind: "Eviction",
          metadata: { name: `${NAME}-0`, namespace: NS },
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(isApiError(eviction, 429), `the eviction of ${NAME}-0 is refused: ${eviction}`);
    assert.match(String(eviction), /disruption budget/);
    assert.ok(await kube.find<Pod>("v1", "Pod", NS, `${NAME}-0`), `${NAME}-0 still runs`);
  });
});

/**
 * The test plays each pod's agent itself, so the rendered agent (the first init container, a
 * sidecar) is left out: on a cluster that runs containers (kind), a running agent would label the
 * pods behind the test's back.
 */
function withoutAgent(o: KubeObject): KubeObject {
  if (o.kind !== "StatefulSet") return o;
  const pod = (o as StatefulSetManifest).spec.template.spec as {
    initContainers?: { name: string }[];
  };
  const agents = (pod.initContainers ?? []).filter((c) => c.name === "agent");
  assert.equal(agents.length, 1, "the rendered pod runs the agent as an init container");
  pod.initContainers = pod.initContainers!.filter((c) => c.name !== "agent");
  return o;
}
