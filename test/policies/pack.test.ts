// The pack end to end, as the Pulumi CLI runs it: the compiled pack started by run-policy-pack and
// driven over the analyzer gRPC protocol with real protobuf messages.
import * as assert from "assert";
import * as path from "path";
import { RULES } from "../../policies/rules";
import { EXEMPT_ANNOTATION, EXEMPT_REASON_ANNOTATION } from "../../policies/runner";
import type { KubeObject } from "../../policies/kube/objects";
import {
  Diagnostic,
  PackClient,
  PackResource,
  secret,
  startPack,
  unknown,
  urnOf,
} from "../../harness/analyzerClient";
import { POLICIES_DIR, requireBuiltPack } from "./builtPack";
import { stackObjects, statefulSet, stsWith, withField } from "./fixtures";

/** The Pulumi type token of a Kubernetes object, as @pulumi/kubernetes registers it. */
function pulumiType(obj: KubeObject): string {
  const apiVersion = String(obj.apiVersion);
  const gv = apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`;
  return `kubernetes:${gv}:${String(obj.kind)}`;
}

function resource(obj: KubeObject, name = "redis"): PackResource {
  const type = pulumiType(obj);
  return { type, name, urn: urnOf(type, name), properties: obj };
}

function stack(objects: KubeObject[]): PackResource[] {
  return objects.map((o) => resource(o, `${String(o.kind).toLowerCase()}-redis`));
}

const summary = (ds: Diagnostic[]) => ds.map((d) => [d.policyName, d.enforcementLevel, d.message]);
const STS_URN = urnOf("kubernetes:apps/v1:StatefulSet", "statefulset-redis");

describe("the policy pack over the analyzer protocol", function () {
  this.timeout(120_000);
  let pack: PackClient;

  before(async () => {
    requireBuiltPack();
    pack = await startPack(POLICIES_DIR);
    // As the CLI: handshake (Node.js packs answer UNIMPLEMENTED), then info and config.
    assert.strictEqual(await pack.handshake(), false);
  });

  after(async () => {
    await pack?.close();
  });

  beforeEach(async () => {
    await pack.configure({});
  });

  it("describes itself: name, version from package.json, every policy with level and schema", async () => {
    const info = await pack.info();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const version = require(path.join(POLICIES_DIR, "package.json")).version;
    assert.deepStrictEqual(
      [info.name, info.version, info.supportsConfig],
      ["stateful-workloads", version, true],
    );
    assert.deepStrictEqual(
      info.policies.map((p) => [p.name, p.enforcementLevel, p.type]),
      RULES.map((r) => [r.name, r.level, r.scope]),
    );
    const storage = info.policies.find((p) => p.name === "statefulset-storage-class");
    assert.deepStrictEqual(Object.keys(storage?.configSchema?.properties ?? {}), [
      "allowed",
      "exempt",
    ]);
    assert.ok(await pack.pluginVersion());
  });

  it("passes the valid workload, resource by resource and as a stack", async () => {
    for (const obj of stackObjects()) {
      assert.deepStrictEqual(await pack.analyze(resource(obj)), []);
    }
    assert.deepStrictEqual(await pack.analyzeStack(stack(stackObjects())), []);
  });

  it("ignores resources that are not Kubernetes StatefulSets", async () => {
    const other = {
      type: "random:index/randomPassword:RandomPassword",
      name: "p",
      properties: { length: 16 },
    };
    const component = { type: "stateful:workloads:Redis", name: "r", properties: {} };
    assert.deepStrictEqual(await pack.analyze(other), []);
    assert.deepStrictEqual(await pack.analyzeStack([other, component]), []);
  });

  it("reports resource violations with the rule's message at the policy's level", async () => {
    const sts = stsWith(["spec", "volumeClaimTemplates", 0, "spec", "storageClassName"], undefined);
    assert.deepStrictEqual(summary(await pack.analyze(resource(sts))), [
      [
        "statefulset-storage-class",
        "mandatory",
        'spec.volumeClaimTemplates[0] ("data") has no spec.storageClassName: name a StorageClass explicitly; an unset class falls back to the cluster\'s default, which differs between clusters',
      ],
    ]);
  });

  it("reports stack violations against the StatefulSet's URN", async () => {
    const objects = stackObjects().filter((o) => o.kind !== "Service");
    const ds = await pack.analyzeStack(stack(objects));
    assert.deepStrictEqual(summary(ds), [
      [
        "statefulset-headless-service",
        "mandatory",
        'spec.serviceName names Service "redis", which is not in namespace "cache": create it as a headless Service (clusterIP: None) selecting the pods, or list it under externalServices in the policy config if it is managed elsewhere',
      ],
    ]);
    assert.strictEqual(ds[0].urn, STS_URN);
  });

  it("turns unknown values into advisory notes, never violations or errors", async () => {
    let sts = stsWith(["spec", "volumeClaimTemplates", 0, "spec", "storageClassName"], unknown());
    sts = withField(sts, ["spec", "serviceName"], unknown());
    sts = withField(sts, ["metadata", "namespace"], unknown());
    assert.deepStrictEqual(summary(await pack.analyze(resource(sts))), [
      [
        "statefulset-storage-class",
        "advisory",
        "could not check spec.volumeClaimTemplates[0].spec.storageClassName: value unknown during preview",
      ],
    ]);
    const ds = await pack.analyzeStack(stack(stackObjects(sts)));
    assert.deepStrictEqual(summary(ds), [
      [
        "statefulset-headless-service",
        "advisory",
        "could not check metadata.namespace: value unknown during preview",
      ],
      [
        "statefulset-pod-disruption-budget",
        "advisory",
        "could not check metadata.namespace: value unknown during preview",
      ],
      [
        "statefulset-network-policy",
        "advisory",
        "could not check metadata.namespace: value unknown during preview",
      ],
    ]);
  });

  it("reads secret values but never echoes them", async () => {
    const hidden = "s3cr3t-value-never-printed";
    let sts = stsWith(["spec", "template", "spec", "containers", 0, "env", 0], {
      name: "REDIS_PASSWORD",
      value: secret(hidden),
    });
    sts = withField(
      sts,
      ["spec", "volumeClaimTemplates", 0, "spec", "storageClassName"],
      secret("fast"),
    );
    const ds = await pack.analyze(resource(sts));
    assert.deepStrictEqual(summary(ds), [
      [
        "statefulset-no-secret-literal-env",
        "mandatory",
        'spec.template.spec.containers[0] ("redis") env REDIS_PASSWORD is set as a literal value: read it from a Secret with valueFrom.secretKeyRef (a literal is stored in the StatefulSet in clear)',
      ],
    ]);
    assert.ok(!JSON.stringify(ds).includes(hidden));
  });

  it("applies config: properties, per-policy levels, all, disabled", async () => {
    const sts = statefulSet();
    await pack.configure({ "statefulset-storage-class": { allowed: ["premium"] } });
    assert.deepStrictEqual(summary(await pack.analyze(resource(sts))), [
      [
        "statefulset-storage-class",
        "mandatory",
        'spec.volumeClaimTemplates[0] ("data") spec.storageClassName is "fast", which is not allowed here: use one of "premium"',
      ],
    ]);
    await pack.configure({
      all: "advisory",
      "statefulset-storage-class": { allowed: ["premium"] },
    });
    assert.deepStrictEqual(
      (await pack.analyze(resource(sts))).map((d) => d.enforcementLevel),
      ["advisory"],
    );
    await pack.configure({
      "statefulset-storage-class": { enforcementLevel: "disabled", allowed: ["premium"] },
    });
    assert.deepStrictEqual(await pack.analyze(resource(sts)), []);
    await pack.configure({ "statefulset-network-policy": "mandatory" });
    const noNetpol = stackObjects().filter((o) => o.kind !== "NetworkPolicy");
    assert.deepStrictEqual(
      (await pack.analyzeStack(stack(noNetpol))).map((d) => [d.policyName, d.enforcementLevel]),
      [["statefulset-network-policy", "mandatory"]],
    );
    await pack.configure({
      "statefulset-headless-service": { externalServices: [{ namespace: "cache", name: "redis" }] },
    });
    const noService = stackObjects().filter((o) => o.kind !== "Service");
    assert.deepStrictEqual(await pack.analyzeStack(stack(noService)), []);
  });

  it("reports exemptions as advisory notes naming the reason", async () => {
    let sts = stsWith(["spec", "template", "spec", "affinity"], undefined);
    sts = withField(sts, ["metadata", "annotations"], {
      "pulumi.com/deletionPropagationPolicy": "orphan",
      [EXEMPT_ANNOTATION]: "statefulset-pod-spread",
      [EXEMPT_REASON_ANNOTATION]: "single-node dev cluster",
    });
    const ds = await pack.analyze(resource(sts));
    assert.deepStrictEqual(summary(ds), [
      [
        "statefulset-pod-spread",
        "advisory",
        `exempt by annotation ${EXEMPT_ANNOTATION} (reason: "single-node dev cluster"): spec.replicas is 3 but nothing spreads the pods: add spec.template.spec.affinity.podAntiAffinity or topologySpreadConstraints with a labelSelector matching spec.template.metadata.labels, so one node failure cannot take every replica`,
      ],
    ]);
  });

  it("takes stack tags and offers no remediation", async () => {
    await pack.configureStack({ stack: "dev", project: "stateful", tags: { team: "platform" } });
    assert.deepStrictEqual(await pack.remediate(resource(statefulSet())), []);
  });

  it("survives malformed resources", async () => {
    const malformed = {
      type: "kubernetes:apps/v1:StatefulSet",
      name: "bad",
      properties: { spec: "oops", metadata: [1, 2] },
    };
    const ds = await pack.analyze(malformed);
    assert.ok(ds.every((d) => typeof d.message === "string"));
    await pack.analyzeStack([malformed, { ...malformed, type: "kubernetes:core/v1:Service" }]);
    assert.strictEqual(pack.stderr().includes("Error"), false, pack.stderr());
  });
});
