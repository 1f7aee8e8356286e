// Claims the stack makes for the valid workload of fixtures.ts to adopt by name (restored from
// VolumeSnapshots), and a VolumeSnapshot of one of its claims: the objects of the snapshot and
// restore rules.
import type { KubeObject } from "../../policies/kube/objects";
import { NS } from "./fixtures";

/** Claim data-redis-<i>, made in the stack and restored from VolumeSnapshot redis-nightly-<i>. */
export function restoredClaim(i: number, namespace = NS): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: `data-redis-${i}`, namespace },
    spec: {
      storageClassName: "fast",
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Gi" } },
      dataSource: {
        apiGroup: "snapshot.storage.k8s.io",
        kind: "VolumeSnapshot",
        name: `redis-nightly-${i}`,
      },
    },
  };
}

/** VolumeSnapshot redis-nightly-0 of claim data-redis-0, with a class. */
export function volumeSnapshot(): KubeObject {
  return {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name: "redis-nightly-0", namespace: NS },
    spec: {
      volumeSnapshotClassName: "csi-snapclass",
      source: { persistentVolumeClaimName: "data-redis-0" },
    },
  };
}
