// What the probe rules share about a container probe: its handlers and the settings the API server
// defaults.
import { Field } from "./fields";

/** Kubernetes defaults, applied by the API server to an unset or zero value. */
export const PROBE_DEFAULTS = { timeoutSeconds: 1, periodSeconds: 10, failureThreshold: 3 };
export type ProbeSetting = keyof typeof PROBE_DEFAULTS;

/** The fields of a probe that say how it checks. */
export const HANDLERS = ["exec", "httpGet", "tcpSocket", "grpc"];

/** A probe setting as the API server applies it, with the text that names it in messages. */
export function setting(probe: Field, key: ProbeSetting): { value: number; text: string } {
  const n = probe.at(key).num();
  if (n === undefined || n === 0) {
    return { value: PROBE_DEFAULTS[key], text: `${PROBE_DEFAULTS[key]} by default` };
  }
  return { value: n, text: String(n) };
}
