// Every object of a stack (or of a set of manifest files), indexed once so that stack rules look up
// the Service, PodDisruptionBudgets and NetworkPolicies of a StatefulSet without scanning all
// objects per StatefulSet. Selector-based lookups index each selector under its rarest
// `key=value` pair in its namespace, so a lookup costs the pod's label count plus the few
// candidates that share that pair.
import { Field } from "./fields";
import {
  isKind,
  KINDS,
  KubeObject,
  nameIsUnknown,
  namespaceOf,
  nameOf,
  versionOf,
} from "./objects";
import { isEmptySelector, LabelSelector, mapSelector, readSelector, selects } from "./selectors";
import { UnknownValueError } from "./unknown";

/** A lookup result: `uncertain` says an unknown value might have changed the answer. */
export interface Lookup<T> {
  matches: T[];
  uncertain: boolean;
}

interface Entry<T> {
  selector: LabelSelector | "unknown";
  item: T;
}

const PAIR_SEP = "\u0000";

class NamespaceBucket<T> {
  readonly entries: Entry<T>[] = [];
  private byPair?: Map<string, Entry<T>[]>;
  private scan: Entry<T>[] = [];
  private unknownSelectors = 0;

  private build(): Map<string, Entry<T>[]> {
    const counts = new Map<string, number>();
    for (const e of this.entries) {
      if (e.selector === "unknown") continue;
      for (const [k, v] of Object.entries(e.selector.matchLabels)) {
        const pair = k + PAIR_SEP + v;
        counts.set(pair, (counts.get(pair) ?? 0) + 1);
      }
    }
    const byPair = new Map<string, Entry<T>[]>();
    for (const e of this.entries) {
      if (e.selector === "unknown") {
        this.unknownSelectors++;
        continue;
      }
      let rarest: string | undefined;
      for (const [k, v] of Object.entries(e.selector.matchLabels)) {
        const pair = k + PAIR_SEP + v;
        if (rarest === undefined || (counts.get(pair) ?? 0) < (counts.get(rarest) ?? 0)) {
          rarest = pair;
        }
      }
      if (rarest === undefined) {
        this.scan.push(e);
      } else {
        const list = byPair.get(rarest);
        if (list) list.push(e);
        else byPair.set(rarest, [e]);
      }
    }
    this.byPair = byPair;
    return byPair;
  }

  match(labels: Record<string, string>): Lookup<T> {
    const byPair = this.byPair ?? this.build();
    const matches: T[] = [];
    for (const k of Object.keys(labels)) {
      const candidates = byPair.get(k + PAIR_SEP + labels[k]);
      if (!candidates) continue;
      for (const e of candidates) {
        if (e.selector !== "unknown" && selects(e.selector, labels)) matches.push(e.item);
      }
    }
    for (const e of this.scan) {
      if (e.selector !== "unknown" && selects(e.selector, labels)) matches.push(e.item);
    }
    return { matches, uncertain: this.unknownSelectors > 0 };
  }
}

/** Objects found by a label selector, per namespace. */
export class SelectorIndex<T> {
  private readonly buckets = new Map<string, NamespaceBucket<T>>();
  private readonly unknownNamespace: Entry<T>[] = [];

  /** `namespace` undefined: unknown during preview. */
  add(namespace: string | undefined, selector: LabelSelector | "unknown", item: T): void {
    const entry = { selector, item };
    if (namespace === undefined) {
      this.unknownNamespace.push(entry);
      return;
    }
    let bucket = this.buckets.get(namespace);
    if (!bucket) {
      bucket = new NamespaceBucket<T>();
      this.buckets.set(namespace, bucket);
    }
    bucket.entries.push(entry);
  }

  match(namespace: string, labels: Record<string, string>): Lookup<T> {
    const bucket = this.buckets.get(namespace);
    const result = bucket ? bucket.match(labels) : { matches: [], uncertain: false };
    if (!result.uncertain) {
      result.uncertain = this.unknownNamespace.some(
        (e) => e.selector === "unknown" || selects(e.selector, labels),
      );
    }
    return result;
  }
}

function tryRead<T>(read: () => T): T | "unknown" {
  try {
    return read();
  } catch (e) {
    if (e instanceof UnknownValueError) return "unknown";
    throw e;
  }
}

/** Services by namespace and name. */
class ServiceIndex {
  private readonly byNamespace = new Map<string, Map<string, KubeObject>>();
  /** Namespaces with a Service whose name is unknown during preview. */
  private readonly unnamed = new Set<string>();
  private readonly unknownNamespaceNames = new Set<string>();
  private unknownNamespaceUnnamed = false;
  private readonly namespacesByName = new Map<string, string[]>();

