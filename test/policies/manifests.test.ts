// The manifest reader (policies/manifests.ts): where objects are, and that the fast block reader
// agrees with the full YAML parser.
import * as assert from "assert";
import { spawnSync } from "child_process";
import fc from "fast-check";
import * as path from "path";
import { NOT_HANDLED, readBlockYaml } from "../../policies/blockYaml";
import { parseManifestText, parseYamlDocs, resolvePlain } from "../../policies/manifests";
import { fixture } from "./cliRun";

const where = (text: string) =>
  parseManifestText(text, "f.yaml").map((o) => [
    o.line,
    (o.object.metadata as { name?: string } | undefined)?.name,
  ]);

/** What the manifest reader gives the fast reader (blockYaml.ts): scalars as JSON can hold them. */
function fast(text: string): unknown {
  const resolve = (plain: string) => {
    const v = resolvePlain(plain);
    if (typeof v === "number" && !Number.isFinite(v)) throw new Error(plain);
    return v;
  };
  const mapKey = (v: unknown) => {
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    throw new Error("not a key");
  };
  return readBlockYaml(text, resolve, mapKey);
}

/** The full parser's value of a one-document text, or the error it throws. */
function full(text: string): { value: unknown } | { error: Error } {
  try {
    const docs = parseYamlDocs(text, (offset) => `f.yaml@${offset}`);
    return { value: docs.length === 0 ? null : docs[0].value };
  } catch (e) {
    return { error: e as Error };
  }
}

// Plain block YAML as people write it: a tree of maps, lists and scalar tokens, rendered with
// varied indentation, compact list items, comments and blank lines.
type Tree = { s: string } | { l: Tree[] } | { m: [string, Tree][] };

const PLAIN_SPECIALS = [
  ..."y n yes No ON off true False TRUE null Null ~ NaN .nan .inf -.Inf".split(" "),
  ..."0 -0 007 0777 08 0x1F 0o17 0b101 1_000 +12 1e3 1E-3 .5 5. -.5 1.5e+3 0.1".split(" "),
  ..."2024-01-02 2024-01-02T03:04:05Z 12:30 1:2:3 - -- ? ?a : :a a: a:b".split(" "),
];
const plain = fc.oneof(
  fc.constantFrom(...PLAIN_SPECIALS),
  fc.integer().map(String),
  fc.double({ noNaN: true }).map(String),
  fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9 ./:#_'"-]{0,10}$/),
);
const scalar = fc.oneof(
  { weight: 4, arbitrary: plain },
  fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
  fc.string({ maxLength: 8 }).map((s) => `'${s.replace(/'/g, "''")}'`),
  fc.constantFrom("[]", "{}", "[a, 1, yes]", '"a\\tb\\u00e9"'),
);
const key = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_./-]{0,8}$/) },
  fc.constantFrom("yes", "1", "0x10", "1.50", "null", '"a b"', "'c'", "a b", "__proto__"),
);
const { document } = fc.letrec<{ tree: Tree; list: Tree; map: Tree; document: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar.map((s) => ({ s })),
    tie("list"),
    tie("map"),
  ),
  list: fc.array(tie("tree"), { maxLength: 4 }).map((l) => ({ l })),
  map: fc.array(fc.tuple(key, tie("tree")), { maxLength: 5 }).map((m) => ({ m })),
  // A document: mostly a mapping, as manifests are.
  document: fc.oneof(
    { weight: 4, arbitrary: tie("map") },
    tie("list"),
    scalar.map((s) => ({ s })),
  ),
}));
const style = fc.record({
  step: fc.constantFrom(2, 4),
  // A list under a key at the key's indentation (kubectl's style) or deeper.
  flushLists: fc.boolean(),
  comments: fc.boolean(),
  blanks: fc.boolean(),
});
type Style = { step: number; flushLists: boolean; comments: boolean; blanks: boolean };

