// The claims a StatefulSet's pods mount, `<template>-<name>-<ordinal>`, when the stack makes them
// itself for the controller to adopt by name (a restore from VolumeSnapshots), and the
// VolumeSnapshots taken of them.
import { Field } from "./fields";
import { KubeObject, nameOf, replicasOf } from "./objects";

/** A claim template with a name: its field (for messages) and the name. */
export interface ClaimTemplate {
  field: Field;
  name: string;
  /** `spec.volumeClaimTemplates[0] ("data")`: how messages name the template. */
  label: string;
}

/** How messages name a claim template: `spec.volumeClaimTemplates[0] ("data")`, or its path. */
export function templateLabel(field: Field, name: string | undefined): string {
  return name ? `${field.path} (${JSON.stringify(name)})` : field.path;
}

/** The StatefulSet's claim templates that have a name (the others make no claim). */
export function claimTemplates(sts: KubeObject): ClaimTemplate[] {
  const out: ClaimTemplate[] = [];
  for (const field of Field.root(sts).at("spec").at("volumeClaimTemplates").items()) {
    const name = field.at("metadata").at("name").str();
    if (name) out.push({ field, name, label: templateLabel(field, name) });
  }
  return out;
}

/** The ordinals the StatefulSet's pods have: `start` (spec.ordinals.start) up to, not including, `end`. */
export function ordinalRange(sts: KubeObject): { start: number; end: number } {
  const start = Field.root(sts).at("spec").at("ordinals").at("start").num() ?? 0;
  return { start, end: start + replicasOf(sts) };
}

/** The name of the claim of `template` for the pod of `statefulSet` with this ordinal. */
export function claimName(template: string, statefulSet: string, ordinal: number): string {
  return `${template}-${statefulSet}-${ordinal}`;
}

/** The ordinal of `claim` if it is `<template>-<statefulSet>-<ordinal>`, else undefined. */
export function ordinalOf(
  claim: string,
  template: string,
  statefulSet: string,
): number | undefined {
  const prefix = `${template}-${statefulSet}-`;
  if (!claim.startsWith(prefix)) return undefined;
  const rest = claim.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

/** The claims of `objects` that a template of the StatefulSet names, with their ordinals. */
export function templateClaims(
  objects: KubeObject[],
  template: string,
  statefulSet: string,
): { claim: KubeObject; name: string; ordinal: number }[] {
  const out: { claim: KubeObject; name: string; ordinal: number }[] = [];
  for (const claim of objects) {
    const name = nameOf(claim);
    const ordinal = name === undefined ? undefined : ordinalOf(name, template, statefulSet);
    if (name !== undefined && ordinal !== undefined) out.push({ claim, name, ordinal });
  }
  return out.sort((a, b) => a.ordinal - b.ordinal);
}

/**
 * The VolumeSnapshot a claim is restored from (`spec.dataSourceRef`, else `spec.dataSource`, of
 * kind VolumeSnapshot in snapshot.storage.k8s.io), or undefined. Throws if a value is unknown.
 */
export function restoredFrom(claim: KubeObject): string | undefined {
  const spec = Field.root(claim).at("spec");
  for (const key of ["dataSourceRef", "dataSource"]) {
    const source = spec.at(key);
    if (!source.isSet()) continue;
    const isSnapshot =
      source.at("kind").str() === "VolumeSnapshot" &&
      source.at("apiGroup").str() === "snapshot.storage.k8s.io";
    return isSnapshot ? (source.at("name").str() ?? "") : undefined;
  }
  return undefined;
}

/** The class annotation that predates spec.storageClassName; Kubernetes still reads it first. */
export const BETA_ANNOTATION = "volume.beta.kubernetes.io/storage-class";

/** The class a claim or claim template names in the deprecated annotation, if any. */
export function annotatedClass(claim: Field): string | undefined {
  return claim.at("metadata").at("annotations").at(BETA_ANNOTATION).str();
}

/**
 * The StorageClass of a claim or claim template as Kubernetes reads it (GetPersistentVolumeClaimClass):
 * the deprecated annotation when present, else spec.storageClassName; undefined when neither is set.
 */
export function claimClass(claim: Field): string | undefined {
  return annotatedClass(claim) ?? claim.at("spec").at("storageClassName").str();
}

const UNITS: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A storage quantity (`10Gi`, `500M`, `1e3`) in bytes, or undefined if it is not one. */
export function storageBytes(quantity: unknown): number | undefined {
  if (typeof quantity === "number") return quantity;
  if (typeof quantity !== "string") return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)(?:([eE][0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?)$/.exec(
    quantity,
  );
  if (!m) return undefined;
  const value = Number(m[1]) * (m[2] ? Number(`1${m[2]}`) : 1);
  return value * UNITS[m[3] ?? ""];
}
