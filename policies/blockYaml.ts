// A fast reader for the plain block YAML that kubectl, `helm template` and most people write:
// block mappings and sequences, plain and one-line quoted scalars, one-line flow lists of plain
// scalars. Values resolve as go-yaml v2 resolves them (resolvePlain). Anything else (anchors,
// aliases, tags, merge keys, block scalars (`|`, `>`: their trailing lines are the full parser's
// to get right, and no rule reads them), multi-line scalars, flow collections spanning lines, tabs
// in indentation, odd indentation) returns NOT_HANDLED, and the caller reads the document with the
// full YAML parser. It is about five times faster than the full parser on
// such documents, which are nearly all of them.

/** Returned for a document this reader does not handle. */
export const NOT_HANDLED: unique symbol = Symbol("not handled");

type Resolve = (plain: string) => unknown;
type MapKey = (value: unknown) => string;

class Bail extends Error {}
const bail = (): never => {
  throw new Bail();
};

interface Line {
  indent: number;
  content: string;
}

const QUOTED_KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*')\s*:(\s|$)/;

/** True if a line's content begins a mapping entry (`key:`, `"key":`). */
function isEntry(content: string): boolean {
  return keyEnd(content) >= 0 || QUOTED_KEY.test(content);
}

const PLAIN_START_FORBIDDEN = /^[[\]{},#&*!|>'"%@`?]|^- |^-$|^:(\s|$)/;

/** Sets a key of a parsed mapping; `__proto__` is an own key, as in JSON.parse. */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    obj[key] = value;
  }
}

class BlockReader {
  private i = 0;

  constructor(
    private readonly lines: Line[],
    private readonly resolve: Resolve,
    private readonly mapKey: MapKey,
  ) {}

  /** The next line that is neither blank nor a comment, without consuming it. */
  private peek(): Line | undefined {
    while (this.i < this.lines.length) {
      const l = this.lines[this.i];
      if (l.content !== "" && l.content[0] !== "#") return l;
      this.i++;
    }
    return undefined;
  }

  document(): unknown {
    const first = this.peek();
    if (!first) return null;
    const value = this.node(first.indent);
    if (this.peek()) bail();
    return value;
  }

  private node(indent: number): unknown {
    const l = this.peek()!;
    if (l.indent !== indent) bail();
    if (l.content === "-" || l.content.startsWith("- ")) return this.seq(indent);
    if (isEntry(l.content)) return this.map(indent);
    this.i++;
    const value = this.inline(l.content);
    const next = this.peek();
    if (next && next.indent >= indent) bail();
    return value;
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let l = this.peek(); l && l.indent === indent; l = this.peek()) {
      if (l.content === "-" || l.content.startsWith("- ")) break;
      const [key, rest] = this.entry(l.content);
      this.i++;
      setKey(out, key, this.value(rest, indent, true));
    }
    const l = this.peek();
    if (l && l.indent > indent) bail();
    return out;
  }

  private seq(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let l = this.peek(); l && l.indent === indent; l = this.peek()) {
      if (l.content === "-") {
        this.i++;
        out.push(this.value("", indent, false));
        continue;
      }
      if (!l.content.startsWith("- ")) break;
      const rest = l.content.slice(2);
      const item = rest.replace(/^ +/, "");
      const pad = rest.length - item.length;
      if (item === "" || item[0] === "#") {
        this.i++;
        out.push(this.value("", indent, false));
        continue;
      }
      const column = indent + 2 + pad;
      if (item === "-" || item.startsWith("- ") || isEntry(item)) {
        // A compact nested collection: read the rest of this line as if it began the next one.
        this.lines[this.i] = { indent: column, content: item };
        out.push(this.node(column));
        continue;
      }
      this.i++;
      out.push(this.inline(item));
      const next = this.peek();
      if (next && next.indent > indent) bail();
    }
    const l = this.peek();
    if (l && l.indent > indent) bail();
    return out;
  }

  /** `key: rest` -> [key, rest]. */
  private entry(content: string): [string, string] {
    let key: unknown;
    let after: number;
    if (content[0] === '"' || content[0] === "'") {
      const q = quoted(content);
      key = q.value;
      after = q.end;
      while (content[after] === " ") after++;
      if (content[after] !== ":" || (after + 1 < content.length && content[after + 1] !== " ")) {
        bail();
      }
      after++;
    } else {
      const end = keyEnd(content);
      if (end < 0) bail();
      const text = content.slice(0, end).replace(/ +$/, "");
      if (PLAIN_START_FORBIDDEN.test(text) || text === "<<" || text.includes(" #")) bail();
      key = this.resolve(text);
      after = end + 1;
    }
    return [this.mapKey(key), content.slice(after).replace(/^ +/, "")];
  }

  /** The value after `key:` or `-`: inline, or on the lines below. */
  private value(rest: string, indent: number, inMap: boolean): unknown {
    if (rest !== "" && rest[0] !== "#") {
      const value = this.inline(rest);
      const next = this.peek();
      if (next && next.indent > indent) bail();
      return value;
    }
    const next = this.peek();
    if (!next) return null;
    if (next.indent > indent) return this.node(next.indent);
    if (
      inMap &&
      next.indent === indent &&
      (next.content === "-" || next.content.startsWith("- "))
    ) {
      return this.seq(indent);
    }
    return null;
  }

  /** A value on the rest of a line. */
  private inline(text: string): unknown {
    const c = text[0];
    if (c === '"' || c === "'") {
      const q = quoted(text);
      const tail = text.slice(q.end).replace(/^ +| +$/g, "");
      if (tail !== "" && tail[0] !== "#") bail();
      return q.value;
    }
    if (c === "[" || c === "{") return flow(text, this.resolve);
    if (PLAIN_START_FORBIDDEN.test(text)) bail();
    const comment = text.indexOf(" #");
    const plain = (comment >= 0 ? text.slice(0, comment) : text).replace(/ +$/, "");
    if (plain.includes(": ") || plain.endsWith(":")) bail();
    return this.resolve(plain);
  }
}

