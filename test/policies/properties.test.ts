// Whatever arrives (partial objects, wrong types, unknown sentinels anywhere), no rule throws: a
// policy that crashes fails every preview of every stack that uses the pack. The runner would turn
// a crash into a "rule error:" note rather than fail the preview, so these properties also refuse
// every such note: a rule that crashes on some input fails them, whatever the runner makes of it.
import * as assert from "assert";
import fc from "fast-check";
import { toKubeObject } from "../../policies/adapter";
import type { KubeObject } from "../../policies/kube/objects";
import { StackIndex } from "../../policies/kube/stackIndex";
import { UNKNOWN_SENTINELS, UnknownValueError } from "../../policies/kube/unknown";
import { RULES } from "../../policies/rules";
import { analyzeObjects, evaluateRule, isRuleError } from "../../policies/runner";
import { defaultConfig, stackObjects, statefulSet, withField } from "./fixtures";

const sentinel = fc.constantFrom(...Object.values(UNKNOWN_SENTINELS));
const junk = fc.oneof(
  { depthSize: "small" },
  fc.anything({ maxDepth: 3 }),
  sentinel,
  fc.constantFrom(null, "", 0, -1, 1e9, "None", "ALL", "50%", "latest", [], {}),
);

/** Every path of an object (objects and arrays alike), to mutate one at a time. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const key = Array.isArray(value) ? Number(k) : k;
      out.push([...prefix, key]);
      paths(v, [...prefix, key], out);
    }
  }
  return out;
}

const STS_PATHS = paths(statefulSet());
const mutatedStatefulSet = fc
  .array(fc.tuple(fc.constantFrom(...STS_PATHS), junk), { minLength: 1, maxLength: 4 })
  .map((edits) => edits.reduce((obj, [path, v]) => withField(obj, path, v), statefulSet()));

const kubeKind = fc.constantFrom("StatefulSet", "Service", "PodDisruptionBudget", "NetworkPolicy");
const arbitraryObject: fc.Arbitrary<KubeObject> = fc
  .record({ kind: kubeKind, metadata: junk, spec: junk }, { requiredKeys: ["kind"] })
  .map((o) => o as KubeObject);

/** Any key, but mostly the rules' own properties, so their readers meet malformed values. */
const configKey = fc.oneof(
  fc.constantFrom("exempt", ...RULES.flatMap((r) => Object.keys(r.config))),
  fc.string(),
);

function assertFindings(findings: unknown): void {
  assert.ok(Array.isArray(findings));
  for (const f of findings as { type: unknown; message: unknown }[]) {
    assert.ok(f.type === "violation" || f.type === "note");
    assert.strictEqual(typeof f.message, "string");
    assertNoRuleError(f.message as string);
  }
}

function assertNoRuleError(message: string): void {
  assert.ok(!isRuleError(message), `a rule crashed: ${message}`);
}

describe("rules on arbitrary input", () => {
  it("throw nothing but UnknownValueError from check, and nothing at all through the runner", () => {
    fc.assert(
      fc.property(
        fc.oneof(mutatedStatefulSet, arbitraryObject),
        fc.array(arbitraryObject, { maxLength: 4 }),
        (sts, others) => {
          const stack = new StackIndex([sts, ...others, ...stackObjects()]);
          for (const rule of RULES) {
            try {
              assertFindings(rule.check(sts, { config: {} as never, stack, source: "pulumi" }));
            } catch (e) {
              if (!(e instanceof UnknownValueError)) throw e;
            }
            assertFindings(evaluateRule(rule, sts, {}, stack));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("tolerate malformed config", () => {
    fc.assert(
      fc.property(mutatedStatefulSet, fc.dictionary(configKey, junk), (sts, config) => {
        for (const rule of RULES) assertFindings(evaluateRule(rule, sts, config));
      }),
      { numRuns: 100 },
    );
  });

  it("analyze any list of objects, even top-level junk", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(arbitraryObject, mutatedStatefulSet), { maxLength: 6 }),
        (objects) => {
          const results = analyzeObjects(objects, RULES, defaultConfig());
          for (const r of results) {
            assert.strictEqual(typeof r.message, "string");
            assertNoRuleError(r.message);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the adapter turns any props into an object or nothing", () => {
    fc.assert(
      fc.property(fc.string(), junk, (type, props) => {
        const obj = toKubeObject(
          `kubernetes:apps/v1:${type.replace(/[^A-Za-z]/g, "") || "X"}`,
          props,
        );
        assert.ok(obj === undefined || typeof obj === "object");
        assert.strictEqual(
          toKubeObject(type, props) === undefined || type.startsWith("kubernetes:"),
          true,
        );
      }),
    );
  });

  it("never a violation, only notes, where a value the rule reads is unknown", () => {
    // Replacing one field by an unknown sentinel can only remove violations or add notes.
    fc.assert(
      fc.property(fc.constantFrom(...STS_PATHS), sentinel, (path, s) => {
        const sts = withField(statefulSet(), path, s);
        const results = analyzeObjects(stackObjects(sts), RULES, defaultConfig());
        assert.deepStrictEqual(
          results.filter((r) => !r.message.startsWith("could not check")),
          [],
          JSON.stringify(path),
        );
      }),
      { numRuns: 300 },
    );
  });
});
