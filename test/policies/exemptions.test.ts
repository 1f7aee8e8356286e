import * as assert from "assert";
import { RULES } from "../../policies/rules";
import type { AnyRule } from "../../policies/rule";
import { UNKNOWN_SENTINELS } from "../../policies/kube/unknown";
import {
  analyzeObjects,
  EXEMPT_ANNOTATION,
  EXEMPT_REASON_ANNOTATION,
  evaluateRule,
  isRuleError,
  ruleErrorMessage,
} from "../../policies/runner";
import { check, defaultConfig, stackObjects, statefulSet, stsWith, withField } from "./fixtures";

const RULE = "statefulset-storage-class";
const VIOLATION =
  'spec.volumeClaimTemplates[0] ("data") has no spec.storageClassName: name a StorageClass explicitly; an unset class falls back to the cluster\'s default, which differs between clusters';

function unclassed(annotations?: Record<string, unknown>) {
  const sts = stsWith(["spec", "volumeClaimTemplates", 0, "spec", "storageClassName"], undefined);
  const orphan = { "pulumi.com/deletionPropagationPolicy": "orphan" };
  return annotations
    ? withField(sts, ["metadata", "annotations"], { ...orphan, ...annotations })
    : sts;
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

  it("an unknown exempt annotation makes the violations it may cover advisory", () => {
    const sts = unclassed({ [EXEMPT_ANNOTATION]: UNKNOWN_SENTINELS.string });
    assert.deepStrictEqual(check(RULE, sts), [
      {
        type: "note",
        message: `may be exempt by annotation ${EXEMPT_ANNOTATION}, which is unknown during preview: ${VIOLATION}`,
      },
      {
        type: "note",
        message: `could not check metadata.annotations["${EXEMPT_ANNOTATION}"]: value unknown during preview`,
      },
    ]);
  });

  it("an unknown reason of an exemption that names the rule also makes them advisory", () => {
    const sts = unclassed({
      [EXEMPT_ANNOTATION]: RULE,
      [EXEMPT_REASON_ANNOTATION]: UNKNOWN_SENTINELS.string,
    });
    assert.deepStrictEqual(check(RULE, sts), [
      {
        type: "note",
        message: `may be exempt by annotation ${EXEMPT_ANNOTATION}, which is unknown during preview: ${VIOLATION}`,
      },
      {
        type: "note",
        message: `could not check metadata.annotations["${EXEMPT_REASON_ANNOTATION}"]: value unknown during preview`,
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

/** A rule with a bug: it throws `thrown` on every object. */
function throwing(thrown: unknown): AnyRule {
  return {
    name: "broken",
    description: "",
    level: "mandatory",
    scope: "resource",
    config: {},
    check: () => {
      throw thrown;
    },
  };
}

describe("the runner", () => {
  it("reports a rule that throws as a rule error, never as a could-not-check note", () => {
    assert.deepStrictEqual(evaluateRule(throwing(new TypeError("boom")), stackObjects()[1], {}), [
      {
        type: "note",
        message:
          "rule error: broken threw TypeError: boom; this is a bug in the policy, please report it",
      },
    ]);
  });

  it("keeps a rule error advisory and lets every other rule run", () => {
    const results = analyzeObjects(
      stackObjects(),
      [throwing(new RangeError("bad index")), ...RULES],
      defaultConfig(),
    );
    assert.deepStrictEqual(results, [
      {
        rule: "broken",
        level: "advisory",
        kind: "StatefulSet",
        namespace: "cache",
        name: "redis",
        message:
          "rule error: broken threw RangeError: bad index; this is a bug in the policy, please report it",
      },
    ]);
  });

  it("never prints what a rule threw if it is not an Error, and never throws itself", () => {
    const unprintable = Object.create(null) as object; // String(unprintable) throws
    const hostile = new Error("x");
    Object.defineProperty(hostile, "message", {
      get() {
        throw new Error("no");
      },
    });
    for (const [thrown, what] of [
      ["hunter2-do-not-print", "a non-Error value of type string"],
      [unprintable, "a non-Error value of type object"],
      [null, "a non-Error value of type null"],
      [hostile, "an error that cannot be printed"],
    ] as const) {
      const message = `rule error: broken threw ${what}; this is a bug in the policy, please report it`;
      assert.deepStrictEqual(ruleErrorMessage("broken", thrown), message);
      assert.deepStrictEqual(evaluateRule(throwing(thrown), stackObjects()[1], {}), [
        { type: "note", message },
      ]);
    }
  });

  it("shortens a long error message", () => {
    const message = ruleErrorMessage("broken", new Error("x".repeat(1000)));
    assert.strictEqual(
      message,
      `rule error: broken threw Error: ${"x".repeat(300)}...; this is a bug in the policy, please report it`,
    );
  });

  it("does not let an exemption hide a rule error", () => {
    const sts = withField(statefulSet(), ["metadata", "annotations"], {
      [EXEMPT_ANNOTATION]: "broken",
      [EXEMPT_REASON_ANNOTATION]: "why",
    });
    const found = evaluateRule(throwing(new Error("boom")), sts, {});
    assert.deepStrictEqual(
      found.map((f) => isRuleError(f.message)),
      [true],
    );
  });

  it("tells rule errors from notes about unknown values", () => {
    const sts = withField(statefulSet(), ["metadata", "name"], UNKNOWN_SENTINELS.string);
    const found = analyzeObjects(stackObjects(sts), RULES, defaultConfig());
    assert.ok(found.length > 0);
    for (const r of found) {
      assert.ok(r.message.startsWith("could not check"), r.message);
      assert.ok(!isRuleError(r.message), r.message);
    }
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
