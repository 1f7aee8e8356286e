import * as assert from "assert";
import { UNKNOWN_SENTINELS } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations } from "../fixtures";

const RULE = "statefulset-update-partition";
const PARTITION = ["spec", "updateStrategy", "rollingUpdate", "partition"];
const P = "spec.updateStrategy.rollingUpdate.partition";

describe(RULE, () => {
  it("passes a partition between 0 and replicas", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
    assert.deepStrictEqual(violations(RULE, stsWith(PARTITION, 3)), []);
    assert.deepStrictEqual(violations(RULE, stsWith(["spec", "updateStrategy"], undefined)), []);
  });

  it("refuses a partition above replicas", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(PARTITION, 4)), [
      `${P} is 4, outside 0..spec.replicas (3): no pod would get a new template; set it between 0 and 3`,
    ]);
  });

  it("refuses a negative partition", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(PARTITION, -1)), [
      `${P} is -1, outside 0..spec.replicas (3): the API rejects it; set it between 0 and 3`,
    ]);
  });

  it("reports an unknown partition as a note", () => {
    assert.deepStrictEqual(notes(RULE, stsWith(PARTITION, UNKNOWN_SENTINELS.number)), [
      `could not check ${P}: value unknown during preview`,
    ]);
  });
});
