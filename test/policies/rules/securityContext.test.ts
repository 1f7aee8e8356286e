import * as assert from "assert";
import { UNKNOWN_SENTINELS } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations, withField } from "../fixtures";

const RULE = "statefulset-security-context";
const POD_SC = ["spec", "template", "spec", "securityContext"];
const SC = ["spec", "template", "spec", "containers", 0, "securityContext"];
const C = 'spec.template.spec.containers[0] ("redis")';
const I = 'spec.template.spec.initContainers[0] ("init")';

describe(RULE, () => {
  it("passes with pod-level runAsNonRoot/seccomp and container-level escalation/capabilities", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("passes with everything at container level", () => {
    let sts = stsWith(POD_SC, undefined);
    for (const path of [SC, ["spec", "template", "spec", "initContainers", 0, "securityContext"]]) {
      sts = withField(sts, [...path, "runAsNonRoot"], true);
      sts = withField(sts, [...path, "seccompProfile"], {
        type: "Localhost",
        localhostProfile: "p.json",
      });
    }
    assert.deepStrictEqual(violations(RULE, sts), []);
  });

  it("requires runAsNonRoot on the container or the pod", () => {
    assert.deepStrictEqual(violations(RULE, stsWith([...POD_SC, "runAsNonRoot"], undefined)), [
      `${I} does not set runAsNonRoot: true (container or pod securityContext): set it and run the image as a non-zero user`,
      `${C} does not set runAsNonRoot: true (container or pod securityContext): set it and run the image as a non-zero user`,
    ]);
    const override = stsWith([...SC, "runAsNonRoot"], false);
    assert.strictEqual(violations(RULE, override).length, 1);
  });

  it("refuses user 0", () => {
    assert.deepStrictEqual(violations(RULE, stsWith([...SC, "runAsUser"], 0)), [
      `${C} runs as user 0 (securityContext.runAsUser): run as a non-zero user`,
    ]);
  });

  it("requires allowPrivilegeEscalation: false and refuses privileged", () => {
    assert.deepStrictEqual(
      violations(RULE, stsWith([...SC, "allowPrivilegeEscalation"], undefined)),
      [`${C} does not set securityContext.allowPrivilegeEscalation: false: set it`],
    );
    assert.deepStrictEqual(violations(RULE, stsWith([...SC, "privileged"], true)), [
      `${C} sets securityContext.privileged: true: remove it`,
    ]);
  });

  it("requires dropping ALL capabilities and adding at most NET_BIND_SERVICE", () => {
    assert.deepStrictEqual(
      violations(RULE, stsWith([...SC, "capabilities", "drop"], ["NET_RAW"])),
      [
        `${C} securityContext.capabilities.drop does not include ALL: drop ALL and add back only NET_BIND_SERVICE if the process needs it`,
      ],
    );
    const add = stsWith([...SC, "capabilities", "add"], ["NET_BIND_SERVICE", "SYS_ADMIN"]);
    assert.deepStrictEqual(violations(RULE, add), [
      `${C} securityContext.capabilities.add has SYS_ADMIN: the restricted standard allows only NET_BIND_SERVICE`,
    ]);
  });

  it("requires a RuntimeDefault or Localhost seccomp profile", () => {
    assert.deepStrictEqual(
      violations(RULE, stsWith([...SC, "seccompProfile"], { type: "Unconfined" })),
      [
        `${C} seccompProfile.type is "Unconfined" (container or pod securityContext): set it to RuntimeDefault or Localhost`,
      ],
    );
    assert.strictEqual(
      violations(RULE, stsWith([...POD_SC, "seccompProfile"], undefined)).length,
      2,
    );
  });

  it("refuses host namespaces", () => {
    assert.deepStrictEqual(
      violations(RULE, stsWith(["spec", "template", "spec", "hostNetwork"], true)),
      ["spec.template.spec.hostNetwork is true: remove it; pods share no host namespace"],
    );
  });

  it("reports an unknown field as a note", () => {
    const sts = stsWith([...POD_SC, "runAsNonRoot"], UNKNOWN_SENTINELS.boolean);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      "could not check spec.template.spec.securityContext.runAsNonRoot: value unknown during preview",
      "could not check spec.template.spec.securityContext.runAsNonRoot: value unknown during preview",
    ]);
  });
});