  add(obj: KubeObject): void {
    const ns = namespaceOf(obj);
    const name = nameOf(obj);
    // A Service without a name (only generateName) gets a random one: nothing can name it.
    if (name === undefined && !nameIsUnknown(obj)) return;
    if (ns === undefined) {
      if (name === undefined) this.unknownNamespaceUnnamed = true;
      else this.unknownNamespaceNames.add(name);
      return;
    }
    if (name === undefined) {
      this.unnamed.add(ns);
      return;
    }
    const where = this.namespacesByName.get(name);
    if (where) where.push(ns);
    else this.namespacesByName.set(name, [ns]);
    let names = this.byNamespace.get(ns);
    if (!names) {
      names = new Map();
      this.byNamespace.set(ns, names);
    }
    names.set(name, obj);
  }

  get(namespace: string, name: string): { service?: KubeObject; uncertain: boolean } {
    const service = this.byNamespace.get(namespace)?.get(name);
    if (service) return { service, uncertain: false };
    const uncertain =
      this.unnamed.has(namespace) ||
      this.unknownNamespaceUnnamed ||
      this.unknownNamespaceNames.has(name);
    return { uncertain };
  }

  /** The namespaces that have a Service of this name, sorted. */
  namespacesOf(name: string): string[] {
    return [...new Set(this.namespacesByName.get(name) ?? [])].sort();
  }
}

/**
 * Objects of one kind by namespace (claims, VolumeSnapshots, Certificates). A namespace holding an
 * object whose name is unknown, or any object whose namespace is unknown, makes every answer for
 * that namespace uncertain. An object whose name is unknown is still listed: rules that match on
 * its spec (a VolumeSnapshot's source) need it, and lookups by name skip it (its name reads as
 * undefined).
 */
class NamespacedIndex {
  private readonly byNamespace = new Map<string, KubeObject[]>();
  private readonly unnamed = new Set<string>();
  private unknownNamespace = false;

  add(obj: KubeObject): void {
    const ns = namespaceOf(obj);
    if (ns === undefined) {
      this.unknownNamespace = true;
      return;
    }
    if (nameIsUnknown(obj)) this.unnamed.add(ns);
    const list = this.byNamespace.get(ns);
    if (list) list.push(obj);
    else this.byNamespace.set(ns, [obj]);
  }

  /** True when an object of the kind has a namespace unknown during preview (it may be in any). */
  namespaceUnknown(): boolean {
    return this.unknownNamespace;
  }

  /** True when the stack holds no object of the kind at all (so no lookup can find one). */
  isEmpty(): boolean {
    return this.byNamespace.size === 0 && this.unnamed.size === 0 && !this.unknownNamespace;
  }

  inNamespace(namespace: string): Lookup<KubeObject> {
    return {
      matches: this.byNamespace.get(namespace) ?? [],
      uncertain: this.unknownNamespace || this.unnamed.has(namespace),
    };
  }
}

/** The objects of one analysis; each index is built on first use, once. */
export class StackIndex {
  private services?: ServiceIndex;
  private budgets?: SelectorIndex<KubeObject>;
  private netpols?: SelectorIndex<KubeObject>;
  private selectingServices?: SelectorIndex<KubeObject>;
  private monitors?: { monitor: KubeObject; covers: string[] | "any" | "unknown" }[];
  private namespaced = new Map<string, NamespacedIndex>();

  constructor(readonly objects: readonly KubeObject[]) {}

  static readonly EMPTY = new StackIndex([]);

  private ofKind(type: { group: string; kind: string }): KubeObject[] {
    return this.objects.filter((o) => isKind(o, type.group, type.kind));
  }

  private serviceIndex(): ServiceIndex {
    if (!this.services) {
      this.services = new ServiceIndex();
      for (const s of this.ofKind(KINDS.Service)) this.services.add(s);
    }
    return this.services;
  }

  /** The core Service `name` in `namespace`. */
  service(namespace: string, name: string): { service?: KubeObject; uncertain: boolean } {
    return this.serviceIndex().get(namespace, name);
  }

  /** The namespaces that have a core Service named `name`. */
  serviceNamespaces(name: string): string[] {
    return this.serviceIndex().namespacesOf(name);
  }

  /** PodDisruptionBudgets whose selector selects pods with these labels (policy/v1 semantics). */
  disruptionBudgets(namespace: string, labels: Record<string, string>): Lookup<KubeObject> {
    if (!this.budgets) {
      const index = new SelectorIndex<KubeObject>();
      for (const pdb of this.ofKind(KINDS.PodDisruptionBudget)) {
        const selector = tryRead(() => readSelector(Field.root(pdb).at("spec").at("selector")));
        // A budget without a selector selects no pod; an empty selector selects every pod in
        // policy/v1, and none in policy/v1beta1.
        if (selector === undefined) continue;
        if (selector !== "unknown" && isEmptySelector(selector) && versionOf(pdb) === "v1beta1") {
          continue;
        }
        index.add(namespaceOf(pdb), selector, pdb);
      }
      this.budgets = index;
    }
    return this.budgets.match(namespace, labels);
  }

