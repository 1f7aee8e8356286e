// The rules by name, so tests fail to compile if a rule they name disappears.
import { RULES } from "../../policies/rules";
import type { Rule } from "../../policies/rules/types";

export type RuleName =
  | "statefulset-headless-service"
  | "statefulset-readiness-probe"
  | "statefulset-storage-class"
  | "statefulset-pvc-retention-policy"
  | "statefulset-selector-matches-labels"
  | "statefulset-pod-disruption-budget"
  | "statefulset-resources"
  | "statefulset-image-pinned"
  | "statefulset-security-context"
  | "statefulset-name-length"
  | "statefulset-update-partition"
  | "statefulset-claim-templates-mounted"
  | "statefulset-network-policy"
  | "statefulset-no-secret-literal-env"
  | "statefulset-pod-spread";

export const RULES_BY_NAME = Object.fromEntries(RULES.map((r) => [r.name, r])) as Record<
  RuleName,
  Rule<never>
>;
