// What the program renders for a stack, as plain manifests a cluster accepts: the real program runs
// under Pulumi mocks (harness/), and each Kubernetes resource it registers becomes one manifest,
// with apiVersion and kind taken from the resource's type token.
import { kubernetesObjects, runProgram } from "../../harness/program";
import { configOfStackFile, stackFile } from "../../harness/stacks";
import { KubeObject } from "./kube";

/** A value Pulumi could not know at preview time: it must never reach a cluster. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface ClaimTemplate {
  metadata: { name: string };
  spec: {
    storageClassName?: string;
    accessModes?: string[];
    resources: { requests: { storage: string } };
  };
}

export interface RetentionPolicy {
  whenDeleted?: "Retain" | "Delete";
  whenScaled?: "Retain" | "Delete";
}

export interface StatefulSetManifest extends KubeObject {
  spec: {
    replicas?: number;
    serviceName: string;
    podManagementPolicy?: "OrderedReady" | "Parallel";
    minReadySeconds?: number;
    persistentVolumeClaimRetentionPolicy?: RetentionPolicy;
    selector: { matchLabels?: Record<string, string> };
    template: { metadata: { labels?: Record<string, string> }; spec: Record<string, unknown> };
    volumeClaimTemplates?: ClaimTemplate[];
    updateStrategy?: { rollingUpdate?: { partition?: number } };
  };
}

export interface RenderedStack {
  stack: string;
  /** Every object the stack creates, in the order the program registered them. */
  objects: KubeObject[];
  /**
   * Objects that depend on a StatefulSet (`dependsOn`), applied once it is ready, as `pulumi up`
   * does: e.g. patches (`PersistentVolumeClaimPatch`) of the claims the StatefulSet made.
   */
  afterRollout: KubeObject[];
  /** The namespaces the stack creates (its Namespace objects). */
  namespaces: string[];
  statefulSets: StatefulSetManifest[];
}

/**
 * `kubernetes:apps/v1:StatefulSet` -> apps/v1, StatefulSet; `kubernetes:core/v1:X` -> v1, X.
 * A patch type (`PersistentVolumeClaimPatch`) names the kind it patches.
 */
export function apiVersionKind(type: string): { apiVersion: string; kind: string; patch: boolean } {
  const m = /^kubernetes:([^:]+):([^:]+)$/.exec(type);
  if (!m) throw new Error(`not a Kubernetes resource type: ${type}`);
  const [group, version] = m[1].split("/");
  const patch = m[2].endsWith("Patch");
  const kind = patch ? m[2].slice(0, -"Patch".length) : m[2];
  return { apiVersion: group === "core" ? version : `${group}/${version}`, kind, patch };
}

function findUnknown(value: unknown, at: string): string | undefined {
  if (value === UNKNOWN) return at;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = findUnknown(v, `${at}[${i}]`);
      if (found) return found;
    }
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const found = findUnknown(v, `${at}.${k}`);
      if (found) return found;
    }
  }
  return undefined;
}

/** Runs the program with the stack's file and returns its Kubernetes objects as manifests. */
export async function renderStack(stack: string): Promise<RenderedStack> {
  return renderConfig(configOfStackFile(stackFile(stack)), stack);
}

/**
 * Runs the program with `config` (keys like `stateful:namespaces`, as configOfStackFile or
 * flattenConfig give them) as stack `stack`, and returns its Kubernetes objects as manifests.
 */
export async function renderConfig(
  config: Record<string, string>,
  stack: string,
): Promise<RenderedStack> {
  const resources = await runProgram(config, { stack, preview: false });
  const workloads = new Set(
    resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet").map((r) => r.urn),
  );
  const all = kubernetesObjects(resources).map((r) => {
    const { apiVersion, kind } = apiVersionKind(r.type);
    const unknown = findUnknown(r.inputs, r.name);
    if (unknown) throw new Error(`stack ${stack}: ${r.type} has an unknown value at ${unknown}`);
    const manifest = { ...structuredClone(r.inputs), apiVersion, kind } as KubeObject;
    if (!manifest.metadata?.name) {
      throw new Error(`stack ${stack}: ${r.type} ${r.name} has no metadata.name`);
    }
    return { manifest, later: r.options.dependsOn.some((u) => workloads.has(u)) };
  });
  const objects = all.filter((o) => !o.later).map((o) => o.manifest);
  return {
    stack,
    objects,
    afterRollout: all.filter((o) => o.later).map((o) => o.manifest),
    // Namespace or NamespacePatch: either way the stack makes sure the namespace exists.
    namespaces: objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name),
    statefulSets: objects.filter((o): o is StatefulSetManifest => o.kind === "StatefulSet"),
  };
}

/**
 * `CLUSTER_STORAGE_CLASS_MAP=fast-ssd=standard,other=x`: the cluster's class for each class a stack
 * names, for clusters that lack a stack's class under that name.
 */
export function storageClassMap(
  spec = process.env.CLUSTER_STORAGE_CLASS_MAP ?? "",
): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [from, to] = pair.split("=").map((s) => s.trim());
    if (!from || !to)
      throw new Error(`CLUSTER_STORAGE_CLASS_MAP: '${pair}' is not <class>=<class>`);
    map.set(from, to);
  }
  return map;
}

/** Applies the class map to every claim template, in place. */
export function mapStorageClasses(stack: RenderedStack, map: Map<string, string>): void {
  for (const sts of stack.statefulSets) {
    for (const t of sts.spec.volumeClaimTemplates ?? []) {
      const cls = t.spec.storageClassName;
      if (cls && map.has(cls)) t.spec.storageClassName = map.get(cls);
    }
  }
}

/** The claims a StatefulSet's controller makes: `<template>-<name>-<i>` for each ordinal. */
export function claimNames(sts: StatefulSetManifest, replicas = sts.spec.replicas ?? 1): string[] {
  const names: string[] = [];
  for (const t of sts.spec.volumeClaimTemplates ?? []) {
    for (let i = 0; i < replicas; i++) names.push(`${t.metadata.name}-${sts.metadata.name}-${i}`);
  }
  return names;
}

/** A label selector string from matchLabels. */
export function selectorOf(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
