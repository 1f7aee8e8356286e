// What the end-to-end test needs of the outside world: a Pulumi CLI, a reachable cluster, and small
// helpers over @kubernetes/client-node. Nothing here is faked: without the CLI or the cluster the
// test is skipped and says what is missing.
import { spawnSync } from "child_process";
import { Writable } from "stream";
import * as k8s from "@kubernetes/client-node";

/** The env variable that names the kubeconfig context to test against. */
export const CONTEXT_ENV = "E2E_KUBE_CONTEXT";
/** The env variable that names the StorageClass the test's claims use (default `standard`). */
export const STORAGE_CLASS_ENV = "E2E_STORAGE_CLASS";

export const HOW_TO_RUN =
  `install the Pulumi CLI, point ${CONTEXT_ENV} at a kubeconfig context of a disposable cluster ` +
  `(e.g. kind create cluster --name e2e; ${CONTEXT_ENV}=kind-e2e npm run test:e2e)`;

/** What is missing to run against a real cluster, or undefined when nothing is. */
export async function missingPrerequisite(): Promise<string | undefined> {
  const cli = spawnSync("pulumi", ["version"], { encoding: "utf8" });
  if (cli.error || cli.status !== 0) return "no Pulumi CLI on the PATH";
  const context = process.env[CONTEXT_ENV];
  if (!context) return `${CONTEXT_ENV} is not set`;
  const kc = kubeConfig(context);
  if (!kc.getContextObject(context)) return `kubeconfig has no context '${context}'`;
  try {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await withTimeout(core.listNamespace({ limit: 1 }), 10_000, "the cluster did not answer");
  } catch (err) {
    return `cluster of context '${context}' is unreachable (${(err as Error).message})`;
  }
  return undefined;
}

export function kubeConfig(context: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  if (kc.getContextObject(context)) kc.setCurrentContext(context);
  return kc;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000}s`)), ms);
    }),
  ]);
}

/** Polls `check` until it returns a value other than undefined, or throws after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = 300_000,
  every = 3_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${ms / 1000}s waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** Runs a command in a container and returns its stdout; throws with stderr when it fails. */
export async function execIn(
  kc: k8s.KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  command: string[],
): Promise<string> {
  let stdout = "";
  let stderr = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        append(chunk.toString());
        done();
      },
    });
  const status = await new Promise<k8s.V1Status>((resolve, reject) => {
    new k8s.Exec(kc)
      .exec(
        namespace,
        pod,
        container,
        command,
        sink((s) => (stdout += s)),
        sink((s) => (stderr += s)),
        null,
        false,
        resolve,
      )
      .catch(reject);
  });
  if (status.status !== "Success") {
    throw new Error(`${command.join(" ")} in ${pod} failed: ${status.message ?? ""} ${stderr}`);
  }
  return stdout;
}

export async function podsOf(core: k8s.CoreV1Api, namespace: string, instance: string) {
  const list = await core.listNamespacedPod({
    namespace,
    labelSelector: `app.kubernetes.io/instance=${instance}`,
  });
  return list.items;
}

export async function claimsOf(core: k8s.CoreV1Api, namespace: string, instance: string) {
  const list = await core.listNamespacedPersistentVolumeClaim({
    namespace,
    labelSelector: `app.kubernetes.io/instance=${instance}`,
  });
  return list.items.map((c) => c.metadata!.name!).sort();
}

export function isReady(pod: k8s.V1Pod): boolean {
  return !!pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
}
