// One valid workload (a 3-replica Redis with its headless Service, budget and NetworkPolicy) that
// passes every rule, and helpers to mutate one field of it per test case.
import { RuleName, RULES_BY_NAME } from "./ruleNames";
import { ResolvedPolicyConfig } from "../../policies/config";
import type { KubeObject } from "../../policies/kube/objects";
import { StackIndex } from "../../policies/kube/stackIndex";
import type { Finding } from "../../policies/rule";
import { evaluateRule } from "../../policies/runner";

export const NS = "cache";

export function podLabels(): Record<string, string> {
  return { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "redis" };
}

export function statefulSet(): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: {
      name: "redis",
      namespace: NS,
      annotations: { "pulumi.com/deletionPropagationPolicy": "orphan" },
    },
    spec: {
      serviceName: "redis",
      replicas: 3,
      selector: { matchLabels: podLabels() },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      template: {
        metadata: { labels: { ...podLabels(), "app.kubernetes.io/component": "cache" } },
        spec: {
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 999,
            seccompProfile: { type: "RuntimeDefault" },
          },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    topologyKey: "kubernetes.io/hostname",
                    labelSelector: { matchLabels: podLabels() },
                  },
                },
              ],
            },
          },
          initContainers: [
            {
              name: "init",
              image: "busybox:1.37",
              command: ["true"],
              resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
              },
            },
          ],
          containers: [
            {
              name: "redis",
              image: "redis:7.4.2-alpine",
              ports: [{ name: "redis", containerPort: 6379 }],
              env: [
                {
                  name: "REDIS_PASSWORD",
                  valueFrom: { secretKeyRef: { name: "redis-auth", key: "password" } },
                },
                { name: "REDIS_PORT", value: "6379" },
              ],
              readinessProbe: {
                tcpSocket: { port: "redis" },
                periodSeconds: 5,
                timeoutSeconds: 2,
                failureThreshold: 3,
              },
              livenessProbe: {
                tcpSocket: { port: "redis" },
                periodSeconds: 10,
                failureThreshold: 6,
              },
              resources: {
                requests: { cpu: "100m", memory: "128Mi" },
                limits: { memory: "256Mi" },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [{ name: "data", mountPath: "/data" }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: {
            storageClassName: "fast",
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "1Gi" } },
          },
        },
      ],
    },
  };
}

export function service(): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "redis", namespace: NS },
    spec: {
      clusterIP: "None",
      selector: podLabels(),
      ports: [{ name: "redis", port: 6379, targetPort: "redis" }],
    },
  };
}

export function podDisruptionBudget(): KubeObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: "redis", namespace: NS },
    spec: { maxUnavailable: 1, selector: { matchLabels: podLabels() } },
  };
}

export function networkPolicy(): KubeObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "redis", namespace: NS },
    spec: {
      podSelector: { matchLabels: podLabels() },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: { matchLabels: podLabels() } }] }],
    },
  };
}

/** The whole valid workload, with `sts` in place of the StatefulSet. */
export function stackObjects(sts: KubeObject = statefulSet()): KubeObject[] {
  return [service(), sts, podDisruptionBudget(), networkPolicy()];
}

/** A deep copy of `obj` with the value at `path` replaced (`undefined` removes it). */
export function withField(obj: KubeObject, path: (string | number)[], value: unknown): KubeObject {
  const copy = structuredClone(obj);
  let cursor: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof cursor[key] !== "object" || cursor[key] === null) cursor[key] = {};
    cursor = cursor[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(cursor) && typeof last === "number") cursor.splice(last, 1);
    else delete cursor[last];
  } else {
    cursor[last] = value;
  }
  return copy;
}

/** The StatefulSet with one field changed. */
export function stsWith(path: (string | number)[], value: unknown): KubeObject {
  return withField(statefulSet(), path, value);
}

export interface CheckOptions {
  config?: Record<string, unknown>;
  /** The stack; defaults to the valid workload around `sts`. */
  objects?: KubeObject[];
}

/** Runs one rule as the pack does (unknown guard, exemptions), over the given stack. */
export function check(rule: RuleName, sts: KubeObject, opts: CheckOptions = {}): Finding[] {
  return evaluateRule(
    RULES_BY_NAME[rule],
    sts,
    opts.config ?? {},
    new StackIndex(opts.objects ?? stackObjects(sts)),
  );
}

export function violations(rule: RuleName, sts: KubeObject, opts?: CheckOptions): string[] {
  return check(rule, sts, opts)
    .filter((f) => f.type === "violation")
    .map((f) => f.message);
}

export function notes(rule: RuleName, sts: KubeObject, opts?: CheckOptions): string[] {
  return check(rule, sts, opts)
    .filter((f) => f.type === "note")
    .map((f) => f.message);
}

/** Every rule at its default level with no config, as the CLI and the pack run them. */
export function defaultConfig(): Record<string, ResolvedPolicyConfig> {
  return Object.fromEntries(
    Object.values(RULES_BY_NAME).map((r) => [
      r.name,
      { enforcementLevel: r.level, properties: {} } as ResolvedPolicyConfig,
    ]),
  );
}