function render(t: Tree, indent: number, st: Style, out: string[]): void {
  const pad = " ".repeat(indent);
  const extra = (i: number) => {
    if (st.blanks && i % 2 === 1) out.push("");
    if (st.comments && i % 3 === 2) out.push(`${pad}# comment`);
  };
  if ("s" in t) {
    out.push(pad + t.s);
  } else if ("l" in t) {
    if (t.l.length === 0) out.push(`${pad}[]`);
    t.l.forEach((item, i) => {
      extra(i);
      const inner: string[] = [];
      render(item, indent + 2, st, inner);
      const first = inner.findIndex((l) => l.trim() !== "" && !l.trim().startsWith("#"));
      inner[first] = `${pad}- ${inner[first].slice(indent + 2)}`;
      out.push(...inner.slice(first));
    });
  } else {
    if (t.m.length === 0) out.push(`${pad}{}`);
    t.m.forEach(([k, v], i) => {
      extra(i);
      if ("s" in v) {
        out.push(`${pad}${k}: ${v.s}${st.comments && i % 2 === 0 ? " # note" : ""}`);
        return;
      }
      out.push(`${pad}${k}:`);
      render(v, "l" in v && st.flushLists ? indent : indent + st.step, st, out);
    });
  }
}

describe("manifest reader", () => {
  it("gives each item of a kind: List the line of its first key", () => {
    const text = [
      "# a comment",
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: {name: first}",
      "---",
      "",
      "apiVersion: v1",
      "kind: List",
      "items:",
      "  - apiVersion: v1",
      "    kind: Service",
      "    metadata:",
      "      name: a",
      "",
      "  # between items",
      "  -",
      "    apiVersion: v1",
      "    kind: Service",
      "    metadata: {name: b}",
      "  - {apiVersion: v1, kind: Service, metadata: {name: c}}",
      "---",
      "kind: List",
      "apiVersion: v1",
      "items:",
      "- apiVersion: v1",
      "  kind: Service",
      "  metadata: {name: d}",
      "",
    ].join("\n");
    assert.deepStrictEqual(where(text), [
      [2, "first"],
      [10, "a"],
      [17, "b"],
      [20, "c"],
      [25, "d"],
    ]);
  });

  it("does not load the yaml module for input the fast reader handles", function () {
    this.timeout(60_000);
    // A fresh process over the sources: what the CLI loads for one file.
    const loads = (file: string) => {
      const script = `
        require(${JSON.stringify(path.join(__dirname, "../../policies/cli.ts"))})
          .main(["check", ${JSON.stringify(file)}], { stdout() {}, stderr() {}, env: {},
            open: (p) => [require("fs").readFileSync(p)] })
          .then((code) => console.log(JSON.stringify({ code, yaml: Object.keys(require.cache)
            .some((k) => /[\\/]node_modules[\\/]yaml[\\/]/.test(k)) })));`;
      const r = spawnSync(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", "-e", script],
        { encoding: "utf8" },
      );
      assert.strictEqual(r.status, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    assert.deepStrictEqual(loads(fixture("valid.yaml")), { code: 0, yaml: false });
    // Anchors and merge keys need the full parser, which loads it.
    assert.deepStrictEqual(loads(fixture("yaml11-merge.yaml")).yaml, true);
  });

  it("agrees with the full parser on plain block YAML, whenever it reads a document", () => {
    let read = 0;
    fc.assert(
      fc.property(document, style, (t, st) => {
        const lines: string[] = [];
        render(t, 0, st, lines);
        const text = `${lines.join("\n")}\n`;
        const f = fast(text);
        if (f === NOT_HANDLED) return;
        read++;
        const y = full(text);
        assert.ok("value" in y, `the full parser refuses what the fast reader read: ${text}`);
        assert.deepStrictEqual(f, y.value, text);
      }),
      { numRuns: Number(process.env.RUNS ?? 2000) },
    );
    assert.ok(read > 500, `the fast reader read only ${read} documents`);
  });

  it("hands every block scalar to the full parser", () => {
    const texts = [
      "a: |\n  x\n",
      "a: |\n  x",
      "a: |+\n  x\n\n",
      "a: |-\n  x\n\n",
      "a: |\n  x\n   \n",
      "a: >\n  x\n  y\n",
      "- |\n  x\nb: 1\n",
      "a:\n  - |2\n     x\n",
    ];
    for (const text of texts) assert.strictEqual(fast(text), NOT_HANDLED, text);
    const doc = "kind: ConfigMap\napiVersion: v1\ndata:\n  k: |+\n    x\n\n";
    assert.deepStrictEqual(parseManifestText(doc, "f.yaml")[0].object.data, { k: "x\n\n" });
  });
});