/** Where the `:` of a plain `key: value` (or `key:`) is, or -1. */
function keyEnd(content: string): number {
  if (content[0] === '"' || content[0] === "'") return -1;
  for (let i = content.indexOf(":"); i >= 0; i = content.indexOf(":", i + 1)) {
    if (i + 1 === content.length || content[i + 1] === " ") {
      const hash = content.indexOf(" #");
      return hash >= 0 && hash < i ? -1 : i;
    }
  }
  return -1;
}

/** A quoted scalar that ends on its line: its value and the index after the closing quote. */
function quoted(text: string): { value: string; end: number } {
  if (text[0] === "'") {
    let value = "";
    for (let i = 1; i < text.length; i++) {
      if (text[i] === "'") {
        if (text[i + 1] === "'") {
          value += "'";
          i++;
          continue;
        }
        return { value, end: i + 1 };
      }
      value += text[i];
    }
    return bail();
  }
  let i = 1;
  let escapes = false;
  for (; i < text.length; i++) {
    if (text[i] === "\\") {
      escapes = true;
      i++;
    } else if (text[i] === '"') {
      break;
    }
  }
  if (i >= text.length) bail();
  const inner = text.slice(1, i);
  if (!escapes) return { value: inner, end: i + 1 };
  // YAML's double-quoted escapes include JSON's; anything beyond them goes to the full parser.
  try {
    return { value: JSON.parse(`"${inner}"`) as string, end: i + 1 };
  } catch {
    return bail();
  }
}

/** `[]`, `{}`, or `[a, b, c]` of plain scalars, on one line. */
function flow(text: string, resolve: Resolve): unknown {
  const close = text[0] === "[" ? "]" : "}";
  const end = text.indexOf(close);
  if (end < 0) bail();
  const tail = text.slice(end + 1).replace(/^ +| +$/g, "");
  if (tail !== "" && tail[0] !== "#") bail();
  const inner = text.slice(1, end).replace(/^ +| +$/g, "");
  if (inner === "") return close === "]" ? [] : {};
  if (close === "}" || /[[\]{}"'#:&*!|>%@`?]/.test(inner)) bail();
  return inner.split(",").map((item) => {
    const plain = item.replace(/^ +| +$/g, "");
    if (plain === "" || PLAIN_START_FORBIDDEN.test(plain)) bail();
    return resolve(plain);
  });
}

/**
 * The value of one document's text, or NOT_HANDLED. `resolve` turns a plain scalar into its value
 * and `mapKey` a key's value into the JSON key, as the full reader does.
 */
export function readBlockYaml(text: string, resolve: Resolve, mapKey: MapKey): unknown {
  if (text.includes("\t") || /^(---|\.\.\.|%)/m.test(text) || text.includes("\r")) {
    return NOT_HANDLED;
  }
  const lines = text.split("\n").map((r) => {
    const content = r.replace(/^ +/, "");
    return { indent: r.length - content.length, content: content.replace(/ +$/, "") };
  });
  try {
    return new BlockReader(lines, resolve, mapKey).document();
  } catch {
    // Not handled here, or an error the full parser reports with its place.
    return NOT_HANDLED;
  }
}
