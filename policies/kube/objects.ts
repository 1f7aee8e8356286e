// Identity of a Kubernetes object (kind, namespace, name) and the parts of a StatefulSet that most
// rules read: the pod labels, the replica count and the containers.
import { Field, isRecord } from "./fields";
import { isUnknown } from "./unknown";

/** A Kubernetes object as read from a manifest or from Pulumi props: any shape, possibly malformed. */
export type KubeObject = Record<string, unknown>;

/** Where a finding points: the object a rule inspected. A missing namespace is `default`. */
export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

/** Objects without a namespace live in `default`, as kubectl applies them. */
export const DEFAULT_NAMESPACE = "default";

/** Shown in place of a namespace or name that is unknown during preview. */
export const UNKNOWN_PLACEHOLDER = "(unknown)";

export function kindOf(obj: KubeObject): string {
  return typeof obj.kind === "string" ? obj.kind : "";
}

/** `apiVersion`, or "" if it is not a string. */
export function apiVersionOf(obj: KubeObject): string {
  return typeof obj.apiVersion === "string" ? obj.apiVersion : "";
}

/** The API group: `apps` for `apps/v1`, "" (core) for `v1`. */
export function groupOf(obj: KubeObject): string {
  const v = apiVersionOf(obj);
  const slash = v.indexOf("/");
  return slash < 0 ? "" : v.slice(0, slash);
}

/** The API version without its group: `v1` for `apps/v1`. */
export function versionOf(obj: KubeObject): string {
  const v = apiVersionOf(obj);
  return v.slice(v.indexOf("/") + 1);
}

/** True if the object is of this group and kind (any version): identity is never kind alone. */
export function isKind(obj: KubeObject, group: string, kind: string): boolean {
  return kindOf(obj) === kind && groupOf(obj) === group;
}

/** The kinds the pack reads, by group. Others (Calico, Knative, OpenKruise...) are not these. */
export const KINDS = {
  StatefulSet: { group: "apps", kind: "StatefulSet" },
  Service: { group: "", kind: "Service" },
  PodDisruptionBudget: { group: "policy", kind: "PodDisruptionBudget" },
  NetworkPolicy: { group: "networking.k8s.io", kind: "NetworkPolicy" },
  /** Claims a StatefulSet adopts by name (`<template>-<name>-<ordinal>`), e.g. restored ones. */
  PersistentVolumeClaim: { group: "", kind: "PersistentVolumeClaim" },
  /** The CSI external-snapshotter's VolumeSnapshot, of a claim. */
  VolumeSnapshot: { group: "snapshot.storage.k8s.io", kind: "VolumeSnapshot" },
  /** The Prometheus Operator's: which Services, and which of their ports, Prometheus scrapes. */
  ServiceMonitor: { group: "monitoring.coreos.com", kind: "ServiceMonitor" },
  /** cert-manager's: the Secret it writes (spec.secretName) and the names it is for. */
  Certificate: { group: "cert-manager.io", kind: "Certificate" },
} as const;

/** An apps StatefulSet, of any version: what the rules check. */
export function isStatefulSet(obj: KubeObject): boolean {
  return isKind(obj, "apps", "StatefulSet");
}

/** `kind: StatefulSet` in the core group (`apiVersion: v1`): a typo the API server refuses. */
export function isMistypedStatefulSet(obj: KubeObject): boolean {
  return isKind(obj, "", "StatefulSet");
}

/** An apps StatefulSet or a mistyped one: what the checker keeps, counts and runs rules on. */
export function isStatefulSetOrMistyped(obj: KubeObject): boolean {
  return isStatefulSet(obj) || isMistypedStatefulSet(obj);
}

function metadataString(obj: KubeObject, key: string): string | undefined | null {
  const metadata = obj.metadata;
  if (isUnknown(metadata)) return null;
  if (!isRecord(metadata)) return undefined;
  const v = metadata[key];
  if (isUnknown(v)) return null;
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The namespace (`default` if unset), or undefined if it is unknown during preview. */
export function namespaceOf(obj: KubeObject): string | undefined {
  const ns = metadataString(obj, "namespace");
  if (ns === null) return undefined;
  return ns ?? DEFAULT_NAMESPACE;
}

/** The name, or undefined if it is unset or unknown. */
export function nameOf(obj: KubeObject): string | undefined {
  return metadataString(obj, "name") ?? undefined;
}

/** True if `metadata.name` (or `metadata` itself) is unknown during preview. */
export function nameIsUnknown(obj: KubeObject): boolean {
  return metadataString(obj, "name") === null;
}

export function refOf(obj: KubeObject, fallbackName = UNKNOWN_PLACEHOLDER): ObjectRef {
  return {
    kind: kindOf(obj) || "Object",
    namespace: namespaceOf(obj) ?? UNKNOWN_PLACEHOLDER,
    name: nameOf(obj) ?? fallbackName,
  };
}

/** The StatefulSet's namespace; throws if it is unknown. */
export function statefulSetNamespace(sts: KubeObject): string {
  return Field.root(sts).at("metadata").at("namespace").str() || DEFAULT_NAMESPACE;
}

/** `spec.replicas`, 1 when unset (the Kubernetes default); throws if it is unknown. */
export function replicasOf(sts: KubeObject): number {
  const n = Field.root(sts).at("spec").at("replicas").num();
  return n === undefined ? 1 : n;
}

/** `spec.template.metadata.labels`; throws if any label is unknown. */
export function podLabels(sts: KubeObject): Record<string, string> {
  return Field.root(sts).at("spec").at("template").at("metadata").at("labels").stringMap();
}

export function podSpec(sts: KubeObject): Field {
  return Field.root(sts).at("spec").at("template").at("spec");
}

export interface ContainerField {
  field: Field;
  /** The container's name, or its path if it has none. */
  name: string;
  /** `spec.template.spec.containers[0] ("redis")`: how messages name the container. */
  label: string;
  /** One of `initContainers`. */
  init: boolean;
}

/**
 * An init container with `restartPolicy: Always`: a sidecar, which runs beside the containers for
 * the pod's whole life and whose readiness counts toward the pod's. Throws on an unknown policy.
 */
export function isSidecar(c: ContainerField): boolean {
  if (!c.init) return false;
  const policy = c.field.at("restartPolicy");
  return policy.isSet() && policy.str() === "Always";
}

/** The pod's containers and, with `init`, its init containers first. */
export function containersOf(sts: KubeObject, opts: { init: boolean }): ContainerField[] {
  const spec = podSpec(sts);
  const lists = opts.init
    ? [
        { list: spec.at("initContainers"), init: true },
        { list: spec.at("containers"), init: false },
      ]
    : [{ list: spec.at("containers"), init: false }];
  const out: ContainerField[] = [];
  for (const { list, init } of lists) {
    for (const field of list.items()) {
      let name: string | undefined;
      try {
        name = field.at("name").str();
      } catch {
        name = undefined;
      }
      out.push({
        field,
        name: name ?? field.path,
        label: name !== undefined ? `${field.path} (${JSON.stringify(name)})` : field.path,
        init,
      });
    }
  }
  return out;
}
