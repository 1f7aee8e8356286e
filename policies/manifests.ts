// Kubernetes objects from YAML or JSON manifests, read the way kubectl reads them:
// - bytes: UTF-8, or UTF-16 with a byte-order mark (kubectl decodes both); anything else, or a NUL
//   byte, is refused as not text;
// - documents: split on lines that start with `---` followed by nothing or a comment (kubectl's
//   YAML reader), one document at a time, so memory holds one document, not the file;
// - values: go-yaml v2 (sigs.k8s.io/yaml), that is YAML 1.1: yes/no/on/off/y/n are booleans,
//   `<<` merges maps, 0777 is octal, duplicate keys keep the last value, timestamps stay strings;
//   go-yaml's lenient indentation of flow collections and quoted scalars is accepted too;
// - objects: every document is empty or has a string apiVersion and kind; a `kind: List` (as
//   `kubectl get -o yaml` writes it) contributes its items, which must be a list of objects.
import type { Alias, Document, Node, Scalar } from "yaml";
import { TextDecoder } from "util";
import { NOT_HANDLED, readBlockYaml, setKey } from "./blockYaml";
import { isRecord } from "./kube/fields";
import type { KubeObject } from "./kube/objects";

/** A file that cannot be read or parsed; the message names the file (and line). */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

/** An object and where it starts (1-based line of its first key). */
export interface ManifestObject {
  object: KubeObject;
  file: string;
  line: number;
}

/**
 * The yaml package, loaded on first use: most documents are read by the fast reader (blockYaml.ts),
 * and a CLI run that needs no full parse starts without it.
 */
let yamlModule: typeof import("yaml") | undefined;
function yaml(): typeof import("yaml") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (yamlModule ??= require("yaml") as typeof import("yaml"));
}

// ---------------------------------------------------------------------------------------------
// Scalars, as go-yaml v2 resolves them (resolve.go) and sigs.k8s.io/yaml turns them into JSON.

const TAG = "tag:yaml.org,2002:";
const BOOL_NULL = new Map<string, boolean | null>([
  ...["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"].map(
    (s) => [s, true] as [string, boolean],
  ),
  ...["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"].map(
    (s) => [s, false] as [string, boolean],
  ),
  ...["", "~", "null", "Null", "NULL"].map((s) => [s, null] as [string, null]),
]);
const SPECIAL_FLOATS = new Set(
  [".nan", ".NaN", ".NAN"].concat(
    ...["", "+", "-"].map((sign) => [".inf", ".Inf", ".INF"].map((s) => sign + s)),
  ),
);
const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const TIMESTAMP =
  /^\d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?$/;

/** go's strconv.ParseInt(s, 0, 64) (or ParseUint), underscores already removed. */
function goInt(plain: string): number | undefined {
  if (!GO_INT.test(plain)) return undefined;
  const sign = plain[0] === "-" ? -1 : 1;
  const digits = plain.replace(/^[-+]/, "");
  let value: number;
  if (/^0[xX]/.test(digits)) value = parseInt(digits.slice(2), 16);
  else if (/^0[oO]/.test(digits)) value = parseInt(digits.slice(2), 8);
  else if (/^0[bB]/.test(digits)) value = parseInt(digits.slice(2), 2);
  else if (digits.length > 1 && digits[0] === "0") value = parseInt(digits.slice(1), 8);
  else value = Number(digits);
  if (value > 2 ** 64) return undefined; // out of range in Go: left to the float rules
  return sign * value;
}

/** The value go-yaml v2 gives a plain (unquoted, untagged) scalar. */
export function resolvePlain(s: string): unknown {
  if (BOOL_NULL.has(s)) return BOOL_NULL.get(s);
  if (SPECIAL_FLOATS.has(s))
    return s.includes("nan") || s.includes("NaN") || s.includes("NAN")
      ? NaN
      : s[0] === "-"
        ? -Infinity
        : Infinity;
  const c = s[0];
  if (c === ".") {
    const f = Number(s);
    return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) && Number.isFinite(f) ? f : s;
  }
  if (c === "+" || c === "-" || (c >= "0" && c <= "9")) {
    if (TIMESTAMP.test(s)) return s; // go-yaml keeps timestamps as strings in untyped values
    const plain = s.replace(/_/g, "");
    const i = goInt(plain);
    if (i !== undefined) return i;
    if (GO_FLOAT.test(plain)) {
      const f = Number(plain);
      if (Number.isFinite(f)) return f;
    }
    const bin = /^(-?)0b([01]+)$/.exec(plain);
    if (bin) return (bin[1] ? -1 : 1) * parseInt(bin[2], 2);
  }
  return s;
}