  private namespacedIndex(type: { group: string; kind: string }): NamespacedIndex {
    const key = `${type.group}/${type.kind}`;
    let index = this.namespaced.get(key);
    if (!index) {
      index = new NamespacedIndex();
      for (const o of this.ofKind(type)) index.add(o);
      this.namespaced.set(key, index);
    }
    return index;
  }

  /** The PersistentVolumeClaims of a namespace (made in the stack, not by a StatefulSet). */
  claims(namespace: string): Lookup<KubeObject> {
    return this.namespacedIndex(KINDS.PersistentVolumeClaim).inNamespace(namespace);
  }

  /** True when the stack makes any PersistentVolumeClaim. */
  hasClaims(): boolean {
    return !this.namespacedIndex(KINDS.PersistentVolumeClaim).isEmpty();
  }

  /** The VolumeSnapshots of a namespace. */
  volumeSnapshots(namespace: string): Lookup<KubeObject> {
    return this.namespacedIndex(KINDS.VolumeSnapshot).inNamespace(namespace);
  }

  /** True when the stack makes any VolumeSnapshot. */
  hasVolumeSnapshots(): boolean {
    return !this.namespacedIndex(KINDS.VolumeSnapshot).isEmpty();
  }

  /**
   * The cert-manager Certificates of a namespace. They are matched on their spec (the Secret they
   * write), so one whose name is unknown is listed and leaves nothing open: only one whose
   * namespace is unknown makes the answer uncertain.
   */
  certificates(namespace: string): Lookup<KubeObject> {
    const index = this.namespacedIndex(KINDS.Certificate);
    return { matches: index.inNamespace(namespace).matches, uncertain: index.namespaceUnknown() };
  }

  /** True when the stack makes any cert-manager Certificate. */
  hasCertificates(): boolean {
    return !this.namespacedIndex(KINDS.Certificate).isEmpty();
  }

  /** NetworkPolicies whose podSelector selects pods with these labels (empty: every pod). */
  networkPolicies(namespace: string, labels: Record<string, string>): Lookup<KubeObject> {
    if (!this.netpols) {
      const index = new SelectorIndex<KubeObject>();
      for (const np of this.ofKind(KINDS.NetworkPolicy)) {
        const selector = tryRead(() => readSelector(Field.root(np).at("spec").at("podSelector")));
        index.add(namespaceOf(np), selector ?? mapSelector({}), np);
      }
      this.netpols = index;
    }
    return this.netpols.match(namespace, labels);
  }

  /**
   * Services whose `spec.selector` selects pods with these labels (a Service without a selector,
   * or with an empty one, selects no pod: its endpoints are managed by hand).
   */
  servicesSelecting(namespace: string, labels: Record<string, string>): Lookup<KubeObject> {
    if (!this.selectingServices) {
      const index = new SelectorIndex<KubeObject>();
      for (const s of this.ofKind(KINDS.Service)) {
        const selector = tryRead(() => Field.root(s).at("spec").at("selector").stringMap());
        if (selector !== "unknown" && Object.keys(selector).length === 0) continue;
        index.add(namespaceOf(s), selector === "unknown" ? "unknown" : mapSelector(selector), s);
      }
      this.selectingServices = index;
    }
    return this.selectingServices.match(namespace, labels);
  }

  /**
   * ServiceMonitors that discover Services in `namespace`: those of that namespace, and those whose
   * `namespaceSelector` names it (`matchNames`) or every namespace (`any: true`).
   */
  serviceMonitors(namespace: string): Lookup<KubeObject> {
    const matches: KubeObject[] = [];
    let uncertain = false;
    for (const { monitor, covers } of this.monitorIndex()) {
      if (covers === "unknown") uncertain = true;
      else if (covers === "any" || covers.includes(namespace)) matches.push(monitor);
    }
    return { matches, uncertain };
  }

  /** Whether the stack has any ServiceMonitor at all (most have none). */
  hasServiceMonitors(): boolean {
    return this.monitorIndex().length > 0;
  }

  private monitorIndex(): { monitor: KubeObject; covers: string[] | "any" | "unknown" }[] {
    if (!this.monitors) {
      this.monitors = this.ofKind(KINDS.ServiceMonitor).map((monitor) => ({
        monitor,
        covers: tryRead(() => monitoredNamespaces(monitor)),
      }));
    }
    return this.monitors;
  }
}

/** The namespaces a ServiceMonitor discovers Services in; throws when that is unknown. */
function monitoredNamespaces(monitor: KubeObject): string[] | "any" {
  const selector = Field.root(monitor).at("spec").at("namespaceSelector");
  if (selector.at("any").bool() === true) return "any";
  const names = selector.at("matchNames").strings();
  if (names.length > 0) return names;
  const own = namespaceOf(monitor);
  if (own === undefined) throw new UnknownValueError("metadata.namespace");
  return [own];
}
