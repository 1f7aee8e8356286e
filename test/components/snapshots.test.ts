// Snapshot sets, restores and Velero annotations: the stack config that asks for them (and every
// way to get it wrong), the objects StatefulWorkload builds for them under mocks, the order the
// engine must create them in, and what the guard refuses on day two.
import { strict as assert } from "assert";
import { ConfigError, parseStackConfig } from "../../components/config";
import { guardProblems, GuardState } from "../../components/guard";
import { NODETOOL_ENV } from "../../components/cassandra";
import { POSTGRES_PORT, POSTGRES_RUN_DIR } from "../../components/postgres";
import { PASSWORD_FILE, REDIS_PORT } from "../../components/redis";
import {
  CASSANDRA_QUIESCE_SCRIPT,
  describeRestore,
  POSTGRES_QUIESCE_SCRIPT,
  QUIESCE,
  REDIS_QUIESCE_SCRIPT,
  SNAPSHOT_SET_LABEL,
  snapshotSetsFixed,
} from "../../components/snapshots";
import { deployStack } from "../../components/stack";
import { StatefulWorkload, StatefulWorkloadArgs } from "../../components/statefulWorkload";
import { RecordedResource, registered, setupMocks } from "../../harness/mocks";
import { validateObject } from "../../harness/schema";
import { only, valueOf } from "../support/assertions";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const STS = "kubernetes:apps/v1:StatefulSet";
const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
const CLAIM_PATCH = "kubernetes:core/v1:PersistentVolumeClaimPatch";
const SNAPSHOT = "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshot";
const GUARD = "pulumi-nodejs:dynamic/stateful:WorkloadGuard";
const W0 = "stateful:namespaces[0].workloads[0]";
const W1 = "stateful:namespaces[0].workloads[1]";

/** A stack of one namespace; `clusterFeatures` null leaves the key out. */
function stack(workloads: Obj[], clusterFeatures: Obj | null = { volumeSnapshots: true }): Obj {
  return {
    target: { renderYamlToDirectory: "out" },
    storageClass: "standard",
    ...(clusterFeatures ? { clusterFeatures } : {}),
    namespaces: [{ name: "data", workloads }],
  };
}

/** The problems a config produces, or [] when it is valid. */
function problems(config: Obj): string[] {
  try {
    parseStackConfig(config);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.problems;
  }
}

const db = (extra: Obj = {}) => ({
  kind: "postgres",
  name: "db",
  replicas: 2,
  storage: { size: "10Gi" },
  ...extra,
});
const SET = { name: "before-upgrade", className: "csi-snapclass" };