/** resolvePlain, refusing what JSON cannot hold (the full reader reports it with its place). */
function resolveFinite(s: string): unknown {
  const v = resolvePlain(s);
  if (typeof v === "number" && !Number.isFinite(v)) throw new Error(s);
  return v;
}

function kindOfValue(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  return typeof v === "boolean" ? "bool" : "str";
}

function scalarValue(node: Scalar, tag: string | undefined): unknown {
  const source = String(node.value ?? "");
  const plain = node.type === "PLAIN" || node.type === undefined;
  if (tag === undefined || tag === "!")
    return plain && tag === undefined ? resolvePlain(source) : source;
  if (tag === `${TAG}str`) return source;
  if (tag === `${TAG}binary`) return Buffer.from(source.replace(/\s+/g, ""), "base64").toString();
  const want = tag.startsWith(TAG) ? tag.slice(TAG.length) : undefined;
  if (want === undefined || !["int", "float", "bool", "null", "timestamp"].includes(want)) {
    return source; // a custom tag: go-yaml keeps the text
  }
  const value = resolvePlain(source);
  const got = kindOfValue(value);
  if (got === want || (want === "float" && got === "int") || want === "timestamp") {
    return want === "timestamp" ? source : value;
  }
  throw new Error(`cannot decode !!${got} \`${source}\` as a !!${want}`);
}

function mapKey(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") {
    if (v === Infinity) return ".inf";
    if (v === -Infinity) return "-.inf";
    if (Number.isNaN(v)) return ".nan";
    return String(v);
  }
  throw new Error(
    `a map key must be a string, number or boolean, not ${v === null ? "null" : "a collection"}`,
  );
}

/** Plain JS values from a composed document, as go-yaml v2 and sigs.k8s.io/yaml build them. */
class Converter {
  private readonly seen = new Map<Node, unknown>();
  private aliases = 0;
  private readonly Y = yaml();

  constructor(private readonly doc: Document.Parsed) {}

  value(node: unknown): unknown {
    if (node === null || node === undefined) return null;
    if (this.Y.isAlias(node)) return this.alias(node);
    const n = node as Node;
    const tag = (n as { tag?: string }).tag;
    if (this.Y.isScalar(n)) {
      const v = scalarValue(n, tag);
      if (typeof v === "number" && !Number.isFinite(v)) {
        throw new Error(`${String(n.value)} is not a number JSON can hold`);
      }
      return v;
    }
    if (this.Y.isSeq(n)) return n.items.map((item) => this.value(item));
    if (this.Y.isMap(n)) {
      const out: Record<string, unknown> = {};
      for (const pair of n.items) {
        const key = pair.key as Node | null;
        if (this.Y.isScalar(key) && key.type === "PLAIN" && key.value === "<<" && !key.tag) {
          this.merge(pair.value as Node | null, out);
          continue;
        }
        setKey(out, mapKey(this.value(key)), this.value(pair.value));
      }
      return out;
    }
    return null;
  }

  private alias(alias: Alias): unknown {
    if (++this.aliases > 10_000) throw new Error("document contains excessive aliasing");
    const target = alias.resolve(this.doc);
    if (!target) throw new Error(`unknown anchor ${JSON.stringify(alias.source)}`);
    if (!this.seen.has(target)) {
      this.seen.set(target, null); // a self-reference reads as null instead of looping
      this.seen.set(target, this.value(target));
    }
    return this.seen.get(target);
  }

