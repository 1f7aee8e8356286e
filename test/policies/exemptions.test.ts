import * as assert from "assert";
import { RULES } from "../../policies/rules";
import type { Rule } from "../../policies/rules/types";
import { UNKNOWN_SENTINELS } from "../../policies/rules/unknown";
import {
  analyzeObjects,
  EXEMPT_ANNOTATION,
  EXEMPT_REASON_ANNOTATION,
  evaluateRule,
} from "../../policies/runner";
import { check, defaultConfig, stackObjects, stsWith, withField } from "./fixtures";

const RULE = "statefulset-storage-class";
const VIOLATION =
  'spec.volumeClaimTemplates[0] ("data") has no spec.storageClassName: name a StorageClass explicitly; an unset class falls back to the cluster\'s default, which differs between clusters';

function unclassed(annotations?: Record<string, unknown>) {
  const sts = stsWith(["spec", "volumeClaimTemplates", 0, "spec", "storageClassName"], undefined);
  return annotations ? withField(sts, ["metadata", "annotations"], annotations) : sts;
}

describe("exemptions", () => {
  it("an annotation with a reason turns violations into notes naming the reason", () => {
    const sts = unclassed({
      [EXEMPT_ANNOTATION]: "statefulset-pod-spread, statefulset-storage-class",
      [EXEMPT_REASON_ANNOTATION]: "local-path only on the edge cluster",
    });
    assert.deepStrictEqual(check(RULE, sts), [
      {
        type: "note",
        message: `exempt by annotation ${EXEMPT_ANNOTATION} (reason: "local-path only on the edge cluster"): ${VIOLATION}`,
      },
    ]);
  });

  it("an annotation naming other rules changes nothing", () => {
    const sts = unclassed({
      [EXEMPT_ANNOTATION]: "statefulset-pod-spread",
      [EXEMPT_REASON_ANNOTATION]: "x",
    });
    assert.deepStrictEqual(check(RULE, sts), [{ type: "violation", message: VIOLATION }]);
  });

  it("an annotation without a reason is reported and not applied", () => {
    for (const reason of [undefined, "  "]) {
      const sts = unclassed({ [EXEMPT_ANNOTATION]: RULE, [EXEMPT_REASON_ANNOTATION]: reason });
      assert.deepStrictEqual(check(RULE, sts), [
        { type: "violation", message: VIOLATION },
        {
          type: "note",
          message: `exemption ignored: annotation ${EXEMPT_ANNOTATION} names ${RULE} but gives no reason; set the annotation ${EXEMPT_REASON_ANNOTATION} to apply it`,
        },
      ]);
    }
  });

  it("a config entry with a reason exempts by namespace and name", () => {
    const config = { exempt: [{ namespace: "cache", name: "redis", reason: "migrating" }] };
    assert.deepStrictEqual(check(RULE, unclassed(), { config }), [
      {
        type: "note",
        message: `exempt by the policy config's exempt list (reason: "migrating"): ${VIOLATION}`,
      },
    ]);
    const otherNs = { exempt: [{ name: "redis", reason: "migrating" }] };
    assert.strictEqual(check(RULE, unclassed(), { config: otherNs })[0].type, "violation");
  });

  it("a config entry without a reason is reported and not applied", () => {
    const config = { exempt: [{ namespace: "cache", name: "redis" }] };
    assert.deepStrictEqual(check(RULE, unclassed(), { config }), [
      { type: "violation", message: VIOLATION },
      {
        type: "note",
        message: `exemption ignored: the policy config's exempt list names ${RULE} but gives no reason; give the exempt entry a reason to apply it`,
      },
    ]);
  });

  it("an exempt object that passes reports nothing", () => {
    const sts = withField(stackObjects()[1], ["metadata", "annotations"], {
      [EXEMPT_ANNOTATION]: RULE,
      [EXEMPT_REASON_ANNOTATION]: "x",
    });
    assert.deepStrictEqual(check(RULE, sts), []);
  });

  it("unknown annotations are a note, and the rule still runs", () => {
    const sts = unclassed({ [EXEMPT_ANNOTATION]: UNKNOWN_SENTINELS.string });
    assert.deepStrictEqual(check(RULE, sts), [
      { type: "violation", message: VIOLATION },
      {
        type: "note",
        message: `could not check metadata.annotations["${EXEMPT_ANNOTATION}"]: value unknown during preview`,
      },
    ]);
  });

  it("notes are advisory even for a mandatory rule", () => {
    const sts = unclassed({ [EXEMPT_ANNOTATION]: RULE, [EXEMPT_REASON_ANNOTATION]: "why" });
    const results = analyzeObjects(stackObjects(sts), RULES, defaultConfig());
    assert.deepStrictEqual(
      results.map((r) => [r.rule, r.level]),
      [[RULE, "advisory"]],
    );
  });
});

describe("the runner", () => {
  it("turns an unexpected error in a rule into a note", () => {
    const broken: Rule<never> = {
      name: "broken",
      description: "",
      level: "mandatory",
      scope: "resource",
      config: {},
      check: () => {
        throw new TypeError("boom");
      },
    };
    assert.deepStrictEqual(evaluateRule(broken, stackObjects()[1], {}), [
      { type: "note", message: "could not check: the rule failed on this object (boom)" },
    ]);
  });

  it("reports each level as configured; disabled rules do not run", () => {
    const sts = unclassed();
    const config = defaultConfig();
    config[RULE] = { enforcementLevel: "advisory", properties: {} };
    assert.deepStrictEqual(
      analyzeObjects(stackObjects(sts), RULES, config).map((r) => r.level),
      ["advisory"],
    );
    config[RULE] = { enforcementLevel: "disabled", properties: {} };
    assert.deepStrictEqual(analyzeObjects(stackObjects(sts), RULES, config), []);
    config[RULE] = { enforcementLevel: "remediate", properties: {} };
    assert.deepStrictEqual(
      analyzeObjects(stackObjects(sts), RULES, config).map((r) => r.level),
      ["mandatory"],
    );
  });

  it("names objects without a namespace as in default", () => {
    const sts = withField(unclassed(), ["metadata", "namespace"], undefined);
    const [r] = analyzeObjects([sts], [RULES.find((x) => x.name === RULE)!], defaultConfig());
    assert.deepStrictEqual([r.kind, r.namespace, r.name], ["StatefulSet", "default", "redis"]);
  });
});
