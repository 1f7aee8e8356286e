import * as assert from "assert";
import { UNKNOWN_SENTINELS } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations } from "../fixtures";

const RULE = "statefulset-liveness-probe";
const LIVENESS = ["spec", "template", "spec", "containers", 0, "livenessProbe"];

describe(RULE, () => {
  it("passes a container with a liveness probe", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("asks for a liveness probe", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(LIVENESS, undefined)), [
      'spec.template.spec.containers[0] ("redis") has no livenessProbe: add one that checks the process answers (tcpSocket or a cheap exec), so a hung container is restarted',
    ]);
  });

  it("reports an unknown probe as a note", () => {
    const sts = stsWith(LIVENESS, UNKNOWN_SENTINELS.object);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      "could not check spec.template.spec.containers[0].livenessProbe: value unknown during preview",
    ]);
  });
});
