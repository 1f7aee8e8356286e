// The policy config format, shared by `pulumi preview --policy-pack-config FILE` and
// `stateful-policy check --config FILE`:
//
//   { "all": "advisory",
//     "<policy-name>": "disabled",
//     "<policy-name>": { "enforcementLevel": "mandatory", "<property>": <value>, ... } }
//
// The Pulumi engine reconciles it with each policy's default level and schema defaults, then
// validates the properties against the policy's configSchema. The manifest checker does the same
// here, so a config file means the same thing in both places.
import type { AnyRule, JsonSchema } from "./rule";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = [
  "advisory",
  "mandatory",
  "remediate",
  "disabled",
];

/** One policy's config after reconciliation: its level and its properties. */
export interface ResolvedPolicyConfig {
  enforcementLevel: EnforcementLevel;
  properties: Record<string, unknown>;
}

/** The `exempt` property every policy accepts. */
export const EXEMPT_SCHEMA: JsonSchema = {
  type: "array",
  description:
    "StatefulSets exempt from this policy, each with the reason; their violations are reported as advisory notes naming the reason.",
  items: {
    type: "object",
    properties: {
      namespace: { type: "string", description: "Defaults to `default`." },
      name: { type: "string", minLength: 1 },
      reason: { type: "string", minLength: 1 },
    },
    required: ["name", "reason"],
    additionalProperties: false,
  },
};

/** The configSchema a rule's policy declares: its own properties plus `exempt`. */
export function configSchemaOf(rule: Pick<AnyRule, "config">): {
  properties: Record<string, JsonSchema>;
} {
  return { properties: { ...rule.config, exempt: EXEMPT_SCHEMA } };
}

function isLevel(v: unknown): v is EnforcementLevel {
  return typeof v === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(v);
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Validates a value against the JSON Schema subset the rules use; returns readable errors. */
export function validateSchema(schema: JsonSchema, value: unknown, path: string): string[] {
  const errors: string[] = [];
  const actual = typeOf(value);
  if (schema.type) {
    const ok = actual === schema.type || (schema.type === "number" && actual === "integer");
    if (!ok)
      return [
        `${path} must be ${schema.type === "array" ? "an" : "a"} ${schema.type}, got ${actual}`,
      ];
  }
  if (schema.enum && !schema.enum.includes(value as string | number | boolean)) {
    errors.push(`${path} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  }
  if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) {
    errors.push(`${path} must be at least ${schema.minimum}`);
  }
  if (
    typeof value === "string" &&
    schema.minLength !== undefined &&
    value.length < schema.minLength
  ) {
    errors.push(schema.minLength === 1 ? `${path} must not be empty` : `${path} is too short`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((v, i) =>
      errors.push(...validateSchema(schema.items as JsonSchema, v, `${path}[${i}]`)),
    );
  }
  if (actual === "object") {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (obj[key] === undefined) errors.push(`${path}.${key} is required`);
    }
    for (const [key, v] of Object.entries(obj)) {
      const prop = schema.properties?.[key];
      if (prop) errors.push(...validateSchema(prop, v, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}.${key} is not allowed`);
    }
  }
  return errors;
}

/** The config as given: per policy an optional level and optional properties. */
export type PolicyPackConfig = Record<
  string,
  { enforcementLevel?: EnforcementLevel; properties: Record<string, unknown> }
>;

/** Parses the config file format; errors name the key, as the Pulumi CLI's do. */
export function parsePolicyPackConfig(raw: unknown): {
  config: PolicyPackConfig;
  errors: string[];
} {
  const config: PolicyPackConfig = {};
  const errors: string[] = [];
  if (raw === undefined || raw === null) return { config, errors };
  if (typeof raw !== "object" || Array.isArray(raw)) {
    return { config, errors: ["the policy config must be an object keyed by policy name"] };
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value === "string") {
      if (!isLevel(value)) {
        errors.push(
          `${key}: ${JSON.stringify(value)} is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`,
        );
      } else {
        config[key] = { enforcementLevel: value, properties: {} };
      }
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const { enforcementLevel, ...properties } = value as Record<string, unknown>;
      if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
        errors.push(
          `${key}.enforcementLevel: ${JSON.stringify(enforcementLevel)} is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`,
        );
        continue;
      }
      config[key] = { enforcementLevel, properties };
    } else {
      errors.push(`${key}: must be an enforcement level or an object`);
    }
  }
  return { config, errors };
}

/**
 * Reconciles config with the rules as the Pulumi engine does: schema defaults and each rule's own
 * level first, then `all`, then the policy's own entry; properties are validated against the schema.
 */
export function reconcileConfig(
  rules: readonly Pick<AnyRule, "name" | "level" | "config">[],
  config: PolicyPackConfig,
): { resolved: Record<string, ResolvedPolicyConfig>; errors: string[]; warnings: string[] } {
  const resolved: Record<string, ResolvedPolicyConfig> = {};
  const errors: string[] = [];
  const warnings: string[] = [];
  const names = new Set(rules.map((r) => r.name));
  for (const key of Object.keys(config)) {
    if (key !== "all" && !names.has(key)) warnings.push(`${key}: no policy of this name; ignored`);
  }
  const all = config.all?.enforcementLevel;
  for (const rule of rules) {
    const schema = configSchemaOf(rule);
    const properties: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(schema.properties)) {
      if (s.default !== undefined) properties[k] = s.default;
    }
    const given = config[rule.name];
    Object.assign(properties, given?.properties ?? {});
    for (const key of Object.keys(given?.properties ?? {})) {
      if (!(key in schema.properties))
        warnings.push(`${rule.name}.${key}: not a property of this policy; ignored`);
    }
    errors.push(
      ...validateSchema({ type: "object", properties: schema.properties }, properties, rule.name),
    );
    resolved[rule.name] = {
      enforcementLevel: given?.enforcementLevel ?? all ?? rule.level,
      properties,
    };
  }
  return { resolved, errors, warnings };
}
