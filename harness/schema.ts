// Validates rendered Kubernetes objects against the Kubernetes OpenAPI schema (kubernetes-models).

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: Record<string, unknown>) => Validatable;

/** The kubernetes-models class for an object's apiVersion and kind, or a throw naming them. */
export function modelFor(apiVersion: string, kind: string): ModelClass {
  let group: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    group = require(CRD_MODELS[apiVersion] ?? `kubernetes-models/${apiVersion}`);
  } catch {
    throw new Error(`no schema for apiVersion ${apiVersion}`);
  }
  const model = group[kind];
  if (typeof model !== "function") throw new Error(`no schema for ${apiVersion} ${kind}`);
  return model as ModelClass;
}

/**
 * Custom resources whose models kubernetes-models publishes in a package of their own, generated
 * from the upstream project's CRDs.
 */
const CRD_MODELS: Record<string, string> = {
  "cert-manager.io/v1": "@kubernetes-models/cert-manager/cert-manager.io/v1",
};

/**
 * Custom resources the program makes, whose schema is their CRD's: kubernetes-models has none, so
 * they are not checked here; the cluster suite applies them, with strict field validation, to an
 * API server that serves the upstream CRD (test/cluster/snapshots.test.ts).
 */
export const CHECKED_BY_THE_API_SERVER = new Set([
  "snapshot.storage.k8s.io/v1 VolumeSnapshot",
  // The Prometheus Operator's (test/cluster/metrics.test.ts).
  "monitoring.coreos.com/v1 ServiceMonitor",
]);

/** Throws with the object's kind, name and the schema's complaint when the object is invalid. */
export function validateObject(obj: Record<string, unknown>): void {
  const { apiVersion, kind } = obj as { apiVersion?: string; kind?: string };
  if (!apiVersion || !kind)
    throw new Error(`object has no apiVersion/kind: ${JSON.stringify(obj)}`);
  if (CHECKED_BY_THE_API_SERVER.has(`${apiVersion} ${kind}`)) return;
  const Model = modelFor(apiVersion, kind);
  const name = (obj.metadata as { name?: string } | undefined)?.name;
  try {
    new Model(obj).validate();
  } catch (err) {
    throw new Error(`${kind} ${name}: ${(err as Error).message}`, { cause: err });
  }
}
