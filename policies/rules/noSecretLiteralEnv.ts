// statefulset-no-secret-literal-env: a password set as a literal env `value` is stored in the
// StatefulSet, readable by anyone who can read the StatefulSet, and printed by every diff.
import { guarded, violation } from "./findings";
import { containersOf } from "./objects";
import type { Finding, Rule } from "./types";

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
/** A last word that says the value points at a secret rather than being one. */
const REFERENCE_WORDS = new Set(["FILE", "PATH", "DIR", "NAME", "REF", "ID"]);

/** True if an env var name looks like it holds a secret (REDIS_PASSWORD, API_TOKEN, ...). */
export function looksSecret(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((w) => w !== "");
  if (words.length === 0 || REFERENCE_WORDS.has(words[words.length - 1])) return false;
  return words.some((w) => SECRET_WORDS.has(w) || SECRET_PARTS.some((p) => w.includes(p)));
}

export const noSecretLiteralEnv: Rule<NoSecretLiteralEnvConfig> = {
  name: "statefulset-no-secret-literal-env",
  description:
    "Env vars of a StatefulSet's containers whose names look secret (PASSWORD, SECRET, TOKEN, KEY, ...) must come from valueFrom.secretKeyRef, never a literal value (which is stored in the StatefulSet in clear); allowNames lists exceptions.",
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
          if (!name || allow.has(name) || !looksSecret(name)) return;
          // Only the presence of a literal is reported: the value itself is never echoed.
          const value = env.at("value").value();
          if (value === undefined || value === null || value === "") return;
          out.push(
            violation(
              `${c.label} env ${name} is set as a literal value: read it from a Secret with valueFrom.secretKeyRef (a literal is stored in the StatefulSet in clear)`,
            ),
          );
        });
      }
    }
    return out;
  },
};
