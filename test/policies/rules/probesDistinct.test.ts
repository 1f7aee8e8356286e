import * as assert from "assert";
import { UNKNOWN_SENTINELS } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations, withField } from "../fixtures";

const RULE = "statefulset-probes-distinct";
const C = 'spec.template.spec.containers[0] ("redis")';
const LIVENESS = ["spec", "template", "spec", "containers", 0, "livenessProbe"];

describe(RULE, () => {
  it("passes a liveness probe with the same check and a longer window", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("refuses a liveness probe that repeats readiness with no more patience", () => {
    const same = { tcpSocket: { port: "redis" }, periodSeconds: 5, failureThreshold: 3 };
    assert.deepStrictEqual(violations(RULE, stsWith(LIVENESS, same)), [
      `${C} livenessProbe repeats the readinessProbe's tcpSocket check and gives up after 15s, no later than readiness (15s): every pod that is not ready gets restarted; make liveness check less (that the process answers) or give it a longer failureThreshold x periodSeconds`,
    ]);
  });

  it("holds a sidecar (an init container with restartPolicy Always) to the same", () => {
    const INIT = ["spec", "template", "spec", "initContainers", 0];
    const same = { tcpSocket: { port: 9000 }, periodSeconds: 5, failureThreshold: 3 };
    const probes = (sts: ReturnType<typeof statefulSet>) =>
      withField(
        withField(sts, [...INIT, "readinessProbe"], same),
        [...INIT, "livenessProbe"],
        same,
      );
    const sidecar = probes(stsWith([...INIT, "restartPolicy"], "Always"));
    assert.deepStrictEqual(violations(RULE, sidecar), [
      `spec.template.spec.initContainers[0] ("init") livenessProbe repeats the readinessProbe's tcpSocket check and gives up after 15s, no later than readiness (15s): every pod that is not ready gets restarted; make liveness check less (that the process answers) or give it a longer failureThreshold x periodSeconds`,
    ]);
    assert.deepStrictEqual(violations(RULE, probes(statefulSet())), [], "not a sidecar");
    const unknown = withField(sidecar, [...INIT, "restartPolicy"], UNKNOWN_SENTINELS.string);
    assert.deepStrictEqual(violations(RULE, unknown), []);
    assert.deepStrictEqual(notes(RULE, unknown), [
      "could not check spec.template.spec.initContainers[0].restartPolicy: value unknown during preview",
    ]);
  });

  it("passes a liveness probe with another check", () => {
    const other = { exec: { command: ["redis-cli", "ping"] }, periodSeconds: 5 };
    assert.deepStrictEqual(violations(RULE, stsWith(LIVENESS, other)), []);
  });

  it("reports an unknown window as a note", () => {
    const sts = stsWith([...LIVENESS, "periodSeconds"], UNKNOWN_SENTINELS.number);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      "could not check spec.template.spec.containers[0].livenessProbe.periodSeconds: value unknown during preview",
    ]);
  });

  it("reports an unknown inside both handlers as a note, not a violation", () => {
    const probe = {
      httpGet: { path: UNKNOWN_SENTINELS.string, port: "redis" },
      periodSeconds: 5,
      failureThreshold: 3,
    };
    const READINESS = [...LIVENESS.slice(0, -1), "readinessProbe"];
    const sts = withField(stsWith(LIVENESS, probe), READINESS, probe);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      "could not check spec.template.spec.containers[0].livenessProbe.httpGet.path: value unknown during preview",
    ]);
  });
});
