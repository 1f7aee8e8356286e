// Every key the stack-config schema accepts reaches its component (checked by the compiler) and is
// documented in the README's config reference (checked here).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import type { CassandraArgs } from "../../components/cassandra";
import { stackConfigSchema, WorkloadConfig } from "../../components/config";
import type { WorkloadKind } from "../../components/defaults";
import type { NginxArgs } from "../../components/nginx";
import type { PostgresArgs } from "../../components/postgres";
import type { RedisArgs } from "../../components/redis";

// --- Compile time: `npm test` runs tsc over this file, so a failure here fails the build. ---

/** The component args of each kind. */
interface ArgsOf {
  nginx: NginxArgs;
  redis: RedisArgs;
  postgres: PostgresArgs;
  cassandra: CassandraArgs;
}
/** A kind's workload config as stack.ts hands it to the component: everything but `kind`. */
type ConfigOf<K extends WorkloadKind> = Omit<Extract<WorkloadConfig, { kind: K }>, "kind">;
/** Schema keys of a kind that its component's args do not declare (`never` when none). */
type Dropped<K extends WorkloadKind> = Exclude<keyof ConfigOf<K>, keyof ArgsOf[K]>;

/** `true` for every kind, or this object does not compile: the keys of Dropped<K> would be lost. */
const everyKeyReachesItsComponent: {
  [K in WorkloadKind]: [Dropped<K>] extends [never] ? true : Dropped<K>;
} = { nginx: true, redis: true, postgres: true, cassandra: true };

/** And with a type the component accepts: a config value is assignable to the args. */
export const configIsComponentArgs: { [K in WorkloadKind]: (c: ConfigOf<K>) => ArgsOf[K] } = {
  nginx: (c) => c,
  redis: (c) => c,
  postgres: (c) => c,
  cassandra: (c) => c,
};

// --- Run time: the README's "Config keys" section names every key. ---

interface SchemaKey {
  /** Path from the top (`namespaces`, `workloads`, `storage`, `className`); lists add no segment. */
  path: string[];
  /** For a workload key that only some kinds accept: those kinds. */
  kinds?: string[];
}

// Walks zod's definitions: objects, optionals, lists and the union of workload kinds.
/* eslint-disable @typescript-eslint/no-explicit-any -- zod's internal definition objects */
function keysOf(schema: any, prefix: string[] = []): SchemaKey[] {
  const def = schema._zod.def;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
      return keysOf(def.innerType, prefix);
    case "pipe":
      return keysOf(def.in, prefix);
    case "array":
      return keysOf(def.element, prefix);
    case "object":
      return Object.entries(def.shape).flatMap(([key, value]) => [
        { path: [...prefix, key] },
        ...keysOf(value, [...prefix, key]),
      ]);
    case "union": {
      const perKind: { kind: string; keys: SchemaKey[] }[] = def.options.map((option: any) => ({
        kind: option._zod.def.shape.kind._zod.def.values[0] as string,
        keys: keysOf(option, prefix),
      }));
      const byPath = new Map<string, SchemaKey>();
      for (const { kind, keys } of perKind) {
        for (const k of keys) {
          const id = k.path.join(".");
          const seen: SchemaKey = byPath.get(id) ?? { path: k.path, kinds: [] };
          seen.kinds!.push(kind);
          byPath.set(id, seen);
        }
      }
      return [...byPath.values()].map((k) =>
        k.kinds!.length === perKind.length ? { path: k.path } : k,
      );
    }
    default:
      return [];
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

const KIND_NAMES: Record<string, string> = {
  nginx: "nginx",
  redis: "Redis",
  postgres: "PostgreSQL",
  cassandra: "Cassandra",
};

/** The table rows of the README's "Config keys" section, each as its cells. */
function configTableRows(readme: string): string[][] {
  const start = readme.indexOf("### Config keys");
  assert.ok(start >= 0, "README.md has no '### Config keys' section");
  const end = readme.indexOf("\n## ", start);
  return readme
    .slice(start, end)
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|\s*-/.test(line))
    .map((line) => line.split("|").slice(1, -1));
}

/** Whether `word` stands as a whole word inside a `code span` of `text`. */
function inCode(text: string, word: string): boolean {
  const spans = text.match(/`[^`]*`/g) ?? [];
  return spans.some((s) => new RegExp(`(^|[^A-Za-z0-9])${word}([^A-Za-z0-9]|$)`).test(s));
}

/** The README row that documents a key: its first cell names the key's top segment, the row its leaf. */
function documentingRow(rows: string[][], key: SchemaKey): string[] | undefined {
  // Workload keys are documented relative to the workload: `storage.size`, not `namespaces...`.
  const w = key.path.indexOf("workloads");
  const rel = w >= 0 && key.path.length > w + 1 ? key.path.slice(w + 1) : key.path;
  const top = rel[0];
  const leaf = rel[rel.length - 1];
  return rows.find(
    (cells) =>
      inCode(cells[0], top) &&
      inCode(cells.join("|"), leaf) &&
      (key.kinds ?? []).every((k) => cells.join("|").includes(KIND_NAMES[k])),
  );
}

describe("config keys", () => {
  it("reach their component for every kind (the compiler checks it)", () => {
    assert.deepEqual(everyKeyReachesItsComponent, {
      nginx: true,
      redis: true,
      postgres: true,
      cassandra: true,
    });
  });

  const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
  const rows = configTableRows(readme);
  const keys = keysOf(stackConfigSchema);

  it("the schema walk finds the keys of every level", () => {
    const ids = keys.map((k) => k.path.join("."));
    for (const id of [
      "target.context",
      "namespaces.workloads.storage.className",
      "namespaces.workloads.resources.limits.cpu",
      "namespaces.workloads.heap.newGen",
    ]) {
      assert.ok(ids.includes(id), `expected ${id} among ${ids.join(", ")}`);
    }
    const seeds = keys.find((k) => k.path.join(".") === "namespaces.workloads.seeds");
    assert.deepEqual(seeds?.kinds, ["cassandra"]);
  });

  for (const key of keys) {
    const id = key.path.join(".");
    it(`the README documents ${id}${key.kinds ? ` (${key.kinds.join(", ")})` : ""}`, () => {
      assert.ok(
        documentingRow(rows, key),
        `README.md, section "Config keys": no table row documents ${id}` +
          (key.kinds ? ` for ${key.kinds.map((k) => KIND_NAMES[k]).join(", ")}` : ""),
      );
    });
  }
});
