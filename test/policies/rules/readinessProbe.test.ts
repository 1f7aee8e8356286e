import * as assert from "assert";
import { UNKNOWN_SENTINELS } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations, withField } from "../fixtures";

const RULE = "statefulset-readiness-probe";
const PROBE = ["spec", "template", "spec", "containers", 0, "readinessProbe"];
const C = 'spec.template.spec.containers[0] ("redis")';

describe(RULE, () => {
  it("passes with a valid probe", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("requires a readiness probe on every container", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(PROBE, undefined)), [
      `${C} has no readinessProbe: add one (httpGet, tcpSocket, exec or grpc) so rollouts and the Service only count pods that can serve`,
    ]);
  });

  it("exempts init containers", () => {
    const sts = stsWith(
      ["spec", "template", "spec", "initContainers", 0, "readinessProbe"],
      undefined,
    );
    assert.deepStrictEqual(violations(RULE, sts), []);
  });

  it("holds a sidecar's readinessProbe to the same, and needs none on a sidecar", () => {
    const INIT = ["spec", "template", "spec", "initContainers", 0];
    const S = 'spec.template.spec.initContainers[0] ("init")';
    const sidecar = stsWith([...INIT, "restartPolicy"], "Always");
    assert.deepStrictEqual(violations(RULE, sidecar), [], "a sidecar without a probe");
    const broken = withField(sidecar, [...INIT, "readinessProbe"], { periodSeconds: 5 });
    assert.deepStrictEqual(violations(RULE, broken), [
      `${S} readinessProbe has no handler: set one of httpGet, tcpSocket, exec or grpc`,
    ]);
    const plainInit = stsWith([...INIT, "readinessProbe"], { periodSeconds: 5 });
    assert.deepStrictEqual(violations(RULE, plainInit), [], "a run-to-completion init container");
    const unknown = withField(broken, [...INIT, "restartPolicy"], UNKNOWN_SENTINELS.string);
    assert.deepStrictEqual(violations(RULE, unknown), []);
    assert.deepStrictEqual(notes(RULE, unknown), [
      `could not check spec.template.spec.initContainers[0].restartPolicy: value unknown during preview`,
    ]);
  });

  it("requires a handler", () => {
    assert.deepStrictEqual(violations(RULE, stsWith([...PROBE, "tcpSocket"], undefined)), [
      `${C} readinessProbe has no handler: set one of httpGet, tcpSocket, exec or grpc`,
    ]);
  });

  it("accepts any timeoutSeconds: a probe as slow as its period still succeeds", () => {
    assert.deepStrictEqual(violations(RULE, stsWith([...PROBE, "timeoutSeconds"], 5)), []);
    const longTimeout = stsWith([...PROBE, "timeoutSeconds"], 30);
    assert.deepStrictEqual(violations(RULE, withoutPeriod(longTimeout)), []);
  });

  it("requires a failure threshold of at least one (0 takes the default)", () => {
    assert.deepStrictEqual(violations(RULE, stsWith([...PROBE, "failureThreshold"], 0)), []);
    assert.deepStrictEqual(violations(RULE, stsWith([...PROBE, "failureThreshold"], -1)), [
      `${C} readinessProbe.failureThreshold (-1) is below 1: set it to at least 1 (Kubernetes defaults to 3)`,
    ]);
  });

  it("requires named probe ports to be declared by the container", () => {
    assert.deepStrictEqual(violations(RULE, stsWith([...PROBE, "tcpSocket", "port"], "client")), [
      `${C} readinessProbe.tcpSocket.port names port "client", which the container does not declare in ports: add a containerPort named "client" or use the port number`,
    ]);
    assert.deepStrictEqual(violations(RULE, stsWith([...PROBE, "tcpSocket", "port"], 6379)), []);
  });

  it("reports unknown probe fields as notes, per container", () => {
    const sts = stsWith([...PROBE, "failureThreshold"], UNKNOWN_SENTINELS.number);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      "could not check spec.template.spec.containers[0].readinessProbe.failureThreshold: value unknown during preview",
    ]);
  });
});

function withoutPeriod(sts: ReturnType<typeof statefulSet>) {
  const spec = sts.spec as { template: { spec: { containers: { readinessProbe: object }[] } } };
  delete (spec.template.spec.containers[0].readinessProbe as { periodSeconds?: number })
    .periodSeconds;
  return sts;
}