describe("snapshots and restore: stack config", () => {
  it("accepts snapshot sets, a restore from another workload's set and Velero when the cluster has them", () => {
    const config = parseStackConfig(
      stack(
        [
          db({ snapshots: [SET], velero: {} }),
          db({ name: "db2", restoreFrom: { workload: "db", snapshotSet: "before-upgrade" } }),
        ],
        { volumeSnapshots: true, velero: true },
      ),
    );
    assert.deepEqual(config.workloads[0].snapshots, [SET]);
    assert.deepEqual(config.workloads[1].restoreFrom, {
      workload: "db",
      snapshotSet: "before-upgrade",
    });
  });

  it("refuses snapshots and restoreFrom without clusterFeatures.volumeSnapshots, naming what is missing", () => {
    const missing =
      "needs the cluster's VolumeSnapshot API, which stateful:clusterFeatures.volumeSnapshots does not say it has: install the snapshot.storage.k8s.io/v1 CRDs, the CSI snapshot controller and a CSI driver that snapshots this StorageClass, then set stateful:clusterFeatures.volumeSnapshots: true";
    const workloads = [
      db({ snapshots: [SET] }),
      db({ name: "db2", restoreFrom: { snapshots: ["a", "b"] } }),
    ];
    assert.deepEqual(problems(stack(workloads, null)), [
      `${W0}.snapshots: ${missing}`,
      `${W1}.restoreFrom: ${missing}`,
    ]);
    assert.deepEqual(problems(stack(workloads, { volumeSnapshots: false, velero: true })), [
      `${W0}.snapshots: ${missing}`,
      `${W1}.restoreFrom: ${missing}`,
    ]);
    // An empty list asks for nothing.
    assert.deepEqual(problems(stack([db({ snapshots: [] })], null)), []);
  });

  it("refuses velero without clusterFeatures.velero", () => {
    assert.deepEqual(problems(stack([db({ velero: {} })])), [
      `${W0}.velero: needs Velero in the cluster, which stateful:clusterFeatures.velero does not say it has (without it the annotations back nothing up): install Velero with its node agent, then set stateful:clusterFeatures.velero: true`,
    ]);
  });

  it("refuses malformed snapshot sets, restore sources, Velero options and cluster features", () => {
    const cases: [Obj, string[]][] = [
      [
        db({ snapshots: [{ name: "Nightly", className: "c" }] }),
        [
          `${W0}.snapshots[0].name: got "Nightly"; must be a DNS label: lower-case letters, digits and '-'`,
        ],
      ],
      [
        db({ snapshots: [{ name: "nightly", className: "" }] }),
        [
          `${W0}.snapshots[0].className: got ""; must name a VolumeSnapshotClass (a non-empty string)`,
        ],
      ],
      [
        db({ snapshots: [{ name: "nightly" }] }),
        [
          `${W0}.snapshots[0].className: is missing; it must name a VolumeSnapshotClass (a non-empty string)`,
        ],
      ],
      [
        db({ snapshots: { name: "nightly" } }),
        [
          `${W0}.snapshots: got {"name":"nightly"}; must be a list of snapshot sets, each {name, className}`,
        ],
      ],
      [
        db({ snapshots: [SET, { ...SET, className: "other" }] }),
        [
          `${W0}.snapshots[1].name: got "before-upgrade"; duplicates snapshots[0].name: each set is taken once, under its own name`,
        ],
      ],
      [
        db({ restoreFrom: { snapshotSet: "a", snapshots: ["x", "y"] } }),
        [
          `${W0}.restoreFrom: got {"snapshotSet":"a","snapshots":["x","y"]}; set exactly one of snapshotSet (a set of the snapshots key: VolumeSnapshots <workload>-<set>-<i>) or snapshots (one VolumeSnapshot name per pod, in ordinal order)`,
        ],
      ],
      [
        db({ restoreFrom: {} }),
        [
          `${W0}.restoreFrom: got {}; set exactly one of snapshotSet (a set of the snapshots key: VolumeSnapshots <workload>-<set>-<i>) or snapshots (one VolumeSnapshot name per pod, in ordinal order)`,
        ],
      ],
      [
        db({ restoreFrom: { workload: "db", snapshots: ["x", "y"] } }),
        [
          `${W0}.restoreFrom: got {"workload":"db","snapshots":["x","y"]}; workload goes with snapshotSet, not with snapshots`,
        ],
      ],
      [
        db({ restoreFrom: { snapshots: ["x", "Y_1"] } }),
        [
          `${W0}.restoreFrom.snapshots[1]: got "Y_1"; must be a VolumeSnapshot name: lower-case letters, digits, '-' and '.'`,
        ],
      ],
      [
        db({ restoreFrom: { snapshotSet: "a", from: "db" } }),
        [`${W0}.restoreFrom: unknown key 'from'; check the spelling against Pulumi.yaml`],
      ],
      [
        db({ velero: { fsBackup: "yes" } }),
        [`${W0}.velero.fsBackup: got "yes"; must be true or false`],
      ],
    ];
    for (const [workload, expected] of cases) {
      assert.deepEqual(
        problems(stack([workload], { volumeSnapshots: true, velero: true })),
        expected,
        JSON.stringify(workload),
      );
    }
    assert.deepEqual(problems({ ...stack([db()]), clusterFeatures: { snapshots: true } }), [
      "stateful:clusterFeatures: unknown key 'snapshots'; check the spelling against Pulumi.yaml",
    ]);
  });

  it("refuses a restore whose snapshots do not match the replica count", () => {
    assert.deepEqual(problems(stack([db({ restoreFrom: { snapshots: ["db-a-0"] } })])), [
      `${W0}.restoreFrom.snapshots: got ["db-a-0"]; must list one VolumeSnapshot per pod: 1 for 2 replicas; each pod's claim is restored from its own snapshot, so list 2 or set replicas to 1`,
    ]);
    assert.deepEqual(problems(stack([db({ restoreFrom: { snapshots: ["db-a-0", "db-a-0"] } })])), [
      `${W0}.restoreFrom.snapshots: got ["db-a-0","db-a-0"]; names db-a-0 twice: two pods cannot start from one snapshot's data`,
    ]);
    // The source workload of the stack says how many snapshots its set has, and how large.
    const restored = (extra: Obj) =>
      db({ name: "db2", restoreFrom: { workload: "db", snapshotSet: SET.name }, ...extra });
    assert.deepEqual(problems(stack([db({ snapshots: [SET] }), restored({ replicas: 3 })])), [
      `${W1}.replicas: got 3; must be 2, the number of VolumeSnapshots in set 'before-upgrade' of db (its replicas): each pod's claim is restored from its own snapshot`,
    ]);
    assert.deepEqual(
      problems(stack([db({ snapshots: [SET] }), restored({ storage: { size: "5Gi" } })])),
      [
        `${W1}.storage.size: got "5Gi"; must be at least 10Gi, the size of db's claims that set 'before-upgrade' was taken of: a claim restored from a snapshot cannot be smaller than it`,
      ],
    );
    // The kind's default size counts when the source names none (PostgreSQL: 10Gi).
    assert.deepEqual(
      problems(
        stack([db({ snapshots: [SET], storage: {} }), restored({ storage: { size: "10Gi" } })]),
      ),
      [],
    );
    assert.deepEqual(
      problems(stack([{ kind: "redis", name: "db", snapshots: [SET] }, restored({})])),
      [
        `${W1}.restoreFrom.workload: got "db"; names a redis workload: a postgres workload cannot start from its data`,
      ],
    );
    // A set the source no longer lists, or a source no longer in the stack: nothing to compare.
    assert.deepEqual(problems(stack([db(), restored({ replicas: 3 })])), []);
    assert.deepEqual(problems(stack([restored({ replicas: 3 })])), []);
  });

  it("refuses two sets that would make the same VolumeSnapshot in a namespace", () => {
    assert.deepEqual(
      problems(
        stack([
          { kind: "nginx", name: "web", replicas: 1, snapshots: [{ name: "a-1", className: "c" }] },
          { kind: "nginx", name: "web-a", replicas: 1, snapshots: [{ name: "1", className: "c" }] },
        ]),
      ),
      [
        `${W1}.snapshots[0].name: got "1"; makes VolumeSnapshot web-a-1-0, which workloads[0].snapshots[0] also makes: rename the set`,
      ],
    );
  });

  it("refuses Velero options that annotate nothing", () => {
    const features = { velero: true };
    assert.deepEqual(
      problems(stack([{ kind: "nginx", name: "web", velero: { fsBackup: false } }], features)),
      [
        `${W0}.velero: got {"fsBackup":false}; adds nothing for nginx: fsBackup is off and nginx has no quiesce hook; set fsBackup: true, or remove velero`,
      ],
    );
    assert.deepEqual(problems(stack([{ kind: "nginx", name: "web", velero: {} }], features)), [
      `${W0}.velero: got {}; adds nothing for nginx: fsBackup is off and nginx has no quiesce hook; set fsBackup: true, or remove velero`,
    ]);
    assert.deepEqual(
      problems(stack([{ kind: "redis", name: "cache", velero: { quiesce: false } }], features)),
      [
        `${W0}.velero: got {"quiesce":false}; adds nothing for redis: fsBackup is off and quiesce is false; set fsBackup: true, or remove velero`,
      ],
    );
    assert.deepEqual(problems(stack([db({ velero: {} })], features)), []);
    assert.deepEqual(
      problems(stack([{ kind: "nginx", name: "web", velero: { fsBackup: true } }], features)),
      [],
    );
  });

  it("refuses file system backup of PostgreSQL: a file-by-file copy of a live data directory cannot be recovered", () => {
    assert.deepEqual(problems(stack([db({ velero: { fsBackup: true } })], { velero: true })), [
      `${W0}.velero.fsBackup: got true; must not be true for PostgreSQL: the node agent would copy the data directory file by file while the server writes it, which crash recovery cannot put back together; let Velero snapshot the volume (fsBackup: false, the default), after the CHECKPOINT hook`,
    ]);
  });
});

