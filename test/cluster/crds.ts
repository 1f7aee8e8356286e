// Upstream CRDs on a test cluster, as their projects' Go modules publish them: fetched through the
// Go module proxy with `go mod download`, read from the module's YAML and applied with server-side
// apply when the cluster does not serve their kinds yet. Only the APIs: no controller comes with
// them. CRDs are cluster-scoped and shared by every suite: once installed they stay.
import { spawnSync } from "child_process";
import { existsSync, readFileSync } from "fs";
import * as YAML from "yaml";
import { Kube, KubeObject, waitFor } from "./kube";

/** The `go` binary: on the PATH, or where .ci/run and the Go tarball put it. */
function goBinary(): string | undefined {
  const onPath = spawnSync("sh", ["-c", "command -v go"], { encoding: "utf8" });
  if (onPath.status === 0) return onPath.stdout.trim();
  return existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : undefined;
}

/**
 * The directory of `module@version` in the Go module cache, downloading it through the module
 * proxy; `what` says what the suite fetches from it, for the message when Go is missing.
 */
export function goModuleDir(module: string, version: string, what: string): string {
  const go = goBinary();
  if (!go) {
    throw new Error(
      `no go on the PATH: it fetches ${what} from ${module}; install Go (or put /usr/local/go/bin on the PATH)`,
    );
  }
  const r = spawnSync(go, ["mod", "download", "-json", `${module}@${version}`], {
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "-mod=mod" },
    timeout: 300_000,
  });
  let info: { Dir?: string; Error?: string } = {};
  try {
    info = JSON.parse(r.stdout);
  } catch {
    // not JSON: the message is on stderr
  }
  if (r.status !== 0 || !info.Dir) {
    throw new Error(
      `go mod download ${module}@${version} failed: ${info.Error ?? r.stderr ?? r.error}`,
    );
  }
  return info.Dir;
}

/** The CustomResourceDefinitions of a YAML file (other documents are left out). */
export function crdsOfFile(file: string): KubeObject[] {
  return YAML.parseAllDocuments(readFileSync(file, "utf8"))
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => !!o && o.kind === "CustomResourceDefinition");
}

/** A line that is only a Helm template action: `{{- if ... }}`, `{{- end }}`, `{{- include }}`. */
const HELM_ACTION_LINE = /^\s*\{\{.*\}\}\s*$/;

/**
 * The CustomResourceDefinitions of a Helm chart template whose template actions only wrap plain
 * YAML, each on a line of its own (as a chart's CRD templates do: an `if` around the file, labels
 * from an `include`): those lines dropped. Refuses a template with an action inside a YAML line,
 * which dropping lines cannot render. What the actions would have filled in (labels, annotations)
 * is missing: compare the `spec`s only.
 */
export function crdsOfHelmTemplate(file: string): KubeObject[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const inline = lines.findIndex((l) => l.includes("{{") && !HELM_ACTION_LINE.test(l));
  if (inline >= 0) {
    throw new Error(
      `${file}:${inline + 1}: a template action inside a YAML line: ${lines[inline]}`,
    );
  }
  return YAML.parseAllDocuments(lines.filter((l) => !HELM_ACTION_LINE.test(l)).join("\n"))
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => !!o && o.kind === "CustomResourceDefinition");
}

/** The kinds the cluster serves in `groupVersion` (e.g. `snapshot.storage.k8s.io/v1`), or []. */
export async function servedKinds(kube: Kube, groupVersion: string): Promise<string[]> {
  try {
    const { object } = await kube.request<{ resources: { kind: string; name: string }[] }>(
      "GET",
      `/apis/${groupVersion}`,
    );
    return object.resources.filter((r) => !r.name.includes("/")).map((r) => r.kind);
  } catch {
    return [];
  }
}

/**
 * Makes sure the cluster serves every one of `kinds` in `groupVersion`: when it does not, applies
 * the CRDs `load` returns and waits until they are served. Returns what it did.
 */
export async function ensureCrds(
  kube: Kube,
  want: { groupVersion: string; kinds: string[]; source: string; load: () => KubeObject[] },
): Promise<string> {
  const serves = async () => {
    const served = await servedKinds(kube, want.groupVersion);
    return want.kinds.every((k) => served.includes(k));
  };
  if (await serves()) return "the cluster already serves them";
  for (const crd of want.load()) await kube.apply(crd);
  await waitFor(
    `the CRDs of ${want.kinds.join(", ")} (${want.groupVersion}) to be established and served`,
    async () => ((await serves()) ? true : undefined),
    60_000,
  );
  return `installed from ${want.source}`;
}

interface Crd extends KubeObject {
  spec: { group: string; names: { kind: string }; versions: { name: string; served: boolean }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

/**
 * What keeps the cluster's CRDs from serving objects of `apiVersion` and `kind` (one line each), or
 * []: a CRD of that group and kind, established, serving that version.
 */
export async function crdProblems(
  kube: Kube,
  objects: { apiVersion: string; kind: string }[],
): Promise<string[]> {
  const crds = await kube.list<Crd>("apiextensions.k8s.io/v1", "CustomResourceDefinition");
  const wanted = new Set(objects.map((o) => `${o.apiVersion} ${o.kind}`));
  const problems: string[] = [];
  for (const w of wanted) {
    const [apiVersion, kind] = w.split(" ");
    const [group, version] = apiVersion.split("/");
    const crd = crds.find((c) => c.spec.group === group && c.spec.names.kind === kind);
    if (!crd) {
      problems.push(`${kind}: no CRD of group ${group}`);
      continue;
    }
    const established = crd.status?.conditions?.some(
      (c) => c.type === "Established" && c.status === "True",
    );
    if (!established) problems.push(`${kind}: CRD ${crd.metadata.name} is not established`);
    if (!crd.spec.versions.some((v) => v.name === version && v.served)) {
      problems.push(`${kind}: CRD ${crd.metadata.name} does not serve ${version}`);
    }
  }
  return problems;
}