  /** go-yaml v2: a map or alias of one, or a list of them (earlier ones win). */
  private merge(node: Node | null, out: Record<string, unknown>): void {
    const wantMap = () => new Error("map merge requires map or sequence of maps as the value");
    const target = (n: unknown) => (this.Y.isAlias(n) ? n.resolve(this.doc) : n);
    const one = (n: unknown) => {
      if (!this.Y.isMap(target(n))) throw wantMap();
      const v = this.value(n) as Record<string, unknown>;
      for (const k of Object.keys(v)) setKey(out, k, v[k]);
    };
    if (this.Y.isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) one(node.items[i]);
    } else {
      one(node);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One document's text -> values.

const PARSE_OPTIONS = {
  version: "1.1",
  schema: "failsafe",
  strict: false,
  uniqueKeys: false,
  prettyErrors: false,
  keepSourceTokens: false,
} as const;

interface ParsedDoc {
  value: unknown;
  /** Offset in the text of the document's content, and of each item of a List. */
  offset: number;
  itemOffsets: number[];
}

/** The first indentation error's line is re-indented and the document parsed again, this often. */
const MAX_REINDENT = 50;

/**
 * go-yaml ignores indentation inside flow collections and quoted scalars; the yaml package
 * refuses lines there that are indented less than the enclosing block. Leading whitespace on such
 * continuation lines carries no meaning (it is folded away), so indenting them deeper parses to the
 * same values: the line of the error gets the indentation of the line where its node began.
 */
function reindent(text: string, errorOffset: number): string | undefined {
  const lineStart = text.lastIndexOf("\n", errorOffset - 1) + 1;
  let prev = text.lastIndexOf("\n", lineStart - 2) + 1;
  // The indentation of the nearest earlier line that is not blank.
  while (prev > 0 && text.slice(prev, text.indexOf("\n", prev)).trim() === "") {
    prev = text.lastIndexOf("\n", prev - 2) + 1;
  }
  const prevLine = text.slice(prev, text.indexOf("\n", prev));
  const want = prevLine.length - prevLine.trimStart().length + 1;
  const line = text.slice(lineStart, text.indexOf("\n", lineStart) >>> 0);
  const have = line.length - line.replace(/^[ \t]*/, "").length;
  if (have >= want) return undefined;
  return text.slice(0, lineStart) + " ".repeat(want) + text.slice(lineStart + have);
}

export function parseYamlDocs(text: string, where: (offset: number) => string): ParsedDoc[] {
  const Y = yaml();
  let source = text;
  for (let attempt = 0; ; attempt++) {
    const docs = Y.parseAllDocuments(source, PARSE_OPTIONS);
    const list = Array.isArray(docs) ? docs : [];
    const error = list.flatMap((d) => d.errors)[0];
    if (error) {
      const fixable = error.code === "BAD_INDENT" || error.code === "MISSING_CHAR";
      const retry = fixable && attempt < MAX_REINDENT ? reindent(source, error.pos[0]) : undefined;
      if (retry !== undefined) {
        source = retry;
        continue;
      }
      // Report the error against the original text when no re-indentation helped.
      const first = attempt === 0 ? error : Y.parseAllDocuments(text, PARSE_OPTIONS);
      const e = Array.isArray(first) ? (first.flatMap((d) => d.errors)[0] ?? error) : first;
      const message = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
      throw new ManifestError(`${where(e.pos[0])}: invalid YAML: ${message}`);
    }
    return list.map((doc) => {
      let value: unknown;
      try {
        value = new Converter(doc).value(doc.contents);
      } catch (e) {
        const at = doc.contents?.range?.[0] ?? 0;
        throw new ManifestError(`${where(at)}: invalid YAML: ${(e as Error).message}`);
      }
      const contents = doc.contents;
      const items = Y.isMap(contents) ? contents.get("items", true) : undefined;
      return {
        value,
        offset: contents?.range?.[0] ?? 0,
        itemOffsets: Y.isSeq(items) ? items.items.map((i) => (i as Node).range?.[0] ?? 0) : [],
      };
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Values -> objects.

function describe(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  if (isRecord(v)) return "a mapping";
  return `a ${typeof v}`;
}

function isListKind(v: Record<string, unknown>): boolean {
  return v.kind === "List" || (typeof v.kind === "string" && /List$/.test(v.kind) && "items" in v);
}

/** Checks one document's value and hands on its objects (a List's items, recursively). */
function collect(
  value: unknown,
  where: string,
  line: number,
  itemLines: number[],
  emit: (obj: KubeObject, line: number) => void,
): void {
  if (value === null) return; // an empty document, as kubectl skips it
  if (!isRecord(value)) {
    throw new ManifestError(
      `${where}:${line}: not a Kubernetes object: the document is ${describe(value)}, not a mapping with apiVersion and kind; give manifests only`,
    );
  }
  const hasVersion = typeof value.apiVersion === "string" && value.apiVersion !== "";
  const hasKind = typeof value.kind === "string" && value.kind !== "";
  if (!hasVersion || !hasKind) {
    const missing =
      !hasVersion && !hasKind
        ? "no apiVersion and no kind (a Helm values file? render the chart with helm template)"
        : hasKind
          ? "no apiVersion"
          : "no kind";
    throw new ManifestError(
      `${where}:${line}: not a Kubernetes object: ${missing}; give manifests only`,
    );
  }
  if (isListKind(value)) {
    const items = value.items ?? [];
    if (!Array.isArray(items) || items.some((i) => !isRecord(i))) {
      const got = Array.isArray(items)
        ? `an item that is ${describe(items.find((i) => !isRecord(i)))}`
        : describe(items);
      throw new ManifestError(
        `${where}:${line}: kind ${value.kind}: items must be a list of objects, got ${got}`,
      );
    }
    items.forEach((item, i) => collect(item, where, itemLines[i] ?? line, [], emit));
    return;
  }
  emit(value, line);
}

// ---------------------------------------------------------------------------------------------
// Bytes -> text, and text -> documents, streamed.

const NOT_TEXT = "give YAML or JSON manifests, as UTF-8 or as UTF-16 with a byte-order mark";

/** Decodes a file's chunks: UTF-8, or UTF-16 with a byte-order mark; refuses binary data. */
export class TextDecoding {
  private decoder?: TextDecoder;
  private head = Buffer.alloc(0);
  private bytes = 0;

  constructor(private readonly file: string) {}

  private fail(why: string): never {
    throw new ManifestError(`${this.file}: not a text file (${why}): ${NOT_TEXT}`);
  }

  private start(bytes: Buffer): void {
    let encoding = "utf-8";
    if (bytes[0] === 0xff && bytes[1] === 0xfe) encoding = "utf-16le";
    else if (bytes[0] === 0xfe && bytes[1] === 0xff) encoding = "utf-16be";
    this.decoder = new TextDecoder(encoding, { fatal: true });
  }

  /** The text of the next chunk of bytes (empty until the encoding is known). */
  push(chunk: Uint8Array): string {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!this.decoder) {
      this.head = Buffer.concat([this.head, bytes]);
      if (this.head.length < 2) return "";
      bytes = this.head;
      this.head = Buffer.alloc(0);
      this.start(bytes);
    }
    return this.decode(bytes, true);
  }

  end(): string {
    if (!this.decoder) {
      if (this.head.length === 0) return "";
      this.start(this.head);
      return this.decode(this.head, false);
    }
    return this.decode(new Uint8Array(0), false);
  }

  private decode(bytes: Uint8Array, stream: boolean): string {
    const utf8 = this.decoder!.encoding === "utf-8";
    let text: string;
    try {
      text = this.decoder!.decode(bytes, { stream });
    } catch {
      const at = utf8 ? ` at byte ${this.bytes + firstInvalidUtf8(bytes)}` : "";
      this.fail(`invalid ${utf8 ? "UTF-8" : "UTF-16"}${at}`);
    }
    if (text.includes("\0")) {
      if (!utf8) this.fail("a NUL character");
      const nul = Buffer.from(bytes).indexOf(0);
      const hint =
        this.bytes === 0 && (nul === 1 || (nul === 0 && bytes[1] !== 0))
          ? "; UTF-16 without a byte-order mark?"
          : "";
      this.fail(`a NUL byte at byte ${this.bytes + nul}${hint}`);
    }
    this.bytes += bytes.length;
    return text;
  }
}

/** Where UTF-8 decoding fails in `bytes` (0 if it cannot tell). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      decoder.decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}

const BLANK_OR_COMMENT = /^[ \t\r]*(#.*)?$/;

/** A top-level `kind:` that may name a List (isListKind decides on the value). */
const MAYBE_LIST = /^["']?kind["']?[ \t]*:[ \t]*["']?[A-Za-z0-9]*List\b/m;

/** The offset at which each line of `text` starts. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** The 0-based line of `offset`: the last line start at or before it (binary search). */
function lineIndex(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Splits text into documents as kubectl's YAML reader does, and turns each into objects. Text is
 * pushed in chunks of any size; only the current document is held.
 */
export class ManifestReader {
  private partial = "";
  private lines: string[] = [];
  private docLine = 1;
  private lineNo = 0;
  private json?: boolean;
  private jsonText: string[] = [];

  constructor(
    private readonly file: string,
    private readonly emit: (o: ManifestObject) => void,
  ) {}

  push(text: string): void {
    if (text === "") return;
    if (this.json === undefined) {
      const first = /\S/.exec(text);
      if (!first) {
        this.partial += text;
        return;
      }
      this.json = text[first.index] === "{";
    }
    if (this.json) {
      this.jsonText.push(text);
      return;
    }
    const parts = (this.partial + text).split("\n");
    this.partial = parts.pop()!;
    for (const line of parts) this.line(line);
  }

  end(): void {
    if (this.json) {
      this.endJson();
      return;
    }
    // A last line without a line break (no newline at the end of the file) has none to keep.
    const newline = this.partial === "";
    if (!newline) this.line(this.partial);
    this.partial = "";
    this.flush(newline);
  }

  private line(line: string): void {
    this.lineNo++;
    if (line.startsWith("---")) {
      const rest = line.slice(3).trim();
      if (rest === "" || rest.startsWith("#")) {
        this.flush();
        this.docLine = this.lineNo + 1;
        return;
      }
    }
    this.lines.push(line);
  }

  /** `newline`: the document's last line ended with a line break (kubectl keeps it). */
  private flush(newline = true): void {
    const lines = this.lines;
    this.lines = [];
    if (lines.every((l) => BLANK_OR_COMMENT.test(l))) return;
    const text = lines.join("\n") + (newline ? "\n" : "");
    const startLine = this.docLine;
    // A List goes straight to the full parser, which gives the offset of each item.
    if (!MAYBE_LIST.test(text)) {
      const fast = readBlockYaml(text, resolveFinite, mapKey);
      if (fast !== NOT_HANDLED && !(isRecord(fast) && isListKind(fast))) {
        const first = lines.findIndex((l) => !BLANK_OR_COMMENT.test(l));
        collect(fast, this.file, startLine + first, [], (object, line) =>
          this.emit({ object, file: this.file, line }),
        );
        return;
      }
    }
    const starts = lineStarts(text);
    const lineAt = (offset: number) => startLine + lineIndex(starts, offset);
    // An error at the end of the document is at the end of its last line, not on the next one.
    const end = newline ? text.length - 1 : text.length;
    const where = (offset: number) => {
      const at = Math.min(offset, end);
      const column = at - starts[lineIndex(starts, at)] + 1;
      return `${this.file}:${lineAt(at)}:${column}`;
    };
    for (const doc of parseYamlDocs(text, where)) {
      collect(
        doc.value,
        this.file,
        lineAt(doc.offset),
        doc.itemOffsets.map(lineAt),
        (object, line) => this.emit({ object, file: this.file, line }),
      );
    }
  }

  private endJson(): void {
    const text = this.partial + this.jsonText.join("");
    this.jsonText = [];
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON after all (YAML may start with a flow mapping): read it as YAML.
      this.json = false;
      this.partial = "";
      this.push(text);
      this.end();
      return;
    }
    const line = text.slice(0, /\S/.exec(text)?.index ?? 0).split("\n").length;
    collect(value, this.file, line, [], (object, l) =>
      this.emit({ object, file: this.file, line: l }),
    );
  }
}

/** Every object of a manifest text (tests, small inputs); throws ManifestError naming `file`. */
export function parseManifestText(text: string, file: string): ManifestObject[] {
  const out: ManifestObject[] = [];
  const reader = new ManifestReader(file, (o) => out.push(o));
  reader.push(text);
  reader.end();
  return out;
}

/** Objects of a manifest text, without their place (for callers that need only the objects). */
export function parseManifests(text: string, file: string): KubeObject[] {
  return parseManifestText(text, file).map((o) => o.object);
}

/** Reads a stream of bytes (a file or stdin) into objects, one document at a time. */
export async function readManifests(
  file: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  emit: (o: ManifestObject) => void,
): Promise<void> {
  const decoding = new TextDecoding(file);
  const reader = new ManifestReader(file, emit);
  for await (const chunk of chunks) reader.push(decoding.push(chunk));
  reader.push(decoding.end());
  reader.end();
}
