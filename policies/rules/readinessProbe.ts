// statefulset-readiness-probe: an ordered rollout waits for each pod to be ready before the next; a
// missing probe makes "ready" meaningless, and a probe that cannot pass (no handler, a port the
// container does not declare) stalls the rollout. timeoutSeconds is not compared with periodSeconds:
// the kubelet runs probes one after another, so a probe as slow as its period still succeeds.
import { containersOf, isSidecar } from "../kube/objects";
import { HANDLERS, setting } from "../kube/probes";
import { Finding, guarded, Rule, violation } from "../rule";

export const readinessProbe = {
  name: "statefulset-readiness-probe" as const,
  description:
    "Every container of a StatefulSet's pod template needs a readinessProbe with a handler, a failureThreshold of at least 1 and named ports the container declares: a probe that cannot pass stalls an ordered rollout. A sidecar (an init container with restartPolicy Always) needs none, but a readinessProbe it has is held to the same.",
  level: "mandatory",
  scope: "resource",
  config: {},
  check(sts) {
    const out: Finding[] = [];
    for (const c of containersOf(sts, { init: true })) {
      guarded(out, () => {
        // A sidecar's probe, when it has one, holds the pod's readiness too; one without is ready
        // once started. Init containers that run to completion have no readiness.
        if (c.init && !isSidecar(c)) return;
        const probe = c.field.at("readinessProbe");
        if (!probe.isSet() && c.init) return;
        if (!probe.isSet()) {
          out.push(
            violation(
              `${c.label} has no readinessProbe: add one (httpGet, tcpSocket, exec or grpc) so rollouts and the Service only count pods that can serve`,
            ),
          );
          return;
        }
        const handlers = HANDLERS.filter((h) => probe.at(h).isSet());
        if (handlers.length === 0) {
          out.push(
            violation(
              `${c.label} readinessProbe has no handler: set one of httpGet, tcpSocket, exec or grpc`,
            ),
          );
        }
        const failure = setting(probe, "failureThreshold");
        if (failure.value < 1) {
          out.push(
            violation(
              `${c.label} readinessProbe.failureThreshold (${failure.text}) is below 1: set it to at least 1 (Kubernetes defaults to 3)`,
            ),
          );
        }
        const declared = new Set<string>();
        for (const p of c.field.at("ports").items()) {
          const name = p.at("name").str();
          if (name) declared.add(name);
        }
        for (const h of ["httpGet", "tcpSocket"]) {
          const port = probe.at(h).at("port").str();
          if (port !== undefined && !declared.has(port)) {
            out.push(
              violation(
                `${c.label} readinessProbe.${h}.port names port "${port}", which the container does not declare in ports: add a containerPort named "${port}" or use the port number`,
              ),
            );
          }
        }
      });
    }
    return out;
  },
} satisfies Rule;
