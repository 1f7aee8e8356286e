// The Prometheus Operator's ServiceMonitor API on a test cluster: the operator's own CRD, as its Go
// module publishes it (example/prometheus-operator-crd in the module zip), installed by crds.ts.
// Only the API: no operator and no Prometheus come with it, so a ServiceMonitor is stored and
// validated, and nothing scrapes.
import { join } from "path";
import { crdsOfFile, ensureCrds, goModuleDir } from "./crds";
import { Kube, KubeObject } from "./kube";

/** The module that ships the CRD, and the version the suite installs (PROMETHEUS_OPERATOR_VERSION). */
export const OPERATOR_MODULE = "github.com/prometheus-operator/prometheus-operator";
export const OPERATOR_VERSION = process.env.PROMETHEUS_OPERATOR_VERSION ?? "v0.85.0";
const CRD_FILE = "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml";

/** True when an object of a stack is in the Prometheus Operator's API group. */
export function isMonitoringObject(o: { apiVersion: string }): boolean {
  return o.apiVersion.startsWith("monitoring.coreos.com/");
}

/** The module's directory in the Go module cache, downloading it through the module proxy. */
export function operatorModuleDir(version = OPERATOR_VERSION): string {
  return goModuleDir(OPERATOR_MODULE, version, "the ServiceMonitor CRD");
}

/** The ServiceMonitor CRD, as the module ships it. */
export function serviceMonitorCrd(dir: string): KubeObject {
  const docs = crdsOfFile(join(dir, CRD_FILE));
  if (docs.length !== 1 || docs[0].metadata.name !== "servicemonitors.monitoring.coreos.com") {
    throw new Error(
      `${join(dir, CRD_FILE)}: expected the servicemonitors CRD, found ${docs.length}`,
    );
  }
  return docs[0];
}

/**
 * Makes sure the cluster serves ServiceMonitor in monitoring.coreos.com/v1: installs the upstream
 * CRD when it does not. Returns what it did.
 */
export async function ensureServiceMonitorCrd(kube: Kube): Promise<string> {
  return ensureCrds(kube, {
    groupVersion: "monitoring.coreos.com/v1",
    kinds: ["ServiceMonitor"],
    source: `${OPERATOR_MODULE}@${OPERATOR_VERSION}`,
    load: () => [serviceMonitorCrd(operatorModuleDir())],
  });
}