function args(overrides: Partial<StatefulWorkloadArgs> = {}): StatefulWorkloadArgs {
  return {
    app: "demo",
    component: "database",
    namespace: "data",
    replicas: 3,
    uid: 1000,
    ports: [{ name: "client", port: 5000 }],
    storage: { className: "fast", size: "5Gi", mountPath: "/data", accessModes: ["ReadWriteOnce"] },
    containers: [
      {
        name: "main",
        image: "demo:1.2.3",
        readinessProbe: { tcpSocket: { port: "client" }, periodSeconds: 5 },
      },
    ],
    ...overrides,
  };
}

async function build(overrides: Partial<StatefulWorkloadArgs> = {}) {
  await setupMocks();
  const workload = new StatefulWorkload("db", args(overrides));
  return { workload, resources: await registered() };
}

const claimTemplate = (resources: RecordedResource[]) =>
  (only(resources, STS).inputs.spec as Obj).volumeClaimTemplates[0];

describe("snapshots and restore: objects", () => {
  it("takes one VolumeSnapshot of every pod's claim per set, named <name>-<set>-<i>, with the set's class", async () => {
    const sets = [SET, { name: "nightly", className: "cheap" }];
    const { workload, resources } = await build({ snapshots: sets });
    const snapshots = resources.filter((r) => r.type === SNAPSHOT);
    assert.deepEqual(
      snapshots.map((s) => {
        const o = s.inputs as Obj;
        return [
          o.metadata.name,
          o.metadata.namespace,
          o.spec.volumeSnapshotClassName,
          o.spec.source.persistentVolumeClaimName,
          o.metadata.labels[SNAPSHOT_SET_LABEL],
        ];
      }),
      [
        ["db-before-upgrade-0", "data", "csi-snapclass", "data-db-0", "before-upgrade"],
        ["db-before-upgrade-1", "data", "csi-snapclass", "data-db-1", "before-upgrade"],
        ["db-before-upgrade-2", "data", "csi-snapclass", "data-db-2", "before-upgrade"],
        ["db-nightly-0", "data", "cheap", "data-db-0", "nightly"],
        ["db-nightly-1", "data", "cheap", "data-db-1", "nightly"],
        ["db-nightly-2", "data", "cheap", "data-db-2", "nightly"],
      ],
    );
    for (const s of snapshots) {
      const o = s.inputs as Obj;
      assert.equal(o.apiVersion, "snapshot.storage.k8s.io/v1");
      assert.equal(o.kind, "VolumeSnapshot");
      assert.equal(o.metadata.labels["app.kubernetes.io/instance"], "db");
      assert.equal(s.options.retainOnDelete, true, `${s.name}: a set leaving the config is kept`);
    }
    assert.deepEqual(await valueOf(workload.snapshotSets), {
      "before-upgrade": ["db-before-upgrade-0", "db-before-upgrade-1", "db-before-upgrade-2"],
      nightly: ["db-nightly-0", "db-nightly-1", "db-nightly-2"],
    });
  });

  it("takes snapshots only after the StatefulSet (its claims exist once it is ready) and the claim patches", async () => {
    const { resources } = await build({ snapshots: [SET] });
    const sts = only(resources, STS);
    const patches = resources.filter((r) => r.type === CLAIM_PATCH).map((r) => r.urn);
    assert.equal(patches.length, 3);
    for (const s of resources.filter((r) => r.type === SNAPSHOT)) {
      assert.ok(s.options.dependsOn.includes(sts.urn), `${s.name} waits for the StatefulSet`);
      for (const p of patches) assert.ok(s.options.dependsOn.includes(p), `${s.name} after ${p}`);
    }
  });

  it("makes no snapshot and no restored claim when none is asked for", async () => {
    const { workload, resources } = await build();
    assert.deepEqual(
      resources.filter((r) => r.type === SNAPSHOT || r.type === PVC),
      [],
    );
    assert.deepEqual(await valueOf(workload.snapshotSets), {});
    const template = (only(resources, STS).inputs.spec as Obj).template;
    assert.equal(template.metadata.annotations, undefined);
  });

  it("restores each pod's claim data-<name>-<i> from its own snapshot, like the template's claim, before the StatefulSet", async () => {
    const { resources } = await build({ restoreFrom: { snapshotSet: "before-upgrade" } });
    const sts = only(resources, STS);
    const template = claimTemplate(resources);
    const claims = resources.filter((r) => r.type === PVC);
    assert.deepEqual(
      claims.map((c) => [(c.inputs.metadata as Obj).name, (c.inputs.spec as Obj).dataSource]),
      [0, 1, 2].map((i) => [
        `data-db-${i}`,
        {
          apiGroup: "snapshot.storage.k8s.io",
          kind: "VolumeSnapshot",
          name: `db-before-upgrade-${i}`,
        },
      ]),
    );
    for (const c of claims) {
      const spec = c.inputs.spec as Obj;
      const metadata = c.inputs.metadata as Obj;
      assert.equal(spec.storageClassName, template.spec.storageClassName);
      assert.deepEqual(spec.accessModes, template.spec.accessModes);
      assert.deepEqual(spec.resources, template.spec.resources);
      // The controller labels its claims with the template's labels and the selector.
      assert.deepEqual(metadata.labels, {
        ...template.metadata.labels,
        ...(sts.inputs.spec as Obj).selector.matchLabels,
      });
      assert.equal(metadata.namespace, "data");
      assert.equal(metadata.annotations["pulumi.com/skipAwait"], "true");
      assert.equal(
        c.options.retainOnDelete,
        true,
        `${c.name}: removing restoreFrom keeps the data`,
      );
      assert.ok(sts.options.dependsOn.includes(c.urn), `the StatefulSet waits for ${c.name}`);
      validateObject({ apiVersion: "v1", kind: "PersistentVolumeClaim", ...c.inputs });
    }
  });

  it("restores from another workload's set, or from snapshots named one per pod", async () => {
    const names = async (restoreFrom: StatefulWorkloadArgs["restoreFrom"]) =>
      (await build({ replicas: 2, restoreFrom })).resources
        .filter((r) => r.type === PVC)
        .map((c) => (c.inputs.spec as Obj).dataSource.name);
    assert.deepEqual(await names({ workload: "old", snapshotSet: "nightly" }), [
      "old-nightly-0",
      "old-nightly-1",
    ]);
    assert.deepEqual(await names({ snapshots: ["x", "y"] }), ["x", "y"]);
  });

  it("records the restore and the sets in the guard, which refuses what the claims cannot follow", async () => {
    const { resources } = await build({
      restoreFrom: { snapshotSet: "a" },
      snapshots: [SET],
      fixedAfterStart: { "some value": { value: "1", instead: "keep it" } },
    });
    const guard = only(resources, GUARD).inputs as Obj;
    assert.equal(guard.restoredFrom, "VolumeSnapshots db-a-0, db-a-1, db-a-2");
    assert.deepEqual(Object.keys(guard.fixed).sort(), [
      "snapshot set 'before-upgrade'",
      "some value",
    ]);
    assert.equal(
      guard.fixed["snapshot set 'before-upgrade'"].value,
      "class csi-snapclass of 3 pods",
    );
  });

  it("annotates the pods for Velero: file system backup of the claim volume and the kind's quiesce hook", async () => {
    const hook = QUIESCE.postgres!;
    const { resources } = await build({ backup: { fsBackup: true, hook } });
    const template = (only(resources, STS).inputs.spec as Obj).template;
    assert.deepEqual(template.metadata.annotations, {
      "backup.velero.io/backup-volumes": claimTemplate(resources).metadata.name,
      "pre.hook.backup.velero.io/container": "postgresql",
      "pre.hook.backup.velero.io/command": JSON.stringify(["sh", "-c", POSTGRES_QUIESCE_SCRIPT]),
      "pre.hook.backup.velero.io/on-error": "Fail",
      "pre.hook.backup.velero.io/timeout": "120s",
    });
    const fsOnly = await build({ backup: { fsBackup: false, hook } });
    const annotations = (only(fsOnly.resources, STS).inputs.spec as Obj).template.metadata
      .annotations;
    assert.equal(annotations["backup.velero.io/backup-volumes"], undefined);
    assert.equal(annotations["pre.hook.backup.velero.io/container"], "postgresql");
  });
});

