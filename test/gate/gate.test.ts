// The offline preview gate over every stack of stacks/, and proof that it fails when it should.
import { strict as assert } from "assert";
import { ConfigError } from "../../components/config";
import { isRuleError } from "../../policies/runner";
import { PackClient, startPack } from "../../harness/analyzerClient";
import { requireBuiltPack } from "../policies/builtPack";
import {
  formatLikeCli,
  gateResources,
  GateResult,
  gateStack,
  policyConfigOf,
} from "../../harness/gate";
import { RecordedResource, unwrapSecrets } from "../../harness/mocks";
import { runProgram } from "../../harness/program";
import { configOfStackFile, POLICY_PACK_DIR, stackFile, stackNames } from "../../harness/stacks";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const STS = "kubernetes:apps/v1:StatefulSet";

describe("offline preview gate", function () {
  this.timeout(180_000);
  before(requireBuiltPack);

  // One gate run per stack, shared by the tests of that stack.
  const gated = new Map<string, Promise<GateResult>>();
  const gateOnce = (stack: string): Promise<GateResult> => {
    if (!gated.has(stack)) gated.set(stack, gateStack(stack));
    return gated.get(stack)!;
  };

  for (const stack of stackNames()) {
    it(`passes stack ${stack}: schema-valid objects and no mandatory violation`, async () => {
      const result = await gateOnce(stack);
      assert.deepEqual(result.schemaErrors, []);
      assert.deepEqual(
        result.mandatory.map((d) => `${d.policyName}: ${d.message}`),
        [],
        formatLikeCli(result),
      );
      const statefulSets = result.resources.filter((r) => r.type === STS);
      assert.ok(statefulSets.length > 0, "the stack deploys StatefulSets");
      if (result.diagnostics.length > 0) console.log(formatLikeCli(result));
    });

    it(`checks stack ${stack} completely: no rule error, nothing left unchecked`, async () => {
      // Under mocks every value is known, so a "could not check" note means a rule misread a
      // value, and a rule error means a rule crashed: both are advisory, so only this catches them.
      const result = await gateOnce(stack);
      assert.deepEqual(
        result.diagnostics
          .filter((d) => isRuleError(d.message) || d.message.startsWith("could not check"))
          .map((d) => `${d.policyName}: ${d.message}`),
        [],
        formatLikeCli(result),
      );
    });
  }

  describe("broken copies of the dev stack", () => {
    const devConfig = () => configOfStackFile(stackFile("dev"));
    let dev: RecordedResource[];
    let pack: PackClient;

    before(async () => {
      dev = await runProgram(devConfig(), { stack: "dev" });
      pack = await startPack(POLICY_PACK_DIR, { stack: "dev", project: "stateful" });
    });
    after(async () => pack?.close());

    /** The dev stack's resources with the first StatefulSet's spec altered on the wire. */
    function withBrokenStatefulSet(mutate: (spec: Obj) => void): RecordedResource[] {
      let done = false;
      return dev.map((r) => {
        if (r.type !== STS || done) return r;
        done = true;
        const wire = structuredClone(r.wire) as Obj;
        mutate(wire.spec);
        return { ...r, wire, inputs: unwrapSecrets(wire) as Record<string, unknown> };
      });
    }

    const cases: [string, (spec: Obj) => void, string][] = [
      [
        "no storage class",
        (spec) => delete spec.volumeClaimTemplates[0].spec.storageClassName,
        "statefulset-storage-class",
      ],
      [
        "retention policy removed",
        (spec) => delete spec.persistentVolumeClaimRetentionPolicy,
        "statefulset-pvc-retention-policy",
      ],
      [
        "readiness probe removed",
        (spec) => delete spec.template.spec.containers[0].readinessProbe,
        "statefulset-readiness-probe",
      ],
      [
        "a serviceName that points nowhere",
        (spec) => (spec.serviceName = "nowhere"),
        "statefulset-headless-service",
      ],
    ];

    for (const [what, mutate, rule] of cases) {
      it(`fails on ${what}, naming ${rule}`, async () => {
        const result = await gateResources(
          "dev",
          withBrokenStatefulSet(mutate),
          policyConfigOf("dev"),
          pack,
        );
        assert.deepEqual(
          [...new Set(result.mandatory.map((d) => d.policyName))],
          [rule],
          formatLikeCli(result),
        );
        assert.match(formatLikeCli(result), new RegExp(`- \\[mandatory\\]  ${rule}  \\(${STS}: `));
      });
    }

    it("passes the unaltered resources through the same pack", async () => {
      const result = await gateResources("dev", dev, policyConfigOf("dev"), pack);
      assert.deepEqual(result.mandatory, []);
    });

    it("refuses a stack config with no storage class before any resource exists", async () => {
      const config = devConfig();
      delete config["stateful:storageClass"];
      await assert.rejects(runProgram(config), (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /workloads\[0\]\.storage\.className: is missing/);
        return true;
      });
    });

    it("renders an explicit Retain/Retain policy when a stack config names no retention", async () => {
      const config = devConfig();
      const namespaces = JSON.parse(config["stateful:namespaces"]);
      for (const ns of namespaces) for (const w of ns.workloads) delete w.retention;
      config["stateful:namespaces"] = JSON.stringify(namespaces);
      const resources = await runProgram(config);
      for (const sts of resources.filter((r) => r.type === STS)) {
        assert.deepEqual((sts.inputs.spec as Obj).persistentVolumeClaimRetentionPolicy, {
          whenDeleted: "Retain",
          whenScaled: "Retain",
        });
      }
    });
  });
});
