// statefulset-no-secret-literal-env: a password set as a literal env `value` is stored in the
// StatefulSet, readable by anyone who can read the StatefulSet, and printed by every diff. So is a
// password written into a connection URL (DATABASE_URL=postgres://app:pw@db/app).
import { containersOf } from "../kube/objects";
import { UnknownValueError } from "../kube/unknown";
import { Finding, guarded, Rule, violation } from "../rule";

export interface NoSecretLiteralEnvConfig {
  /** Env names that look secret but are not (e.g. `CACHE_KEY_PREFIX`). */
  allowNames?: string[];
}

/** Whole words that name a secret. */
const SECRET_WORDS = new Set([
  "KEY",
  "APIKEY",
  "ACCESSKEY",
  "PRIVATEKEY",
  "SECRETKEY",
  "PASS",
  "PWD",
]);
/** Parts of words that name a secret. */
const SECRET_PARTS = ["PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL"];
/** Words ending in PASS that are not a password (PGPASS, DBPASS and REQUIREPASS are). */
const NOT_PASS = ["BYPASS", "COMPASS", "SURPASS", "TRESPASS", "OVERPASS", "UNDERPASS"];
/**
 * A last word that says the value is about a secret rather than the secret itself: where it is
 * (POSTGRES_PASSWORD_FILE), what it is called (SECRET_NAME), how long it lives (JWT_TOKEN_TTL),
 * how it is used (AUTH_METHOD), or where a service is (TOKEN_URL: checked by its value instead).
 */
const NON_SECRET_LAST_WORDS = new Set([
  "FILE",
  "PATH",
  "DIR",
  "NAME",
  "REF",
  "ID",
  "TTL",
  "TIMEOUT",
  "EXPIRY",
  "EXPIRES",
  "EXPIRATION",
  "LIFETIME",
  "DURATION",
  "INTERVAL",
  "AGE",
  "LENGTH",
  "LEN",
  "SIZE",
  "BITS",
  "COUNT",
  "ENABLED",
  "ENABLE",
  "DISABLED",
  "DISABLE",
  "REQUIRED",
  "METHOD",
  "MODE",
  "TYPE",
  "ALGORITHM",
  "HEADER",
  "ISSUER",
  "AUDIENCE",
  "URL",
  "URI",
  "HOST",
  "PORT",
]);
/** The same, glued to the word before it: PGPASSFILE, KEYFILE, SECRETSDIR. */
const GLUED_REFERENCE_SUFFIXES = ["FILE", "PATH", "DIR"];

function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((w) => w !== "");
}

function isSecretWord(w: string): boolean {
  if (SECRET_WORDS.has(w) || SECRET_PARTS.some((p) => w.includes(p))) return true;
  return w.endsWith("PASS") && !NOT_PASS.some((p) => w.endsWith(p));
}

/** AUTH names a secret as the last word (REDISCLI_AUTH, MASTERAUTH), not in AUTH_METHOD or OAUTH. */
function isSecretLastWord(w: string): boolean {
  return (w.endsWith("AUTH") && !w.endsWith("OAUTH")) || w === "AUTHORIZATION";
}

/**
 * True if an env var name looks like it holds a secret (REDIS_PASSWORD, API_TOKEN, REDISCLI_AUTH,
 * PGPASS, ...), and not like something about one (POSTGRES_PASSWORD_FILE, JWT_TOKEN_TTL, ...).
 */
export function looksSecret(name: string): boolean {
  const words = wordsOf(name);
  if (words.length === 0) return false;
  const last = words[words.length - 1];
  if (NON_SECRET_LAST_WORDS.has(last)) return false;
  if (GLUED_REFERENCE_SUFFIXES.some((s) => last.length > s.length && last.endsWith(s))) {
    return false;
  }
  return isSecretLastWord(last) || words.some(isSecretWord);
}

/** Only Kubernetes references to other env vars (`$(REDIS_PASSWORD)`): no secret in the spec. */
const ONLY_ENV_REFERENCES = /^(?:\$\([A-Za-z_][A-Za-z0-9_.-]*\))+$/;

/** True for a value that puts something in the spec: not unset, empty, or only `$(VAR)` references. */
function isLiteral(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return false;
  return !(typeof value === "string" && ONLY_ENV_REFERENCES.test(value));
}

/** `scheme://user:password@` or `scheme://:password@` (Redis). */
const URL_USERINFO_PASSWORD = /:\/\/[^/?#@\s:]*:([^/?#@\s]+)@/g;
/** `?password=...` or `&token=...` (JDBC and many drivers take the password as a parameter). */
const URL_QUERY_CREDENTIAL =
  /[?&;](password|passwd|pwd|sslpassword|secret|token|access_token|apikey|api_key)=([^&;#\s]+)/gi;

/**
 * Where a value holds a literal credential in a URL, described without the credential itself; or
 * undefined. A credential that is only a `$(VAR)` reference is not literal.
 */
export function urlCredential(value: string): string | undefined {
  for (const m of value.matchAll(URL_USERINFO_PASSWORD)) {
    if (isLiteral(m[1])) return "a URL with a literal password (scheme://user:password@host)";
  }
  for (const m of value.matchAll(URL_QUERY_CREDENTIAL)) {
    if (isLiteral(m[2])) {
      return `a URL with a literal credential in its query parameter ${JSON.stringify(m[1])}`;
    }
  }
  return undefined;
}

const FIX =
  "read it from a Secret with valueFrom.secretKeyRef (a literal is stored in the StatefulSet in clear)";
const URL_FIX =
  "read the password into another env var with valueFrom.secretKeyRef and write it as $(VAR) in the URL, or read the whole URL from a Secret (a literal is stored in the StatefulSet in clear)";

export const noSecretLiteralEnv = {
  name: "statefulset-no-secret-literal-env" as const,
  description:
    "Env vars of a StatefulSet's containers whose names look secret (PASSWORD, SECRET, TOKEN, KEY, AUTH, ...) must come from valueFrom.secretKeyRef, never a literal value (which is stored in the StatefulSet in clear), and no env value may be a URL with a literal password; allowNames lists exceptions.",
  level: "mandatory",
  scope: "resource",
  config: {
    allowNames: {
      type: "array",
      description: "Env var names that look secret but are not.",
      items: { type: "string" },
    },
  },
  check(sts, ctx) {
    const allow = new Set(
      Array.isArray(ctx.config.allowNames)
        ? ctx.config.allowNames.filter((n): n is string => typeof n === "string")
        : [],
    );
    const out: Finding[] = [];
    for (const c of containersOf(sts, { init: true })) {
      for (const env of c.field.at("env").items()) {
        guarded(out, () => {
          const name = env.at("name").str();
          if (!name || allow.has(name)) return;
          // Only where a literal is is reported: the value itself is never echoed.
          if (looksSecret(name)) {
            if (!isLiteral(env.at("value").value())) return;
            out.push(violation(`${c.label} env ${name} is set as a literal value: ${FIX}`));
            return;
          }
          // Any other env var is refused only for a known URL with a password: an unknown value is
          // no evidence of one, and is checked with the known value in `pulumi up`.
          let value: unknown;
          try {
            value = env.at("value").value();
          } catch (e) {
            if (e instanceof UnknownValueError) return;
            throw e;
          }
          const where = typeof value === "string" ? urlCredential(value) : undefined;
          if (where === undefined) return;
          out.push(violation(`${c.label} env ${name} is ${where}: ${URL_FIX}`));
        });
      }
    }
    return out;
  },
} satisfies Rule<NoSecretLiteralEnvConfig>;
