import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
  configSchemaOf,
  parsePolicyPackConfig,
  reconcileConfig,
  validateSchema,
} from "../../policies/config";
import { RULES } from "../../policies/rules";

describe("policy config", () => {
  it("parses levels given as strings or enforcementLevel", () => {
    const { config, errors } = parsePolicyPackConfig({
      all: "advisory",
      "statefulset-storage-class": { enforcementLevel: "disabled", allowed: ["x"] },
    });
    assert.deepStrictEqual(errors, []);
    assert.deepStrictEqual(config, {
      all: { enforcementLevel: "advisory", properties: {} },
      "statefulset-storage-class": { enforcementLevel: "disabled", properties: { allowed: ["x"] } },
    });
  });

  it("names the key of an invalid level or entry", () => {
    assert.deepStrictEqual(
      parsePolicyPackConfig({ a: "strict", b: { enforcementLevel: 3 }, c: 1 }).errors,
      [
        'a: "strict" is not an enforcement level (advisory, mandatory, remediate, disabled)',
        "b.enforcementLevel: 3 is not an enforcement level (advisory, mandatory, remediate, disabled)",
        "c: must be an enforcement level or an object",
      ],
    );
    assert.deepStrictEqual(parsePolicyPackConfig([]).errors, [
      "the policy config must be an object keyed by policy name",
    ]);
  });

  it("reconciles like the Pulumi engine: defaults, then all, then the policy's own entry", () => {
    const { config } = parsePolicyPackConfig({
      all: "advisory",
      "statefulset-storage-class": "mandatory",
      "statefulset-pvc-retention-policy": { forbidDelete: true },
    });
    const { resolved, errors } = reconcileConfig(RULES, config);
    assert.deepStrictEqual(errors, []);
    assert.strictEqual(resolved["statefulset-storage-class"].enforcementLevel, "mandatory");
    assert.strictEqual(resolved["statefulset-readiness-probe"].enforcementLevel, "advisory");
    assert.deepStrictEqual(resolved["statefulset-pvc-retention-policy"], {
      enforcementLevel: "advisory",
      properties: { forbidDelete: true },
    });
    assert.deepStrictEqual(resolved["statefulset-pod-disruption-budget"].properties, {
      quorum: true,
    });
    const defaults = reconcileConfig(RULES, {}).resolved;
    assert.strictEqual(defaults["statefulset-network-policy"].enforcementLevel, "advisory");
    assert.strictEqual(defaults["statefulset-headless-service"].enforcementLevel, "mandatory");
  });

  it("validates properties against the schema and warns about unknown names", () => {
    const { config } = parsePolicyPackConfig({
      "statefulset-storage-class": { allowed: "premium", allowd: [] },
      "statefulset-headless-service": { exempt: [{ name: "x" }] },
      "no-such-policy": "advisory",
    });
    const { errors, warnings } = reconcileConfig(RULES, config);
    assert.deepStrictEqual(errors, [
      "statefulset-headless-service.exempt[0].reason is required",
      "statefulset-storage-class.allowed must be an array, got string",
    ]);
    assert.deepStrictEqual(warnings, [
      "no-such-policy: no policy of this name; ignored",
      "statefulset-storage-class.allowd: not a property of this policy; ignored",
    ]);
  });

  it("validates the schema subset", () => {
    const schema = configSchemaOf(RULES.find((r) => r.name === "statefulset-headless-service")!);
    assert.ok("exempt" in schema.properties && "externalServices" in schema.properties);
    assert.deepStrictEqual(validateSchema({ type: "integer", minimum: 1 }, 0, "n"), [
      "n must be at least 1",
    ]);
    assert.deepStrictEqual(validateSchema({ type: "integer" }, 1.5, "n"), [
      "n must be a integer, got number",
    ]);
    assert.deepStrictEqual(validateSchema({ type: "number" }, 2, "n"), []);
    assert.deepStrictEqual(validateSchema({ enum: ["a"] }, "b", "e"), ['e must be one of "a"']);
  });

  it("policies/config/example.json is valid config", () => {
    const file = path.join(__dirname, "../../policies/config/example.json");
    const { config, errors } = parsePolicyPackConfig(JSON.parse(fs.readFileSync(file, "utf8")));
    assert.deepStrictEqual(errors, []);
    const result = reconcileConfig(RULES, config);
    assert.deepStrictEqual([result.errors, result.warnings], [[], []]);
  });
});
