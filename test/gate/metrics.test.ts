// The metrics stack through the real policy pack over the analyzer protocol, as `pulumi preview
// --policy-pack` sends it: the ServiceMonitor reaches the stack rules, and a broken one fails.
import { strict as assert } from "assert";
import { PackClient, startPack } from "../../harness/analyzerClient";
import { formatLikeCli, gateResources, policyConfigOf } from "../../harness/gate";
import { RecordedResource, unwrapSecrets } from "../../harness/mocks";
import { runProgram } from "../../harness/program";
import { configOfStackFile, POLICY_PACK_DIR, stackFile } from "../../harness/stacks";
import { requireBuiltPack } from "../policies/builtPack";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const SM = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

describe("offline preview gate: the metrics stack's ServiceMonitors and NetworkPolicies", function () {
  this.timeout(180_000);
  let resources: RecordedResource[];
  let pack: PackClient;

  before(async () => {
    requireBuiltPack();
    resources = await runProgram(configOfStackFile(stackFile("metrics")), { stack: "metrics" });
    pack = await startPack(POLICY_PACK_DIR, { stack: "metrics", project: "stateful" });
  });
  after(async () => pack?.close());

  /** The stack's resources with the first of `type` altered on the wire. */
  function broken(type: string, name: string, mutate: (wire: Obj) => void): RecordedResource[] {
    return resources.map((r) => {
      if (r.type !== type || !r.name.endsWith(name)) return r;
      const wire = structuredClone(r.wire) as Obj;
      mutate(wire);
      return { ...r, wire, inputs: unwrapSecrets(wire) as Record<string, unknown> };
    });
  }

  const findings = async (rs: RecordedResource[]) => {
    const result = await gateResources("metrics", rs, policyConfigOf("metrics"), pack);
    return {
      result,
      ours: result.diagnostics
        .filter((d) => /statefulset-(service-monitor|metrics-ingress)/.test(d.policyName))
        .map((d) => `${d.policyName}: ${d.message}`),
    };
  };

  it("renders a ServiceMonitor for each workload that asks for one, and passes", async () => {
    const monitors = resources
      .filter((r) => r.type === SM)
      .map((r) => (r.inputs as Obj).metadata.name);
    assert.deepEqual(monitors.sort(), ["cache", "db"]);
    const { result, ours } = await findings(resources);
    assert.deepEqual(result.mandatory, [], formatLikeCli(result));
    assert.deepEqual(ours, []);
  });

  it("fails on a ServiceMonitor port that the Service does not have", async () => {
    const { result, ours } = await findings(
      broken(SM, "db-metrics", (w) => (w.spec.endpoints[0].port = "http-metrics")),
    );
    assert.deepEqual(
      [...new Set(result.mandatory.map((d) => d.policyName))],
      ["statefulset-service-monitor"],
    );
    assert.equal(ours.length, 1);
    assert.match(ours[0], /port names port "http-metrics", which no Service it selects/);
  });

  it("warns when the NetworkPolicy no longer admits the scrapers", async () => {
    const { ours } = await findings(
      broken(NETPOL, "metrics-example/db", (w) => {
        w.spec.ingress = w.spec.ingress.filter(
          (rule: Obj) => !rule.ports.some((p: Obj) => p.port === "metrics"),
        );
      }),
    );
    assert.equal(ours.length, 1, ours.join("\n"));
    assert.match(ours[0], /^statefulset-metrics-ingress: .*admit container port "metrics"/);
  });
});
