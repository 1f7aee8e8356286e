import * as assert from "assert";
import { parseImage } from "../../../policies/rules/imagePinned";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { notes, statefulSet, stsWith, violations } from "../fixtures";

const RULE = "statefulset-image-pinned";
const IMAGE = ["spec", "template", "spec", "containers", 0, "image"];
const C = 'spec.template.spec.containers[0] ("redis")';
const DIGEST = "sha256:" + "a".repeat(64);

describe(RULE, () => {
  it("parses tags and digests, also behind a registry port", () => {
    assert.deepStrictEqual(parseImage("redis"), { tag: undefined, digest: undefined });
    assert.deepStrictEqual(parseImage("registry:5000/team/redis"), {
      tag: undefined,
      digest: undefined,
    });
    assert.deepStrictEqual(parseImage("registry:5000/redis:7.4"), {
      tag: "7.4",
      digest: undefined,
    });
    assert.deepStrictEqual(parseImage(`redis@${DIGEST}`), { tag: undefined, digest: DIGEST });
  });

  it("passes a version tag", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("refuses an untagged image", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(IMAGE, "registry:5000/redis")), [
      `${C} image "registry:5000/redis" has no tag: pin a version tag or a digest (image@sha256:...), or a restarted pod may run another version`,
    ]);
  });

  it("refuses latest, also in init containers", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(IMAGE, "redis:latest")), [
      `${C} image "redis:latest" uses the latest tag: pin a version tag or a digest, or a restarted pod may run another version`,
    ]);
    const init = stsWith(["spec", "template", "spec", "initContainers", 0, "image"], "busybox");
    assert.strictEqual(violations(RULE, init).length, 1);
  });

  it("accepts a digest, and requires one with config.requireDigest", () => {
    assert.deepStrictEqual(violations(RULE, stsWith(IMAGE, `redis:latest@${DIGEST}`)), []);
    const config = { requireDigest: true };
    assert.deepStrictEqual(
      violations(RULE, stsWith(IMAGE, `redis@${DIGEST}`), { config }).length,
      1,
    );
    assert.deepStrictEqual(
      violations(RULE, statefulSet(), { config })[1],
      `${C} image "redis:7.4.2-alpine" is not pinned by digest: append @sha256:<digest> as this stack requires`,
    );
  });

  it("reports an unknown image as a note", () => {
    const sts = stsWith(IMAGE, UNKNOWN_STRING);
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      "could not check spec.template.spec.containers[0].image: value unknown during preview",
    ]);
  });
});
