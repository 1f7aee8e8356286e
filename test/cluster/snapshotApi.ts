// The VolumeSnapshot API on a test cluster: the CSI external-snapshotter's own CRDs, as its Go
// module publishes them (config/crd in the module zip), installed by crds.ts. Only the API: no
// snapshot controller and no CSI driver come with them, so a VolumeSnapshot is accepted and stays
// unready.
import { join } from "path";
import { crdsOfFile, ensureCrds, goModuleDir } from "./crds";
import { Kube, KubeObject } from "./kube";

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

/** The module's directory in the Go module cache, downloading it through the module proxy. */
export function snapshotterModuleDir(version = SNAPSHOTTER_VERSION): string {
  return goModuleDir(SNAPSHOTTER_MODULE, version, "the VolumeSnapshot CRDs");
}

/** The CRDs, as the module ships them. */
export function snapshotCrds(dir: string): KubeObject[] {
  const crds = CRD_FILES.flatMap((file) => crdsOfFile(join(dir, "config", "crd", file)));
  if (crds.length !== CRD_FILES.length) {
    throw new Error(`${dir}/config/crd: expected ${CRD_FILES.length} CRDs, found ${crds.length}`);
  }
  return crds;
}

/**
 * Makes sure the cluster serves VolumeSnapshotClass, VolumeSnapshotContent and VolumeSnapshot in
 * snapshot.storage.k8s.io/v1: installs the upstream CRDs when it does not. Returns what it did.
 */
export async function ensureSnapshotCrds(kube: Kube): Promise<string> {
  return ensureCrds(kube, {
    groupVersion: "snapshot.storage.k8s.io/v1",
    kinds: KINDS,
    source: `${SNAPSHOTTER_MODULE}@${SNAPSHOTTER_VERSION}`,
    load: () => snapshotCrds(snapshotterModuleDir()),
  });
}
