// How a value that is unknown during `pulumi preview` looks to a rule, without importing Pulumi.
//
// The Pulumi engine marshals a computed property with the sentinel strings below (the Go SDK's
// `resource/plugin` package, KeepUnknowns); @pulumi/policy's deserializer keeps them as plain
// strings and only its props proxy throws when one is read. The pack's adapter unwraps that proxy,
// so rules see the raw sentinels and decide for themselves: a rule that needs an unknown value
// reports a note instead of a violation.

/** The sentinel of an unknown string: by far the most common unknown in Kubernetes props. */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Every unknown sentinel, by the type of the value it stands for. */
export const UNKNOWN_SENTINELS: Readonly<Record<string, string>> = {
  boolean: "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  number: "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  string: UNKNOWN_STRING,
  array: "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  asset: "030794c1-ac77-496b-92df-f27374a8bd58",
  archive: "e48ece36-62e2-4504-bad9-02848725956a",
  object: "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
};

const SENTINELS = new Set(Object.values(UNKNOWN_SENTINELS));

/** True for a value that is unknown during preview. */
export function isUnknown(value: unknown): boolean {
  return typeof value === "string" && SENTINELS.has(value);
}

/** Thrown by the readers in fields.ts when a rule needs a value that is unknown. */
export class UnknownValueError extends Error {
  constructor(readonly path: string) {
    super(`could not check ${path}: value unknown during preview`);
    this.name = "UnknownValueError";
  }
}

/** True if the value, or anything inside it, is unknown. */
export function containsUnknown(value: unknown, depth = 0): boolean {
  if (isUnknown(value)) return true;
  if (depth > 64 || value === null || typeof value !== "object") return false;
  const children = Array.isArray(value) ? value : Object.values(value);
  return children.some((v) => containsUnknown(v, depth + 1));
}
