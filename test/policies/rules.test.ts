import * as assert from "assert";
import { RULES } from "../../policies/rules";
import { analyzeObjects } from "../../policies/runner";
import { check, defaultConfig, stackObjects, statefulSet } from "./fixtures";
import { RuleName } from "./ruleNames";

describe("rules", () => {
  it("have unique kebab-case names, a description and a default level", () => {
    const names = RULES.map((r) => r.name);
    assert.strictEqual(new Set(names).size, names.length);
    for (const r of RULES) {
      assert.match(r.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(r.description.length > 40, r.name);
      assert.ok(["mandatory", "advisory"].includes(r.level), r.name);
      assert.ok(!("exempt" in r.config), `${r.name} must not declare the shared exempt property`);
    }
    assert.ok(RULES.length >= 14);
  });

  it("the four required rules are mandatory by default", () => {
    for (const name of [
      "statefulset-headless-service",
      "statefulset-readiness-probe",
      "statefulset-storage-class",
      "statefulset-pvc-retention-policy",
    ]) {
      assert.strictEqual(RULES.find((r) => r.name === name)?.level, "mandatory", name);
    }
  });

  it("the valid workload passes every rule without a note", () => {
    for (const r of RULES) {
      assert.deepStrictEqual(check(r.name as RuleName, statefulSet()), [], r.name);
    }
    assert.deepStrictEqual(analyzeObjects(stackObjects(), RULES, defaultConfig()), []);
  });
});
