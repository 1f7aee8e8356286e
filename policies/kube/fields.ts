// Tolerant, unknown-aware readers over plain objects. A rule walks an object with `Field`s: a
// missing or malformed value reads as undefined (never a throw), and reading a value that is unknown
// during preview throws UnknownValueError naming the field, which the runner turns into a note.
import { isUnknown, UnknownValueError } from "./unknown";

const SIMPLE_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function hasOwn(value: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(value, key);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value inside an object, with the path that names it in messages. */
export class Field {
  private constructor(
    private readonly raw: unknown,
    /** The path in messages, e.g. `spec.template.spec.containers[0].image`. */
    readonly path: string,
  ) {}

  /** The object itself; `prefix` names it in paths (e.g. `Service "redis" `). */
  static root(value: unknown, prefix = ""): Field {
    return new Field(value, prefix);
  }

  private join(key: string | number): string {
    if (typeof key === "number") return `${this.path}[${key}]`;
    const sep = this.path === "" || this.path.endsWith(" ") ? "" : ".";
    return SIMPLE_KEY.test(key)
      ? `${this.path}${sep}${key}`
      : `${this.path}[${JSON.stringify(key)}]`;
  }

  /** The child field; reading through an unknown value throws. */
  at(key: string): Field {
    const v = this.value();
    const child = isRecord(v) && hasOwn(v, key) ? v[key] : undefined;
    return new Field(child, this.join(key));
  }

  /** The value; throws UnknownValueError if it is unknown. */
  value(): unknown {
    if (isUnknown(this.raw)) throw new UnknownValueError(this.path);
    return this.raw;
  }

  /** True if the value is neither undefined nor null. */
  isSet(): boolean {
    const v = this.value();
    return v !== undefined && v !== null;
  }

  str(): string | undefined {
    const v = this.value();
    return typeof v === "string" ? v : undefined;
  }

  num(): number | undefined {
    const v = this.value();
    return typeof v === "number" && Number.isFinite(v) ? v : undefined;
  }

  bool(): boolean | undefined {
    const v = this.value();
    return typeof v === "boolean" ? v : undefined;
  }

  /** The elements of an array (none for anything else). */
  items(): Field[] {
    const v = this.value();
    return Array.isArray(v) ? v.map((e, i) => new Field(e, this.join(i))) : [];
  }

  /** The entries of an object (none for anything else). */
  entries(): [string, Field][] {
    const v = this.value();
    return isRecord(v) ? Object.keys(v).map((k) => [k, new Field(v[k], this.join(k))]) : [];
  }

  /** String array elements; unknown elements throw, other non-strings are skipped. */
  strings(): string[] {
    const out: string[] = [];
    for (const item of this.items()) {
      const s = item.str();
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  /** A map of string values (labels, selectors); unknown values throw, others are skipped. */
  stringMap(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, f] of this.entries()) {
      const s = f.str();
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
}

/** `"a", "b"`: for lists in messages. */
export function quoteList(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(", ");
}
