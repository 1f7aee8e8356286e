import * as assert from "assert";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import {
  networkPolicy,
  notes,
  podDisruptionBudget,
  service,
  statefulSet,
  stsWith,
  violations,
  withField,
} from "../fixtures";

const RULE = "statefulset-headless-service";

describe(RULE, () => {
  it("passes with the headless Service in the stack", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("requires spec.serviceName", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(["spec", "serviceName"], undefined)), [
      'spec.serviceName is not set: set it to a headless Service (clusterIP: None) in namespace "cache" whose selector matches spec.template.metadata.labels, so every pod gets a stable DNS name',
    ]);
    assert.strictEqual(violations(RULE, stsWith(["spec", "serviceName"], "")).length, 1);
  });

  it("requires the Service in the same namespace", () => {
    const sts = statefulSet();
    const elsewhere = withField(service(), ["metadata", "namespace"], "other");
    assert.deepStrictEqual(violations(RULE, sts, { objects: [elsewhere, sts] }), [
      'spec.serviceName names Service "redis", which is not in namespace "cache" (a Service "redis" is in namespace "other"; a StatefulSet\'s Service must be in its own namespace): create it as a headless Service (clusterIP: None) selecting the pods, or list it under externalServices in the policy config if it is managed elsewhere',
    ]);
  });

  it("takes spec.clusterIPs: [None] without clusterIP as headless", () => {
    const sts = statefulSet();
    const svc = withField(service(), ["spec", "clusterIP"], undefined);
    const ips = withField(svc, ["spec", "clusterIPs"], ["None"]);
    assert.deepStrictEqual(violations(RULE, sts, { objects: [ips, sts] }), []);
  });

  it("does not take a Service without a name (generateName) for an unknown one", () => {
    const sts = statefulSet();
    const generated = withField(service(), ["metadata", "name"], undefined);
    const svc = withField(generated, ["metadata", "generateName"], "redis-");
    assert.deepStrictEqual(notes(RULE, sts, { objects: [svc, sts] }), []);
    assert.deepStrictEqual(violations(RULE, sts, { objects: [svc, sts] }), [
      'spec.serviceName names Service "redis", which is not in namespace "cache": create it as a headless Service (clusterIP: None) selecting the pods, or list it under externalServices in the policy config if it is managed elsewhere',
    ]);
  });

  it("takes only core Services, never another group's Service kind", () => {
    const sts = statefulSet();
    const knative = withField(service(), ["apiVersion"], "serving.knative.dev/v1");
    assert.deepStrictEqual(violations(RULE, sts, { objects: [service(), knative, sts] }), []);
    assert.strictEqual(violations(RULE, sts, { objects: [knative, sts] }).length, 1);
  });

  it("treats a missing namespace as default", () => {
    const sts = stsWith(["metadata", "namespace"], undefined);
    const svc = withField(service(), ["metadata", "namespace"], undefined);
    assert.deepStrictEqual(violations(RULE, sts, { objects: [svc, sts] }), []);
    assert.match(violations(RULE, sts, { objects: [sts] })[0], /not in namespace "default"/);
  });

  it("accepts a Service listed under externalServices", () => {
    const sts = statefulSet();
    const config = { externalServices: [{ namespace: "cache", name: "redis" }] };
    assert.deepStrictEqual(violations(RULE, sts, { objects: [sts], config }), []);
    const wrongNs = { externalServices: [{ name: "redis" }] };
    assert.strictEqual(violations(RULE, sts, { objects: [sts], config: wrongNs }).length, 1);
  });

  it("requires clusterIP: None", () => {
    const sts = statefulSet();
    const svc = withField(service(), ["spec", "clusterIP"], undefined);
    assert.deepStrictEqual(violations(RULE, sts, { objects: [svc, sts] }), [
      'Service "redis" named by spec.serviceName is not headless (spec.clusterIP is not set): set spec.clusterIP: None so each pod gets its own DNS record',
    ]);
    const ip = withField(service(), ["spec", "clusterIP"], "10.0.0.7");
    assert.match(violations(RULE, sts, { objects: [ip, sts] })[0], /spec.clusterIP is "10.0.0.7"/);
  });

  it("requires a selector that matches the pod labels", () => {
    const sts = statefulSet();
    const none = withField(service(), ["spec", "selector"], undefined);
    assert.deepStrictEqual(violations(RULE, sts, { objects: [none, sts] }), [
      'Service "redis" named by spec.serviceName has no spec.selector: set it to labels of spec.template.metadata.labels so it publishes a DNS record per pod',
    ]);
    const wrong = withField(service(), ["spec", "selector", "app.kubernetes.io/name"], "valkey");
    assert.deepStrictEqual(violations(RULE, sts, { objects: [wrong, sts] }), [
      'Service "redis" spec.selector does not match spec.template.metadata.labels (no pod label "app.kubernetes.io/name=valkey"): make the Service selector a subset of the pod labels',
    ]);
  });

  it("reports a note, not a violation, for values unknown during preview", () => {
    const sts = stsWith(["spec", "serviceName"], UNKNOWN_STRING);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      "could not check spec.serviceName: value unknown during preview",
    ]);
    const svc = withField(service(), ["metadata", "namespace"], UNKNOWN_STRING);
    const s2 = statefulSet();
    assert.deepStrictEqual(notes(RULE, s2, { objects: [svc, s2] }), [
      'could not check Service "redis": value unknown during preview',
    ]);
    const ip = withField(service(), ["spec", "clusterIP"], UNKNOWN_STRING);
    assert.deepStrictEqual(notes(RULE, s2, { objects: [ip, s2] }), [
      'could not check Service "redis" spec.clusterIP: value unknown during preview',
    ]);
  });

  it("finds its Service among many without confusing namespaces", () => {
    const objects = [podDisruptionBudget(), networkPolicy()];
    for (let i = 0; i < 50; i++) {
      objects.push(withField(service(), ["metadata", "namespace"], `ns-${i}`));
    }
    const sts = statefulSet();
    assert.strictEqual(violations(RULE, sts, { objects: [...objects, sts] }).length, 1);
    assert.deepStrictEqual(violations(RULE, sts, { objects: [...objects, service(), sts] }), []);
  });
});
