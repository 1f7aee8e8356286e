import * as assert from "assert";
import { looksSecret } from "../../../policies/rules/noSecretLiteralEnv";
import { UNKNOWN_STRING } from "../../../policies/rules/unknown";
import { check, notes, statefulSet, stsWith, violations } from "../fixtures";

const RULE = "statefulset-no-secret-literal-env";
const ENV = ["spec", "template", "spec", "containers", 0, "env"];
const C = 'spec.template.spec.containers[0] ("redis")';
const SECRET_VALUE = "hunter2-do-not-print";

describe(RULE, () => {
  it("recognises secret-looking names", () => {
    for (const n of [
      "REDIS_PASSWORD",
      "API_TOKEN",
      "AWS_SECRET_ACCESS_KEY",
      "DB_PASS",
      "apiKey",
      "PGPASSWORD",
      "TLS_KEY",
    ]) {
      assert.ok(looksSecret(n), n);
    }
    for (const n of [
      "CASSANDRA_KEYSPACE",
      "POSTGRES_PASSWORD_FILE",
      "SECRET_NAME",
      "MONKEY",
      "REDIS_PORT",
      "TOKENIZER_PATH",
    ]) {
      assert.ok(!looksSecret(n), n);
    }
  });

  it("passes secretKeyRef and non-secret literals", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("refuses a secret-looking literal without echoing it", () => {
    const sts = stsWith([...ENV, 0], { name: "REDIS_PASSWORD", value: SECRET_VALUE });
    const found = check(RULE, sts);
    assert.deepStrictEqual(
      found.map((f) => f.message),
      [
        `${C} env REDIS_PASSWORD is set as a literal value: read it from a Secret with valueFrom.secretKeyRef (a literal is stored in the StatefulSet in clear)`,
      ],
    );
    assert.ok(!JSON.stringify(found).includes(SECRET_VALUE));
  });

  it("allows empty literals and config.allowNames", () => {
    assert.deepStrictEqual(
      violations(RULE, stsWith([...ENV, 0], { name: "REDIS_PASSWORD", value: "" })),
      [],
    );
    const sts = stsWith([...ENV, 0], { name: "CACHE_KEY", value: "users" });
    assert.strictEqual(violations(RULE, sts).length, 1);
    assert.deepStrictEqual(violations(RULE, sts, { config: { allowNames: ["CACHE_KEY"] } }), []);
  });

  it("checks init containers", () => {
    const sts = stsWith(
      ["spec", "template", "spec", "initContainers", 0, "env"],
      [{ name: "TOKEN", value: "x" }],
    );
    assert.deepStrictEqual(violations(RULE, sts), [
      'spec.template.spec.initContainers[0] ("init") env TOKEN is set as a literal value: read it from a Secret with valueFrom.secretKeyRef (a literal is stored in the StatefulSet in clear)',
    ]);
  });

  it("reports an unknown literal as a note", () => {
    const sts = stsWith([...ENV, 0], { name: "REDIS_PASSWORD", value: UNKNOWN_STRING });
    assert.deepStrictEqual(violations(RULE, sts), []);
    assert.deepStrictEqual(notes(RULE, sts), [
      "could not check spec.template.spec.containers[0].env[0].value: value unknown during preview",
    ]);
  });
});
