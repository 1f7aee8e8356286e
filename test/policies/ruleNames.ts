// The rules by name, so tests fail to compile if a rule they name disappears. The names come from
// the rule list itself (RuleName in policies/rules/index.ts).
import type { AnyRule } from "../../policies/rule";
import { RULES, RuleName } from "../../policies/rules";

export type { RuleName };

export const RULES_BY_NAME = Object.fromEntries(RULES.map((r) => [r.name, r])) as Record<
  RuleName,
  AnyRule
>;
