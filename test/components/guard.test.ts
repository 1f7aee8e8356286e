import { strict as assert } from "assert";
import * as path from "path";
import { GuardState, guardProblems, WorkloadGuard } from "../../components/guard";
import { registered, setupMocks } from "../../harness/mocks";

function state(overrides: Partial<GuardState> = {}): GuardState {
  return {
    workload: "data/db",
    storage: { className: "fast-ssd", size: "10Gi", accessModes: ["ReadWriteOnce"] },
    replicas: 3,
    fixed: { "PostgreSQL major version": { value: "17", instead: "see the upgrade procedure" } },
    ...overrides,
  };
}
const withStorage = (storage: Partial<GuardState["storage"]>) =>
  state({ storage: { ...state().storage, ...storage } });

describe("WorkloadGuard", () => {
  describe("allows what a running workload survives", () => {
    const allowed: [string, GuardState][] = [
      ["nothing changed", state()],
      ["a larger claim", withStorage({ size: "20Gi" })],
      ["the same size, written another way", withStorage({ size: "10240Mi" })],
      ["more replicas", state({ replicas: 5 })],
      ["fewer replicas when nothing refuses it", state({ replicas: 1 })],
      [
        "a value that was not fixed before",
        state({ fixed: { ...state().fixed, rack: { value: "r1", instead: "x" } } }),
      ],
    ];
    for (const [what, news] of allowed) {
      it(what, () => assert.deepEqual(guardProblems(state(), news), []));
    }

    it("access modes in another order", () => {
      const olds = withStorage({ accessModes: ["ReadWriteOnce", "ReadOnlyMany"] });
      const news = withStorage({ accessModes: ["ReadOnlyMany", "ReadWriteOnce"] });
      assert.deepEqual(guardProblems(olds, news), []);
    });

    const zoned = (zones?: string[]) => state(zones ? { zones } : {});
    const zoneChanges: [string, string[] | undefined, string[] | undefined][] = [
      ["the same zones in another order", ["a", "b", "c"], ["c", "a", "b"]],
      ["one zone more", ["a", "b", "c"], ["a", "b", "c", "d"]],
      ["zones no longer named (any zone)", ["a", "b", "c"], undefined],
    ];
    for (const [what, olds, news] of zoneChanges) {
      it(what, () => assert.deepEqual(guardProblems(zoned(olds), zoned(news)), []));
    }
  });

  describe("refuses what would break it, naming the workload, the values and what to do", () => {
    const refused: [string, GuardState, GuardState, string][] = [
      [
        "a smaller claim",
        state(),
        withStorage({ size: "5Gi" }),
        "data/db: storage.size cannot shrink from 10Gi to 5Gi: Kubernetes never shrinks a claim; keep the size, or move the data to a new workload",
      ],
      [
        "another storage class",
        state(),
        withStorage({ className: "standard" }),
        "data/db: storage.className cannot change from 'fast-ssd' to 'standard': the existing claims keep their class and only new pods would get the new one; migrate to a new workload instead (README, Operations)",
      ],
      [
        "other access modes",
        state(),
        withStorage({ accessModes: ["ReadWriteOncePod"] }),
        "data/db: storage.accessModes cannot change from [ReadWriteOnce] to [ReadWriteOncePod]: a claim's access modes are fixed once it exists",
      ],
      [
        "a fixed value",
        state(),
        state({
          fixed: {
            "PostgreSQL major version": { value: "18", instead: "see the upgrade procedure" },
          },
        }),
        "data/db: PostgreSQL major version cannot change from 17 to 18: see the upgrade procedure",
      ],
      [
        "a new size during a staged rollout",
        state(),
        state({ storage: { ...state().storage, size: "20Gi" }, partitioned: true }),
        "data/db: storage.size cannot change from 10Gi to 20Gi while updatePartition is above 0: `pulumi up` does not wait for a partitioned StatefulSet, so its claims could not be expanded after it; finish the staged rollout (updatePartition: 0) first",
      ],
      [
        "a zone dropped from zones",
        state({ zones: ["eu-1a", "eu-1b", "eu-1c"] }),
        state({ zones: ["eu-1b", "eu-1a"] }),
        "data/db: zones cannot drop eu-1c (from [eu-1a, eu-1b, eu-1c] to [eu-1b, eu-1a]): a pod that ran there may keep its claim on a volume in that zone, and rolled onto it, it could only be scheduled there, so it would stay Pending for ever; keep eu-1c in zones, or move the data to a new workload in the remaining zones",
      ],
      [
        "fewer replicas where scaling down is refused",
        state({ scaleDown: "decommission first" }),
        state({ replicas: 2, scaleDown: "decommission first" }),
        "data/db: replicas cannot go from 3 down to 2: decommission first",
      ],
    ];
    for (const [what, olds, news, message] of refused) {
      it(what, () => assert.deepEqual(guardProblems(olds, news), [message]));
    }
  });

  it("reports every problem at once", () => {
    const news = state({
      storage: { className: "standard", size: "1Gi", accessModes: ["ReadWriteOnce"] },
    });
    assert.equal(guardProblems(state(), news).length, 2);
  });

  describe("as the engine runs it: the provider serialized into the resource", () => {
    // The engine's dynamic provider host loads `__provider` as a module and calls its handler.
    async function provider() {
      await setupMocks();
      new WorkloadGuard("db", state());
      const [guard] = await registered();
      const text = guard.inputs.__provider as string;
      const module = { exports: {} as { handler: () => Record<string, CallableFunction> } };
      const load = new Function("exports", "module", "require", "__filename", "__dirname", text);
      load(module.exports, module, require, path.join(__dirname, "provider.js"), __dirname);
      return { type: guard.type, impl: module.exports.handler() };
    }

    it("registers as stateful:WorkloadGuard", async () => {
      assert.equal((await provider()).type, "pulumi-nodejs:dynamic/stateful:WorkloadGuard");
    });

    it("fails check() with the problems, so preview stops before any object changes", async () => {
      const { impl } = await provider();
      const result = await impl.check(state(), withStorage({ size: "5Gi" }));
      assert.deepEqual(result.failures, [
        {
          property: "workload",
          reason:
            "data/db: storage.size cannot shrink from 10Gi to 5Gi: Kubernetes never shrinks a claim; keep the size, or move the data to a new workload",
        },
      ]);
    });

    it("passes check() on a first deploy, when there is nothing to compare with", async () => {
      const { impl } = await provider();
      assert.deepEqual((await impl.check(undefined, state())).failures, []);
      assert.deepEqual((await impl.check({}, state())).failures, []);
    });

    it("updates in place: a guard is never replaced", async () => {
      const { impl } = await provider();
      const diff = await impl.diff("data/db", state(), withStorage({ size: "20Gi" }));
      assert.deepEqual(diff, { changes: true, deleteBeforeReplace: false });
      assert.deepEqual(await impl.diff("data/db", state(), state()), {
        changes: false,
        deleteBeforeReplace: false,
      });
    });
  });
});
