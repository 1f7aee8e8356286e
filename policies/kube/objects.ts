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
}

/** The pod's containers and, with `init`, its init containers first. */
export function containersOf(sts: KubeObject, opts: { init: boolean }): ContainerField[] {
  const spec = podSpec(sts);
  const lists = opts.init
    ? [spec.at("initContainers"), spec.at("containers")]
    : [spec.at("containers")];
  const out: ContainerField[] = [];
  for (const list of lists) {
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
      });
    }
  }
  return out;
}
