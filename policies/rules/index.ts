// Every rule of the pack, in the order they are reported.
import { claimTemplatesMounted } from "./claimTemplatesMounted";
import { headlessService } from "./headlessService";
import { imagePinned } from "./imagePinned";
import { nameLength } from "./nameLength";
import { networkPolicy } from "./networkPolicy";
import { noSecretLiteralEnv } from "./noSecretLiteralEnv";
import { podDisruptionBudget } from "./podDisruptionBudget";
import { podSpread } from "./podSpread";
import { pvcRetentionPolicy } from "./pvcRetentionPolicy";
import { readinessProbe } from "./readinessProbe";
import { resources } from "./resources";
import { securityContext } from "./securityContext";
import { selectorMatchesLabels } from "./selectorMatchesLabels";
import { storageClass } from "./storageClass";
import type { Rule } from "./types";
import { updatePartition } from "./updatePartition";

export const RULES: readonly Rule<never>[] = [
  headlessService,
  readinessProbe,
  storageClass,
  pvcRetentionPolicy,
  selectorMatchesLabels,
  podDisruptionBudget,
  resources,
  imagePinned,
  securityContext,
  nameLength,
  updatePartition,
  claimTemplatesMounted,
  networkPolicy,
  noSecretLiteralEnv,
  podSpread,
];

export * from "./types";
export { isUnknown, UNKNOWN_SENTINELS, UNKNOWN_STRING, UnknownValueError } from "./unknown";
export { StackIndex } from "./stackIndex";
