import * as assert from "assert";
import fc from "fast-check";
import { looksSecret } from "../../../policies/rules/noSecretLiteralEnv";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { check, notes, statefulSet, stsWith, violations } from "../fixtures";

const RULE = "statefulset-no-secret-literal-env";
const ENV = ["spec", "template", "spec", "containers", 0, "env"];
const C = 'spec.template.spec.containers[0] ("redis")';
const SECRET_VALUE = "hunter2-do-not-print";

const LITERAL = (c: string, name: string) =>
  `${c} env ${name} is set as a literal value: read it from a Secret with valueFrom.secretKeyRef (a literal is stored in the StatefulSet in clear)`;
const URL_FIX =
  "read the password into another env var with valueFrom.secretKeyRef and write it as $(VAR) in the URL, or read the whole URL from a Secret (a literal is stored in the StatefulSet in clear)";

/** The rule's violations for one env var of the redis container. */
function envViolations(name: string, value: unknown): string[] {
  return violations(RULE, stsWith([...ENV, 0], { name, value }));
}

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
      // AUTH as the last word, alone or glued
      "REDISCLI_AUTH",
      "REDIS_AUTH",
      "BASIC_AUTH",
      "MASTERAUTH",
      "redisAuth",
      "HTTP_AUTHORIZATION",
      // PGPASS and other words ending in PASS
      "PGPASS",
      "PG_PASS",
      "PG_PASSWORD",
      "POSTGRES_PASS",
      "DBPASS",
      "REDIS_REQUIREPASS",
      "pgPass",
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
      // about a secret, not the secret
      "JWT_TOKEN_TTL",
      "SESSION_TOKEN_TIMEOUT",
      "API_KEY_EXPIRY",
      "PASSWORD_MIN_LENGTH",
      "AUTH_ENABLED",
      "TOKEN_URL",
      "POSTGRES_HOST_AUTH_METHOD",
      "PGPASSFILE",
      "MONGO_KEYFILE",
      "AUTH_PROVIDER",
      "GITHUB_OAUTH",
      "CACHE_BYPASS",
    ]) {
      assert.ok(!looksSecret(n), n);
    }
  });

  it("refuses literal AUTH and PGPASS values", () => {
    for (const name of ["REDISCLI_AUTH", "MASTERAUTH", "PGPASS", "PGPASSWORD", "PG_PASSWORD"]) {
      assert.deepStrictEqual(envViolations(name, SECRET_VALUE), [LITERAL(C, name)], name);
    }
  });

  it("passes a duration, a length or a file named after a secret", () => {
    for (const [name, value] of [
      ["JWT_TOKEN_TTL", "15m"],
      ["SESSION_TOKEN_TIMEOUT", "30s"],
      ["API_KEY_EXPIRY", "90d"],
      ["PASSWORD_MIN_LENGTH", "12"],
      ["AUTH_ENABLED", "true"],
      ["REDIS_PASSWORD_FILE", "/run/secrets/redis"],
      ["PGPASSFILE", "/run/secrets/pgpass"],
      ["POSTGRES_HOST_AUTH_METHOD", "scram-sha-256"],
      ["TOKEN_URL", "https://auth.example.com/token"],
    ]) {
      assert.deepStrictEqual(envViolations(name, value), [], name);
    }
  });

  it("passes a value that only refers to other env vars", () => {
    assert.deepStrictEqual(envViolations("REDISCLI_AUTH", "$(REDIS_PASSWORD)"), []);
    // $$( escapes the reference: the value is the literal text, stored in the spec.
    assert.deepStrictEqual(envViolations("REDISCLI_AUTH", "$$(REDIS_PASSWORD)"), [
      LITERAL(C, "REDISCLI_AUTH"),
    ]);
  });

  it("refuses a URL with a literal password in any env var, without echoing it", () => {
    const userinfo = `${C} env DATABASE_URL is a URL with a literal password (scheme://user:password@host): ${URL_FIX}`;
    for (const url of [
      `postgres://app:${SECRET_VALUE}@db.data.svc:5432/app`,
      `redis://:${SECRET_VALUE}@redis-0.redis:6379/0`,
      `amqp://guest:${SECRET_VALUE}@rabbit`,
      `mongodb://app:${SECRET_VALUE}@m-0,m-1/app?replicaSet=rs0`,
      `jdbc:postgresql://app:${SECRET_VALUE}@db/app`,
    ]) {
      const found = check(RULE, stsWith([...ENV, 0], { name: "DATABASE_URL", value: url }));
      assert.deepStrictEqual(
        found.map((f) => [f.type, f.message]),
        [["violation", userinfo]],
        url,
      );
      assert.ok(!JSON.stringify(found).includes(SECRET_VALUE), url);
    }
    assert.deepStrictEqual(
      envViolations("JDBC_URL", `jdbc:postgresql://db/app?user=app&password=${SECRET_VALUE}`),
      [
        `${C} env JDBC_URL is a URL with a literal credential in its query parameter "password": ${URL_FIX}`,
      ],
    );
  });

  it("passes URLs without a literal password", () => {
    for (const url of [
      "postgres://db.data.svc:5432/app",
      "postgres://app@db.data.svc:5432/app",
      "postgres://app:$(DB_PASSWORD)@db.data.svc:5432/app",
      "jdbc:postgresql://db/app?user=app&password=$(DB_PASSWORD)",
      "http://[::1]:8080/@scope/pkg",
      "http://cache:8080/a:b@c",
      "https://registry.npmjs.org/@types/node",
      "mongodb://m-0/app?authSource=admin",
    ]) {
      assert.deepStrictEqual(envViolations("DATABASE_URL", url), [], url);
    }
  });

  it("reports a secret-looking name once, even when its value is a URL with a password", () => {
    assert.deepStrictEqual(envViolations("DB_PASSWORD", `postgres://a:${SECRET_VALUE}@db`), [
      LITERAL(C, "DB_PASSWORD"),
    ]);
  });

  it("allowNames also exempts a URL", () => {
    const sts = stsWith([...ENV, 0], { name: "DATABASE_URL", value: "postgres://a:b@db" });
    assert.deepStrictEqual(violations(RULE, sts, { config: { allowNames: ["DATABASE_URL"] } }), []);
  });

  it("never echoes any part of a value, whatever the name and the value", () => {
    // The marker never occurs in the rule's own text, so finding it means a value was printed.
    const marked = fc.string({ maxLength: 8 }).map((s) => `\u00a7${s}`);
    const piece = fc.oneof(
      marked,
      fc.constantFrom("postgres://", "://", ":", "@", "/", "?", "&", "password=", "$(", ")", "app"),
    );
    const name = fc.oneof(
      fc.constantFrom("DATABASE_URL", "REDISCLI_AUTH", "PGPASS", "JWT_TOKEN_TTL", "A"),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(name, fc.array(piece, { maxLength: 10 }), (n, pieces) => {
        const found = check(RULE, stsWith([...ENV, 0], { name: n, value: pieces.join("") }));
        for (const f of found) assert.ok(!f.message.includes("\u00a7"), f.message);
      }),
      { numRuns: 500 },
    );
  });

  it("says nothing of an unknown value under a name that does not look secret", () => {
    const sts = stsWith([...ENV, 0], { name: "DATABASE_URL", value: UNKNOWN_STRING });
    assert.deepStrictEqual(check(RULE, sts), []);
  });

  it("passes secretKeyRef and non-secret literals", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
  });

  it("refuses a secret-looking literal without echoing it", () => {
    const sts = stsWith([...ENV, 0], { name: "REDIS_PASSWORD", value: SECRET_VALUE });
    const found = check(RULE, sts);
    assert.deepStrictEqual(
      found.map((f) => f.message),
      [LITERAL(C, "REDIS_PASSWORD")],
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
