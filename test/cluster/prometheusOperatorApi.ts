// The Prometheus Operator's ServiceMonitor API on a test cluster: the operator's own CRD, as its Go
// module publishes it (example/prometheus-operator-crd in the module zip), fetched through the Go
// module proxy with `go mod download` and applied with server-side apply. Only the API: no operator
// and no Prometheus come with it, so a ServiceMonitor is stored and validated, and nothing scrapes.
// The CRD is cluster-scoped and shared by every suite: once installed it stays.
import { spawnSync } from "child_process";
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import * as YAML from "yaml";
import { Kube, KubeObject, waitFor } from "./kube";

/** The module that ships the CRD, and the version the suite installs (PROMETHEUS_OPERATOR_VERSION). */
export const OPERATOR_MODULE = "github.com/prometheus-operator/prometheus-operator";
export const OPERATOR_VERSION = process.env.PROMETHEUS_OPERATOR_VERSION ?? "v0.85.0";
const CRD_FILE = "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml";
const GROUP_VERSION = "monitoring.coreos.com/v1";

/** True when an object of a stack is in the Prometheus Operator's API group. */
export function isMonitoringObject(o: { apiVersion: string }): boolean {
  return o.apiVersion.startsWith("monitoring.coreos.com/");
}

/** Whether the cluster serves ServiceMonitor in monitoring.coreos.com/v1. */
async function servesServiceMonitor(kube: Kube): Promise<boolean> {
  try {
    const { object } = await kube.request<{ resources: { kind: string; name: string }[] }>(
      "GET",
      `/apis/${GROUP_VERSION}`,
    );
    return object.resources.some((r) => r.kind === "ServiceMonitor" && !r.name.includes("/"));
  } catch {
    return false;
  }
}

/** The `go` binary: on the PATH, or where the Go tarball puts it. */
function goBinary(): string | undefined {
  const onPath = spawnSync("sh", ["-c", "command -v go"], { encoding: "utf8" });
  if (onPath.status === 0) return onPath.stdout.trim();
  return existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : undefined;
}

/** The module's directory in the Go module cache, downloading it through the module proxy. */
export function operatorModuleDir(version = OPERATOR_VERSION): string {
  const go = goBinary();
  if (!go) {
    throw new Error(
      `no go on the PATH: it fetches the ServiceMonitor CRD from ${OPERATOR_MODULE}; install Go (or put /usr/local/go/bin on the PATH)`,
    );
  }
  const r = spawnSync(go, ["mod", "download", "-json", `${OPERATOR_MODULE}@${version}`], {
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "-mod=mod" },
    timeout: 300_000,
  });
  let info: { Dir?: string; Error?: string } = {};
  try {
    info = JSON.parse(r.stdout);
  } catch {
    // not JSON: the message is on stderr
  }
  if (r.status !== 0 || !info.Dir) {
    throw new Error(
      `go mod download ${OPERATOR_MODULE}@${version} failed: ${info.Error ?? r.stderr ?? r.error}`,
    );
  }
  return info.Dir;
}

/** The ServiceMonitor CRD, as the module ships it. */
export function serviceMonitorCrd(dir: string): KubeObject {
  const docs = YAML.parseAllDocuments(readFileSync(join(dir, CRD_FILE), "utf8"))
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => !!o && o.kind === "CustomResourceDefinition");
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
  if (await servesServiceMonitor(kube)) return "the cluster already serves it";
  await kube.apply(serviceMonitorCrd(operatorModuleDir()));
  await waitFor(
    "the ServiceMonitor CRD to be established and served",
    async () => ((await servesServiceMonitor(kube)) ? true : undefined),
    60_000,
  );
  return `installed from ${OPERATOR_MODULE}@${OPERATOR_VERSION}`;
}
