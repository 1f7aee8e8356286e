// statefulset-liveness-probe: without a liveness probe a container that hangs (deadlocked, stuck
// on a lost disk) stays in place forever; readiness only takes it out of the Service.
import { containersOf } from "../kube/objects";
import { Finding, guarded, Rule, violation } from "../rule";

export const livenessProbe = {
  name: "statefulset-liveness-probe" as const,
  description:
    "Every container of a StatefulSet's pod template should have a livenessProbe, so a hung process is restarted; make it check less than readiness (that the process answers), with a generous failureThreshold.",
  level: "advisory",
  scope: "resource",
  config: {},
  check(sts) {
    const out: Finding[] = [];
    for (const c of containersOf(sts, { init: false })) {
      guarded(out, () => {
        if (c.field.at("livenessProbe").isSet()) return;
        out.push(
          violation(
            `${c.label} has no livenessProbe: add one that checks the process answers (tcpSocket or a cheap exec), so a hung container is restarted`,
          ),
        );
      });
    }
    return out;
  },
} satisfies Rule;
