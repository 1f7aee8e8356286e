// statefulset-probes-distinct: a liveness probe that asks what the readiness probe asks, and gives
// up no later, restarts every pod that is merely not ready (a replica catching up, a node under
// load), which for a database turns a slow moment into a restart loop.
import { Field } from "../kube/fields";
import { containersOf, isSidecar } from "../kube/objects";
import { HANDLERS, setting } from "../kube/probes";
import { Finding, guarded, Rule, violation } from "../rule";

/**
 * A stable text of a value, keys sorted, for comparing handlers. Reading an unknown value at any
 * depth throws UnknownValueError: two unknowns are not known to be equal.
 */
function canonical(field: Field): string {
  const v = field.value();
  if (Array.isArray(v)) return `[${field.items().map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = field
      .entries()
      .filter(([, f]) => f.value() !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, f]) => `${JSON.stringify(k)}:${canonical(f)}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

export const probesDistinct = {
  name: "statefulset-probes-distinct" as const,
  description:
    "A container's livenessProbe must not repeat its readinessProbe's check with no more patience (failureThreshold x periodSeconds): such a probe restarts every pod that is only not ready. Check less (the process answers) for liveness, or give it a longer window.",
  level: "mandatory",
  scope: "resource",
  config: {},
  check(sts) {
    const out: Finding[] = [];
    for (const c of containersOf(sts, { init: true })) {
      guarded(out, () => {
        if (c.init && !isSidecar(c)) return;
        const readiness = c.field.at("readinessProbe");
        const liveness = c.field.at("livenessProbe");
        if (!readiness.isSet() || !liveness.isSet()) return;
        const handler = HANDLERS.find((h) => liveness.at(h).isSet());
        if (handler === undefined || !readiness.at(handler).isSet()) return;
        if (canonical(liveness.at(handler)) !== canonical(readiness.at(handler))) {
          return;
        }
        const window = (p: typeof liveness) =>
          setting(p, "failureThreshold").value * setting(p, "periodSeconds").value;
        const live = window(liveness);
        const ready = window(readiness);
        if (live > ready) return;
        out.push(
          violation(
            `${c.label} livenessProbe repeats the readinessProbe's ${handler} check and gives up after ${live}s, no later than readiness (${ready}s): every pod that is not ready gets restarted; make liveness check less (that the process answers) or give it a longer failureThreshold x periodSeconds`,
          ),
        );
      });
    }
    return out;
  },
} satisfies Rule;
