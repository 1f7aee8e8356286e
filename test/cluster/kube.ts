// A small client for the cluster suite, over @kubernetes/client-node's KubeConfig (credentials,
// TLS, proxies) and Watch. Writes go out as raw JSON: KubernetesObjectApi serializes through its
// typed models, which silently drop the fields they do not know, so strict field validation would
// never see an unknown field. Reads come back as the server sent them (timestamps are strings).
import * as http from "http";
import * as https from "https";
import * as k8s from "@kubernetes/client-node";

/** The field manager of every write the suite makes. */
export const FIELD_MANAGER = "stateful-cluster-test";

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  creationTimestamp?: string;
  deletionTimestamp?: string;
  resourceVersion?: string;
  generation?: number;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

/** Any Kubernetes object; the fields a test reads are typed where it reads them. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

interface StatusCause {
  field?: string;
  message?: string;
  reason?: string;
}

/** A refusal by the API server, with its status code, reason and message as the server gave them. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly causes: StatusCause[],
  ) {
    super(message);
  }
}

interface Resource {
  plural: string;
  namespaced: boolean;
}

export interface Reply<T> {
  object: T;
  /** The `Warning` headers of the reply (e.g. Pod Security warnings on workload objects). */
  warnings: string[];
}

export class Kube {
  private readonly resources = new Map<string, Map<string, Resource>>();

  constructor(readonly kc: k8s.KubeConfig) {}

  /** The context the suite talks to, and its server, for messages. */
  describe(): string {
    return `context '${this.kc.getCurrentContext()}' (${this.kc.getCurrentCluster()?.server})`;
  }

