// The rule catalogue: every rule of the pack, in the order they are reported. Adding a rule is one
// file in this folder and one entry in RULES; the rule names (RuleName) follow from the list.
import type { AnyRule } from "../rule";
import { adoptedClaimsMatch } from "./adoptedClaimsMatch";
import { apiVersion } from "./apiVersion";
import { certificateCoversPods } from "./certificateCoversPods";
import { claimTemplatesMounted } from "./claimTemplatesMounted";
import { headlessService } from "./headlessService";
import { imagePinned } from "./imagePinned";
import { livenessProbe } from "./livenessProbe";
import { metricsIngress } from "./metricsIngress";
import { nameLength } from "./nameLength";
import { networkPolicy } from "./networkPolicy";
import { noSecretLiteralEnv } from "./noSecretLiteralEnv";
import { podDisruptionBudget } from "./podDisruptionBudget";
import { podSpread } from "./podSpread";
import { probesDistinct } from "./probesDistinct";
import { pvcRetentionPolicy } from "./pvcRetentionPolicy";
import { readinessProbe } from "./readinessProbe";
import { replaceKeepsClaims, replaceOrphansPods } from "./replacement";
import { resources } from "./resources";
import { restoreCoversReplicas } from "./restoreCoversReplicas";
import { securityContext } from "./securityContext";
import { selectorMatchesLabels } from "./selectorMatchesLabels";
import { serviceMonitor } from "./serviceMonitor";
import { spreadSatisfiable } from "./spreadSatisfiable";
import { snapshotClass } from "./snapshotClass";
import { storageClass } from "./storageClass";
import { updatePartition } from "./updatePartition";
import { zoneQuorum } from "./zoneQuorum";
import { zoneSpread } from "./zoneSpread";

export const RULES = [
  apiVersion,
  headlessService,
  readinessProbe,
  probesDistinct,
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
  restoreCoversReplicas,
  adoptedClaimsMatch,
  snapshotClass,
  networkPolicy,
  serviceMonitor,
  metricsIngress,
  certificateCoversPods,
  noSecretLiteralEnv,
  podSpread,
  zoneSpread,
  spreadSatisfiable,
  zoneQuorum,
  livenessProbe,
  replaceOrphansPods,
  replaceKeepsClaims,
] as const satisfies readonly AnyRule[];

/** The name of every rule of the pack, e.g. "statefulset-headless-service". */
export type RuleName = (typeof RULES)[number]["name"];
