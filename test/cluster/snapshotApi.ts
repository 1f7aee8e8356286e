// The VolumeSnapshot API on a test cluster: the CSI external-snapshotter's own CRDs, as its Go
// module publishes them (config/crd in the module zip), fetched through the Go module proxy with
// `go mod download` and applied with server-side apply. Only the API: no snapshot controller and no
// CSI driver come with them, so a VolumeSnapshot is accepted and stays unready. The CRDs are
// cluster-scoped and shared by every suite: once installed they stay.
import { spawnSync } from "child_process";
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import * as YAML from "yaml";
import { Kube, KubeObject, waitFor } from "./kube";

/** The module that ships the CRDs, and the version the suite installs (SNAPSHOTTER_VERSION). */
export const SNAPSHOTTER_MODULE = "github.com/kubernetes-csi/external-snapshotter/client/v8";
export const SNAPSHOTTER_VERSION = process.env.SNAPSHOTTER_VERSION ?? "v8.7.0";
/** The CRD files of snapshot.storage.k8s.io under the module's config/crd. */
const CRD_FILES = [
  "snapshot.storage.k8s.io_volumesnapshotclasses.yaml",
  "snapshot.storage.k8s.io_volumesnapshotcontents.yaml",
  "snapshot.storage.k8s.io_volumesnapshots.yaml",
];
const KINDS = ["VolumeSnapshotClass", "VolumeSnapshotContent", "VolumeSnapshot"];

/** True when an object of the stack is in the snapshot API group (the suite then needs the CRDs). */
export function isSnapshotObject(o: { apiVersion: string }): boolean {
  return o.apiVersion.startsWith("snapshot.storage.k8s.io/");
}

/** The kinds of snapshot.storage.k8s.io/v1 the cluster serves. */
async function servedKinds(kube: Kube): Promise<string[]> {
  try {
    const { object } = await kube.request<{ resources: { kind: string; name: string }[] }>(
      "GET",
      "/apis/snapshot.storage.k8s.io/v1",
    );
    return object.resources.filter((r) => !r.name.includes("/")).map((r) => r.kind);
  } catch {
    return [];
  }
}

/** The `go` binary: on the PATH, or where .ci/run and the Go tarball put it. */
function goBinary(): string | undefined {
  const onPath = spawnSync("sh", ["-c", "command -v go"], { encoding: "utf8" });
  if (onPath.status === 0) return onPath.stdout.trim();
  return existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : undefined;
}

/** The module's directory in the Go module cache, downloading it through the module proxy. */
export function snapshotterModuleDir(version = SNAPSHOTTER_VERSION): string {
  const go = goBinary();
  if (!go) {
    throw new Error(
      `no go on the PATH: it fetches the VolumeSnapshot CRDs from ${SNAPSHOTTER_MODULE}; install Go (or put /usr/local/go/bin on the PATH)`,
    );
  }
  const r = spawnSync(go, ["mod", "download", "-json", `${SNAPSHOTTER_MODULE}@${version}`], {
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "-mod=mod" },
    timeout: 300_000,
  });
  const info = (() => {
    try {
      return JSON.parse(r.stdout) as { Dir?: string; Error?: string };
    } catch {
      return {};
    }
  })();
  if (r.status !== 0 || !info.Dir) {
    throw new Error(
      `go mod download ${SNAPSHOTTER_MODULE}@${version} failed: ${info.Error ?? r.stderr ?? r.error}`,
    );
  }
  return info.Dir;
}

/** The CRDs, as the module ships them. */
export function snapshotCrds(dir: string): KubeObject[] {
  return CRD_FILES.flatMap((file) =>
    YAML.parseAllDocuments(readFileSync(join(dir, "config", "crd", file), "utf8"))
      .map((d) => d.toJSON() as KubeObject | null)
      .filter((o): o is KubeObject => !!o && o.kind === "CustomResourceDefinition"),
  );
}

/**
 * Makes sure the cluster serves VolumeSnapshotClass, VolumeSnapshotContent and VolumeSnapshot in
 * snapshot.storage.k8s.io/v1: installs the upstream CRDs when it does not. Returns what it did.
 */
export async function ensureSnapshotCrds(kube: Kube): Promise<string> {
  const served = await servedKinds(kube);
  if (KINDS.every((k) => served.includes(k))) return "the cluster already serves them";
  const dir = snapshotterModuleDir();
  const crds = snapshotCrds(dir);
  if (crds.length !== CRD_FILES.length) {
    throw new Error(`${dir}/config/crd: expected ${CRD_FILES.length} CRDs, found ${crds.length}`);
  }
  for (const crd of crds) await kube.apply(crd);
  await waitFor(
    "the VolumeSnapshot CRDs to be established and served",
    async () => {
      const kinds = await servedKinds(kube);
      return KINDS.every((k) => kinds.includes(k)) ? true : undefined;
    },
    60_000,
  );
  return `installed from ${SNAPSHOTTER_MODULE}@${SNAPSHOTTER_VERSION}`;
}
