import * as assert from "assert";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations, withField } from "../fixtures";

const RULE = "statefulset-claim-templates-mounted";
const MOUNT = ["spec", "template", "spec", "containers", 0, "volumeMounts", 0, "name"];

describe(RULE, () => {
  it("passes when a container mounts the template", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("refuses a template no container mounts", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(MOUNT, "cache")), [
      'spec.volumeClaimTemplates[0] ("data") is not mounted by any container: add a volumeMount named "data" where the process keeps its data, or remove the template',
    ]);
  });

  it("counts a mount by an init container", () => {
    const sts = withField(
      stsWith(MOUNT, "cache"),
      ["spec", "template", "spec", "initContainers", 0, "volumeMounts"],
      [{ name: "data", mountPath: "/data" }],
    );
    assert.deepStrictEqual(violations(RULE, sts), []);
  });

  it("reports an unknown mount as a note", () => {
    const sts = stsWith(MOUNT, UNKNOWN_STRING);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      "could not check spec.template.spec.containers[0].volumeMounts[0].name: value unknown during preview",
    ]);
  });
});