describe("snapshots and restore: the stack", () => {
  const config = (workloads: Obj[]) =>
    parseStackConfig(stack(workloads, { volumeSnapshots: true, velero: true }));

  it("exports each workload's snapshot sets", async () => {
    await setupMocks();
    const out = deployStack(config([db({ snapshots: [SET] }), { kind: "nginx", name: "web" }]));
    assert.deepEqual(await valueOf(out.workloads["data/db"].snapshotSets!), {
      "before-upgrade": ["db-before-upgrade-0", "db-before-upgrade-1"],
    });
    assert.equal(out.workloads["data/web"].snapshotSets, undefined);
  });

  it("hooks each kind's own container, with commands that match the kind's paths and ports", async () => {
    await setupMocks();
    deployStack(
      config([
        { kind: "redis", name: "cache", velero: { fsBackup: true } },
        db({ velero: {} }),
        { kind: "cassandra", name: "ring", replicas: 1, velero: {} },
        { kind: "nginx", name: "web", velero: { fsBackup: true } },
      ]),
    );
    const resources = await registered();
    const pods = Object.fromEntries(
      resources
        .filter((r) => r.type === STS)
        .map((r) => [(r.inputs.metadata as Obj).name, (r.inputs.spec as Obj).template]),
    );
    for (const [sts, kind] of [
      ["cache", "redis"],
      ["db", "postgres"],
      ["ring", "cassandra"],
    ] as const) {
      const annotations = pods[sts].metadata.annotations;
      const container = annotations["pre.hook.backup.velero.io/container"];
      const names = pods[sts].spec.containers.map((c: Obj) => c.name);
      assert.ok(names.includes(container), `${sts}: hook container ${container} in ${names}`);
      assert.equal(container, QUIESCE[kind]!.container);
    }
    // File system backup only where asked: Velero snapshots the others' volumes after the hook.
    assert.equal(pods.cache.metadata.annotations["backup.velero.io/backup-volumes"], "data");
    assert.equal(pods.db.metadata.annotations["backup.velero.io/backup-volumes"], undefined);
    assert.equal(pods.ring.metadata.annotations["backup.velero.io/backup-volumes"], undefined);
    assert.deepEqual(pods.web.metadata.annotations, { "backup.velero.io/backup-volumes": "data" });
    // The Redis hook reads the password from the mounted Secret, the file the redis container mounts.
    const redis = pods.cache.spec.containers.find((c: Obj) => c.name === "redis");
    const mounted = redis.volumeMounts.map((m: Obj) => m.mountPath);
    assert.ok(
      mounted.some((p: string) => PASSWORD_FILE.startsWith(`${p}/`)),
      String(mounted),
    );
    assert.ok(REDIS_QUIESCE_SCRIPT.includes(`\${REDIS_PASSWORD_FILE:-${PASSWORD_FILE}}`));
    assert.ok(REDIS_QUIESCE_SCRIPT.includes(`\${REDIS_PORT:-${REDIS_PORT}}`));
    assert.ok(POSTGRES_QUIESCE_SCRIPT.includes(`\${PGHOST:-${POSTGRES_RUN_DIR}}`));
    assert.ok(POSTGRES_QUIESCE_SCRIPT.includes(`\${PGPORT:-${POSTGRES_PORT}}`));
    assert.ok(CASSANDRA_QUIESCE_SCRIPT.includes(`${NODETOOL_ENV} nodetool flush`));
    // No password is in any annotation: the hooks read it from the Secret's file at run time.
    for (const t of Object.values(pods) as Obj[]) {
      assert.doesNotMatch(JSON.stringify(t.metadata.annotations ?? {}), /generated-/);
    }
  });
});

