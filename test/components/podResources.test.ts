// The quota check charges each kind's pod from podResourcesOf, without building the workload: this
// renders every kind through its real component and fails when a rendered container (or its
// resources) differs from that list, e.g. after a container is added to a kind.
import { strict as assert } from "assert";
import { Cassandra } from "../../components/cassandra";
import { WorkloadKind } from "../../components/defaults";
import { Nginx } from "../../components/nginx";
import { podResourcesOf } from "../../components/podResources";
import { Postgres } from "../../components/postgres";
import { Redis, RedisArgs } from "../../components/redis";
import { BaseWorkloadArgs } from "../../components/workloadArgs";
import { registered, setupMocks } from "../../harness/mocks";
import { only } from "../support/assertions";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

type Args = BaseWorkloadArgs & Pick<RedisArgs, "sentinel">;

const BUILD: Record<WorkloadKind, (name: string, args: Args) => unknown> = {
  nginx: (n, a) => new Nginx(n, a),
  redis: (n, a) => new Redis(n, a),
  postgres: (n, a) => new Postgres(n, a),
  cassandra: (n, a) => new Cassandra(n, a),
};

/** Each container of the rendered pod template as the quota sees it: name and resources. */
async function rendered(kind: WorkloadKind, args: Args) {
  await setupMocks();
  BUILD[kind]("w", args);
  const sts = only(await registered(), "kubernetes:apps/v1:StatefulSet").inputs as Obj;
  const pod = sts.spec.template.spec;
  const view = (cs: Obj[] | undefined) =>
    (cs ?? []).map((c) => ({
      name: c.name,
      requests: c.resources?.requests ?? {},
      limits: c.resources?.limits ?? {},
      ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}),
    }));
  return { initContainers: view(pod.initContainers), containers: view(pod.containers) };
}

/** podResourcesOf without the flag that says which containers follow `resources`. */
function listed(kind: WorkloadKind, args: Args) {
  const strip = (cs: Obj[]) => cs.map(({ workloadResources: _, ...c }) => c);
  const p = podResourcesOf(kind, "w", args);
  return { initContainers: strip(p.initContainers), containers: strip(p.containers) };
}

describe("podResourcesOf", () => {
  const base: BaseWorkloadArgs = { namespace: "data", storage: { className: "standard" } };
  const custom: BaseWorkloadArgs = {
    ...base,
    replicas: 3,
    resources: { requests: { cpu: "1", memory: "3Gi" }, limits: { cpu: "2" } },
  };
  const metrics = { scrapers: [{ podLabels: { "app.kubernetes.io/name": "prometheus" } }] };
  const KINDS = Object.keys(BUILD) as WorkloadKind[];
  /** Each arg set, the kinds it is rendered for, and a container it must render or must not. */
  const CASES: { what: string; args: Args; kinds: WorkloadKind[]; has?: string; lacks?: string }[] =
    [
      { what: "kind defaults", args: base, kinds: KINDS },
      { what: "resources given", args: custom, kinds: KINDS },
      { what: "metrics on", args: { ...base, metrics }, kinds: KINDS, has: "metrics" },
      {
        what: "metrics on, resources given",
        args: { ...custom, metrics },
        kinds: KINDS,
        has: "metrics",
      },
      { what: "1 replica", args: { ...base, replicas: 1 }, kinds: ["redis"], lacks: "sentinel" },
      {
        what: "3 replicas, sentinel: false",
        args: { ...base, replicas: 3, sentinel: false },
        kinds: ["redis"],
        lacks: "sentinel",
      },
    ];
  for (const { what, args, kinds, has, lacks } of CASES) {
    for (const kind of kinds) {
      it(`lists the containers ${kind} renders, with their resources (${what})`, async () => {
        const pod = await rendered(kind, args);
        const names = pod.containers.map((c: Obj) => c.name);
        if (has) assert.ok(names.includes(has), `${kind} renders ${has}: ${names}`);
        if (lacks) assert.ok(!names.includes(lacks), `${kind} renders no ${lacks}: ${names}`);
        assert.deepEqual(listed(kind, args), pod);
      });
    }
  }

  it("marks the containers whose resources are the workload's own", () => {
    const names = (kind: WorkloadKind) => {
      const p = podResourcesOf(kind, "w", base);
      return [...p.initContainers, ...p.containers]
        .filter((c) => c.workloadResources)
        .map((c) => c.name);
    };
    assert.deepEqual(names("postgres"), ["clone-primary", "postgresql"]);
    assert.deepEqual(names("redis"), ["redis"]);
  });
});
