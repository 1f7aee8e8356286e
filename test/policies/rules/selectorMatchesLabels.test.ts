import * as assert from "assert";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations } from "../fixtures";

const RULE = "statefulset-selector-matches-labels";
const SELECTOR = ["spec", "selector"];

describe(RULE, () => {
  it("passes when the selector is a subset of the pod labels", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("requires a selector", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(SELECTOR, undefined)), [
      "spec.selector is not set: set spec.selector.matchLabels to stable labels of spec.template.metadata.labels (the selector cannot change later)",
    ]);
    assert.deepStrictEqual(violations(RULE, stsWith(SELECTOR, {})), [
      "spec.selector is empty: set spec.selector.matchLabels to stable labels of spec.template.metadata.labels (the selector cannot change later)",
    ]);
  });

  it("requires every matchLabel on the pod template", () => {
    assert.deepStrictEqual(
      violations(RULE, stsWith([...SELECTOR, "matchLabels", "tier"], "backend")),
      [
        'spec.selector does not match spec.template.metadata.labels ("tier=backend" not met): add those labels to the pod template or select on labels it has',
      ],
    );
  });

  it("evaluates matchExpressions", () => {
    const ok = stsWith(
      [...SELECTOR, "matchExpressions"],
      [
        { key: "app.kubernetes.io/component", operator: "In", values: ["cache", "db"] },
        { key: "tier", operator: "DoesNotExist" },
      ],
    );
    assert.deepStrictEqual(violations(RULE, ok), []);
    const bad = stsWith(
      [...SELECTOR, "matchExpressions"],
      [{ key: "app.kubernetes.io/component", operator: "NotIn", values: ["cache"] }],
    );
    assert.deepStrictEqual(violations(RULE, bad), [
      'spec.selector does not match spec.template.metadata.labels ("app.kubernetes.io/component NotIn (cache)" not met): add those labels to the pod template or select on labels it has',
    ]);
  });

  it("reports an unknown label as a note", () => {
    const sts = stsWith(
      ["spec", "template", "metadata", "labels", "app.kubernetes.io/instance"],
      UNKNOWN_STRING,
    );
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      'could not check spec.template.metadata.labels["app.kubernetes.io/instance"]: value unknown during preview',
    ]);
  });
});
