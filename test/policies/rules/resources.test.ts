import * as assert from "assert";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations } from "../fixtures";

const RULE = "statefulset-resources";
const RES = ["spec", "template", "spec", "containers", 0, "resources"];
const C = 'spec.template.spec.containers[0] ("redis")';

describe(RULE, () => {
  it("passes with requests and a memory limit", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("requires CPU and memory requests and a memory limit", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(RES, undefined)), [
      `${C} sets no resources.requests.cpu: set it so the scheduler places the pod on a node with CPU to spare`,
      `${C} sets no resources.requests.memory: set it so the scheduler places the pod on a node with memory to spare`,
      `${C} sets no resources.limits.memory: set it so one pod cannot exhaust its node's memory`,
    ]);
    assert.deepStrictEqual(violations(RULE, stsWith([...RES, "limits"], undefined)), [
      `${C} sets no resources.limits.memory: set it so one pod cannot exhaust its node's memory`,
    ]);
  });

  it("counts a limit as the request, as Kubernetes defaults it", () => {
    const sts = stsWith(RES, { limits: { cpu: "1", memory: "1Gi" } });
    assert.deepStrictEqual(violations(RULE, sts), []);
  });

  it("checks init containers too", () => {
    const sts = stsWith(
      ["spec", "template", "spec", "initContainers", 0, "resources", "requests"],
      undefined,
    );
    assert.deepStrictEqual(violations(RULE, sts), [
      'spec.template.spec.initContainers[0] ("init") sets no resources.requests.cpu: set it so the scheduler places the pod on a node with CPU to spare',
    ]);
  });

  it("requires a CPU limit with config.requireCpuLimit", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet(), { config: { requireCpuLimit: true } }), [
      'spec.template.spec.initContainers[0] ("init") sets no resources.limits.cpu: set it as this stack requires',
      `${C} sets no resources.limits.cpu: set it as this stack requires`,
    ]);
  });

  it("reports an unknown quantity as a note", () => {
    const sts = stsWith([...RES, "limits", "memory"], UNKNOWN_STRING);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      "could not check spec.template.spec.containers[0].resources.limits.memory: value unknown during preview",
    ]);
  });
});
