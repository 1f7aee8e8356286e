// The quota check charges each kind's pod from podResourcesOf, without building the workload: this
// renders every kind through its real component and fails when a rendered container (or its
// resources) differs from that list, e.g. after a container is added to a kind.
import { strict as assert } from "assert";
import { Cassandra } from "../../components/cassandra";
import { WorkloadKind } from "../../components/defaults";
import { Nginx } from "../../components/nginx";
import { podResourcesOf } from "../../components/podResources";
import { Postgres } from "../../components/postgres";
import { Redis } from "../../components/redis";
import { BaseWorkloadArgs } from "../../components/workloadArgs";
import { registered, setupMocks } from "../../harness/mocks";
import { only } from "../support/assertions";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const BUILD: Record<WorkloadKind, (name: string, args: BaseWorkloadArgs) => unknown> = {
  nginx: (n, a) => new Nginx(n, a),
  redis: (n, a) => new Redis(n, a),
  postgres: (n, a) => new Postgres(n, a),
  cassandra: (n, a) => new Cassandra(n, a),
};

/** Each container of the rendered pod template as the quota sees it: name and resources. */
async function rendered(kind: WorkloadKind, args: BaseWorkloadArgs) {
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
function listed(kind: WorkloadKind, args: BaseWorkloadArgs) {
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
  for (const kind of Object.keys(BUILD) as WorkloadKind[]) {
    it(`lists the containers ${kind} renders, with their resources (kind defaults)`, async () => {
      assert.deepEqual(listed(kind, base), await rendered(kind, base));
    });
    it(`lists the containers ${kind} renders, with their resources (resources given)`, async () => {
      assert.deepEqual(listed(kind, custom), await rendered(kind, custom));
    });
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
