// Kubernetes objects from YAML or JSON manifests: multi-document files as `kubectl` and
// `helm template` write them, and `kind: List` (as `kubectl get -o yaml` writes it).
import { parseAllDocuments } from "yaml";
import { isRecord } from "./kube/fields";
import type { KubeObject } from "./kube/objects";

/** A file that cannot be read or parsed; the message names the file. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

function collect(value: unknown, out: KubeObject[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out);
    return;
  }
  if (!isRecord(value) || typeof value.kind !== "string") return;
  if (/List$/.test(value.kind) && Array.isArray(value.items)) {
    collect(value.items, out);
    return;
  }
  out.push(value);
}

/** Every object of a manifest text; throws ManifestError naming `file` on invalid YAML. */
export function parseManifests(text: string, file: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const where = e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : "";
      const message = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
      throw new ManifestError(`${file}${where}: invalid YAML: ${message}`);
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      throw new ManifestError(`${file}: invalid YAML: ${err instanceof Error ? err.message : err}`);
    }
    collect(value, out);
  }
  return out;
}
