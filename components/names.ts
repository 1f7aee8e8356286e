// Pure naming helpers: labels, object names, per-pod DNS names and the Kubernetes name limits they
// must respect. Nothing here touches Pulumi, so config validation and policies can share it.

/**
 * The longest StatefulSet name that keeps every derived name valid: the controller adds the label
 * `controller-revision-hash: <name>-<10 char hash>`, and label values are limited to 63 characters.
 */
export const MAX_STATEFULSET_NAME = 52;

/** RFC 1035 label: what a Service name must be (and so a workload name, which names both). */
export const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** RFC 1123 label: what a namespace name must be. */
export const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * DNS-1123 subdomain: RFC 1123 labels joined by '.', such as a DNS domain, a VolumeSnapshot's or a
 * StorageClass's name (each caller bounds the length).
 */
export const DNS_1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kubernetes' default cluster DNS domain. */
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

/** The label set every object of a workload carries. */
export interface WorkloadLabels {
  "app.kubernetes.io/name": string;
  "app.kubernetes.io/instance": string;
  "app.kubernetes.io/component": string;
  "app.kubernetes.io/managed-by": string;
}

/** Labels for every object of a workload: `app` is the software (nginx), `name` the instance. */
export function workloadLabels(app: string, name: string, component: string): WorkloadLabels {
  return {
    "app.kubernetes.io/name": app,
    "app.kubernetes.io/instance": name,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/**
 * The subset of the labels that selects the pods. It names only what never changes for the life of
 * the workload, because a StatefulSet's selector is immutable.
 */
export function selectorLabels(labels: WorkloadLabels): Record<string, string> {
  return {
    "app.kubernetes.io/name": labels["app.kubernetes.io/name"],
    "app.kubernetes.io/instance": labels["app.kubernetes.io/instance"],
  };
}

/** The Kubernetes object names of a workload, all derived from its one name. */
export function objectNames(name: string) {
  return {
    statefulSet: name,
    service: name,
    podDisruptionBudget: name,
    networkPolicy: name,
    configMap: `${name}-config`,
    secret: `${name}-auth`,
    /** The write Service of a workload with a primary: it selects the primary. */
    writeService: `${name}-rw`,
    /** The read Service of a workload with a primary: it selects the replicas. */
    readService: `${name}-ro`,
    /** The pod agent's identity, and its Role and RoleBinding. */
    serviceAccount: name,
    agentRole: `${name}-agent`,
  };
}

/** `<svc>.<ns>.svc.<domain>`: the headless Service's DNS name. */
export function serviceDnsName(
  service: string,
  namespace: string,
  clusterDomain = DEFAULT_CLUSTER_DOMAIN,
): string {
  return `${service}.${namespace}.svc.${clusterDomain}`;
}

/** `<sts>-<i>`: the name the StatefulSet controller gives pod i. */
export function podName(statefulSet: string, ordinal: number): string {
  return `${statefulSet}-${ordinal}`;
}

/** `<sts>-<i>.<svc>.<ns>.svc.<domain>` for ordinals 0..replicas-1: each pod's stable DNS name. */
export function podDnsNames(
  statefulSet: string,
  service: string,
  namespace: string,
  replicas: number,
  clusterDomain = DEFAULT_CLUSTER_DOMAIN,
): string[] {
  const svc = serviceDnsName(service, namespace, clusterDomain);
  return Array.from({ length: replicas }, (_, i) => `${podName(statefulSet, i)}.${svc}`);
}

/** `<template>-<sts>-<i>`: the claim the StatefulSet controller creates for pod i. */
export function claimName(template: string, statefulSet: string, ordinal: number): string {
  return `${template}-${podName(statefulSet, ordinal)}`;
}
