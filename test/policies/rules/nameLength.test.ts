import * as assert from "assert";
import { MAX_STATEFULSET_NAME as COMPONENTS_MAX_STATEFULSET_NAME } from "../../../components/names";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { MAX_STATEFULSET_NAME } from "../../../policies/rules/nameLength";
import { notes, statefulSet, stsWith, violations, withField } from "../fixtures";

const RULE = "statefulset-name-length";
const NAME = ["metadata", "name"];

describe(RULE, () => {
  it("passes a short DNS-label name", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
    assert.deepStrictEqual(violations(RULE, stsWith(NAME, "a".repeat(52))), []);
  });

  it("refuses names over 52 characters", () => {
    const name = "a".repeat(53);
    assert.deepStrictEqual(violations(RULE, stsWith(NAME, name)), [
      `metadata.name "${name}" is 53 characters: shorten it to at most 52 so the controller-revision-hash label (<name>-<10-char hash>) stays within 63`,
    ]);
  });

  it("refuses names that are not DNS labels", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(NAME, "redis.main")), [
      "metadata.name \"redis.main\" is not a DNS label (lower-case letters, digits and '-'): pod hostnames <name>-<ordinal> must be DNS labels; rename it",
    ]);
  });

  it("refuses claim templates whose claim names exceed 253 characters", () => {
    const template = "t".repeat(245);
    let sts = withField(
      statefulSet(),
      ["spec", "volumeClaimTemplates", 0, "metadata", "name"],
      template,
    );
    sts = withField(
      sts,
      ["spec", "template", "spec", "containers", 0, "volumeMounts", 0, "name"],
      template,
    );
    assert.deepStrictEqual(violations(RULE, withField(sts, ["spec", "replicas"], 10)), []);
    assert.deepStrictEqual(violations(RULE, withField(sts, ["spec", "replicas"], 11)), [
      `spec.volumeClaimTemplates[0] ("${template}") makes claim names of 254 characters (${template}-redis-10): shorten the template or StatefulSet name to keep them within 253`,
    ]);
  });

  it("counts ordinals from spec.ordinals.start", () => {
    const sts = withField(
      statefulSet(),
      ["spec", "volumeClaimTemplates", 0, "metadata", "name"],
      "t".repeat(245),
    );
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.strictEqual(
      violations(RULE, withField(sts, ["spec", "ordinals"], { start: 8 })).length,
      1,
    );
  });

  it("reports an unknown name as a note", () => {
    assert.deepStrictEqual(notes(RULE, stsWith(NAME, UNKNOWN_STRING)), [
      "could not check metadata.name: value unknown during preview",
    ]);
  });

  // policies/ is its own package and does not import components/: the limit is written twice on
  // purpose, and this keeps the components from creating names the policy refuses (or the reverse).
  it("allows the same longest name as components/names.ts", () => {
    assert.strictEqual(MAX_STATEFULSET_NAME, COMPONENTS_MAX_STATEFULSET_NAME);
  });
});