  /** Sends one request; resolves with the parsed body and warnings, or rejects with ApiError. */
  async request<T>(
    method: string,
    path: string,
    options: { query?: Record<string, string>; body?: unknown; contentType?: string } = {},
  ): Promise<Reply<T>> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    const url = new URL(cluster.server.replace(/\/$/, "") + path);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const opts: https.RequestOptions = { method, headers: { Accept: "application/json" } };
    await this.kc.applyToHTTPSOptions(opts);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (body !== undefined) {
      opts.headers = {
        ...opts.headers,
        "Content-Type": options.contentType ?? "application/json",
        "Content-Length": Buffer.byteLength(body),
      };
    }
    const transport = url.protocol === "http:" ? http : https;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            // not JSON: keep the text for the message
          }
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) {
            const w = res.headers["warning"];
            const warnings = (Array.isArray(w) ? w : w ? [w] : []).map((s) =>
              s.replace(/^299 - "?|"$/g, "").replace(/\\"/g, '"'),
            );
            resolve({ object: parsed as T, warnings });
          } else {
            const status = (typeof parsed === "object" ? parsed : {}) as {
              reason?: string;
              message?: string;
              details?: { causes?: StatusCause[] };
            };
            reject(
              new ApiError(
                code,
                status.reason ?? "",
                `${method} ${url.pathname}: ${code} ${status.reason ?? ""}: ${status.message ?? text}`,
                status.details?.causes ?? [],
              ),
            );
          }
        });
      });
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${url.pathname}: no answer`)));
      req.on("error", reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** The REST resource of apiVersion/kind, from the server's discovery (cached). */
  async resource(apiVersion: string, kind: string): Promise<Resource> {
    let kinds = this.resources.get(apiVersion);
    if (!kinds) {
      const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const { object } = await this.request<{
        resources: { name: string; kind: string; namespaced: boolean }[];
      }>("GET", base);
      kinds = new Map(
        object.resources
          .filter((r) => !r.name.includes("/"))
          .map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }]),
      );
      this.resources.set(apiVersion, kinds);
    }
    const r = kinds.get(kind);
    if (!r) throw new Error(`the cluster serves no ${kind} in ${apiVersion}`);
    return r;
  }

  /** The REST path of a collection (no name) or an object. */
  async path(apiVersion: string, kind: string, namespace?: string, name?: string): Promise<string> {
    const r = await this.resource(apiVersion, kind);
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    if (r.namespaced && !namespace) throw new Error(`${kind} ${name ?? ""} needs a namespace`);
    const ns = r.namespaced ? `/namespaces/${namespace}` : "";
    return `${base}${ns}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ""}`;
  }

  private objectPath(o: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): Promise<string> {
    return this.path(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);
  }

  /** Server-side apply with strict field validation (and a server dry run when asked). */
  async apply<T extends KubeObject>(manifest: KubeObject, dryRun = false): Promise<Reply<T>> {
    const query: Record<string, string> = {
      fieldManager: FIELD_MANAGER,
      force: "true",
      fieldValidation: "Strict",
    };
    if (dryRun) query.dryRun = "All";
    return this.request<T>("PATCH", await this.objectPath(manifest), {
      query,
      body: manifest,
      contentType: "application/apply-patch+yaml",
    });
  }

  /** A JSON merge patch (what `kubectl patch --type merge` sends). */
  async mergePatch<T extends KubeObject>(
    o: Pick<KubeObject, "apiVersion" | "kind" | "metadata">,
    patch: unknown,
  ): Promise<T> {
    const path = await this.objectPath(o);
    const query = { fieldManager: FIELD_MANAGER, fieldValidation: "Strict" };
    const reply = await this.request<T>("PATCH", path, {
      query,
      body: patch,
      contentType: "application/merge-patch+json",
    });
    return reply.object;
  }

  async get<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<T> {
    return (await this.request<T>("GET", await this.path(apiVersion, kind, namespace, name)))
      .object;
  }

  /** The object, or undefined when the server says NotFound. */
  async find<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(apiVersion, kind, namespace, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    namespace?: string,
    selectors: { labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<T[]> {
    const query = Object.fromEntries(Object.entries(selectors).filter(([, v]) => !!v));
    const path = await this.path(apiVersion, kind, namespace);
    return (await this.request<{ items: T[] }>("GET", path, { query })).object.items;
  }

  /** Deletes an object (NotFound is fine) with the given propagation policy and grace period. */
  async delete(
    o: Pick<KubeObject, "apiVersion" | "kind" | "metadata">,
    propagationPolicy: "Background" | "Foreground" | "Orphan" = "Background",
    gracePeriodSeconds?: number,
  ): Promise<void> {
    const query: Record<string, string> = { propagationPolicy };
    if (gracePeriodSeconds !== undefined) query.gracePeriodSeconds = String(gracePeriodSeconds);
    try {
      await this.request("DELETE", await this.objectPath(o), { query });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }

  /**
   * Watches a collection from now on, calling `onEvent` for each change; returns a stop function.
   * Events carry the object as the server sent it.
   */
  async watch<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    onEvent: (type: string, object: T) => void,
    labelSelector?: string,
  ): Promise<() => void> {
    const path = await this.path(apiVersion, kind, namespace);
    const query: Record<string, string> = labelSelector ? { labelSelector } : {};
    let stopped = false;
    let controller: AbortController | undefined;
    const start = async (): Promise<void> => {
      controller = await new k8s.Watch(this.kc).watch(
        path,
        query,
        (type, object) => onEvent(type, object as T),
        () => {
          // the server ends watches after a while: resume unless stopped
          if (!stopped) void start().catch(() => undefined);
        },
      );
    };
    await start();
    return () => {
      stopped = true;
      controller?.abort();
    };
  }
}

/** Thrown by a wait's check to fail the wait at once instead of retrying. */
export class StopWaiting extends Error {}

/**
 * Polls `check` until it returns something other than undefined; throws after `ms`, or at once when
 * `check` throws StopWaiting.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms: number,
  every = 500,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
      last = undefined;
    } catch (err) {
      if (err instanceof StopWaiting) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : "";
      throw new Error(`timed out after ${ms / 1000}s waiting for ${what}${why}`);
    }
    await sleep(every);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