describe("snapshots and restore: day two (the guard)", () => {
  const state = (extra: Partial<GuardState> = {}): GuardState => ({
    workload: "data/db",
    storage: { className: "fast", size: "5Gi", accessModes: ["ReadWriteOnce"] },
    replicas: 3,
    fixed: {},
    ...extra,
  });
  const restored = (replicas: number, set = "a") =>
    describeRestore("db", replicas, { snapshotSet: set });

  it("keeps a restore as it was: unchanged is fine, and so is removing it (the claims stay)", () => {
    assert.deepEqual(
      guardProblems(state({ restoredFrom: restored(3) }), state({ restoredFrom: restored(3) })),
      [],
    );
    assert.deepEqual(guardProblems(state({ restoredFrom: restored(3) }), state()), []);
  });

  it("refuses restoreFrom added to a running workload, whose claims exist", () => {
    assert.deepEqual(guardProblems(state(), state({ restoredFrom: restored(3) })), [
      "data/db: restoreFrom cannot be added to a running workload: its claims data-<name>-<i> exist already, and a claim is restored only when it is created; restore into a new workload (another name), or delete this workload and its claims first (README, Snapshots and restore)",
    ]);
  });

  it("refuses a changed restoreFrom, or scaling while it is set", () => {
    assert.deepEqual(
      guardProblems(
        state({ restoredFrom: restored(3) }),
        state({ restoredFrom: restored(3, "b") }),
      ),
      [
        "data/db: restoreFrom cannot change from VolumeSnapshots db-a-0, db-a-1, db-a-2 to VolumeSnapshots db-b-0, db-b-1, db-b-2: the claims were restored when they were created and keep their data; remove restoreFrom once the workload runs (the claims stay), then change replicas or anything else",
      ],
    );
    assert.equal(
      guardProblems(
        state({ restoredFrom: restored(3) }),
        state({ replicas: 4, restoredFrom: restored(4) }),
      ).length,
      1,
    );
  });

  it("refuses a listed set's class or replica count changing: a set is taken once", () => {
    const fixed = (className: string, replicas: number) =>
      snapshotSetsFixed([{ name: "nightly", className }], replicas);
    assert.deepEqual(
      guardProblems(state({ fixed: fixed("a", 3) }), state({ replicas: 4, fixed: fixed("a", 4) })),
      [
        "data/db: snapshot set 'nightly' cannot change from class a of 3 pods to class a of 4 pods: a set is taken once, of the claims that existed then; remove it from snapshots first (its VolumeSnapshots stay in the cluster), and list a set with a new name to take another",
      ],
    );
    assert.equal(
      guardProblems(state({ fixed: fixed("a", 3) }), state({ fixed: fixed("b", 3) })).length,
      1,
    );
    // Removing the set, then scaling, is fine; so is a new set next to it.
    assert.deepEqual(guardProblems(state({ fixed: fixed("a", 3) }), state({ replicas: 4 })), []);
    assert.deepEqual(
      guardProblems(
        state({ fixed: fixed("a", 3) }),
        state({ fixed: { ...fixed("a", 3), ...snapshotSetsFixed([SET], 3) } }),
      ),
      [],
    );
  });
});
