// statefulset-security-context: the restricted Pod Security Standard for every container: non-root,
// no privilege escalation, all capabilities dropped, a seccomp profile. Fields that exist at both
// levels count from the container or, when it leaves them unset, from the pod.
import { containersOf, podSpec } from "../kube/objects";
import { Finding, guarded, Rule, violation } from "../rule";

const SECCOMP_OK = ["RuntimeDefault", "Localhost"];

export const securityContext = {
  name: "statefulset-security-context" as const,
  description:
    "Every container and init container of a StatefulSet must run under the restricted Pod Security Standard: runAsNonRoot true (never user 0), allowPrivilegeEscalation false, not privileged, capabilities.drop [ALL] (adding back at most NET_BIND_SERVICE) and a RuntimeDefault or Localhost seccomp profile, set on the container or the pod; no host namespaces.",
  level: "mandatory",
  scope: "resource",
  config: {},
  check(sts) {
    const out: Finding[] = [];
    const pod = podSpec(sts);
    guarded(out, () => {
      for (const host of ["hostNetwork", "hostPID", "hostIPC"]) {
        if (pod.at(host).bool() === true) {
          out.push(
            violation(`${pod.at(host).path} is true: remove it; pods share no host namespace`),
          );
        }
      }
    });
    const podSc = pod.at("securityContext");
    for (const c of containersOf(sts, { init: true })) {
      guarded(out, () => {
        const sc = c.field.at("securityContext");
        const either = (key: string) => {
          const own = sc.at(key);
          return own.isSet() ? own : podSc.at(key);
        };
        if (either("runAsNonRoot").bool() !== true) {
          out.push(
            violation(
              `${c.label} does not set runAsNonRoot: true (container or pod securityContext): set it and run the image as a non-zero user`,
            ),
          );
        }
        if (either("runAsUser").num() === 0) {
          out.push(
            violation(
              `${c.label} runs as user 0 (securityContext.runAsUser): run as a non-zero user`,
            ),
          );
        }
        if (sc.at("allowPrivilegeEscalation").bool() !== false) {
          out.push(
            violation(
              `${c.label} does not set securityContext.allowPrivilegeEscalation: false: set it`,
            ),
          );
        }
        if (sc.at("privileged").bool() === true) {
          out.push(violation(`${c.label} sets securityContext.privileged: true: remove it`));
        }
        const caps = sc.at("capabilities");
        if (!caps.at("drop").strings().includes("ALL")) {
          out.push(
            violation(
              `${c.label} securityContext.capabilities.drop does not include ALL: drop ALL and add back only NET_BIND_SERVICE if the process needs it`,
            ),
          );
        }
        const added = caps
          .at("add")
          .strings()
          .filter((cap) => cap !== "NET_BIND_SERVICE");
        if (added.length > 0) {
          out.push(
            violation(
              `${c.label} securityContext.capabilities.add has ${added.join(", ")}: the restricted standard allows only NET_BIND_SERVICE`,
            ),
          );
        }
        const seccomp = either("seccompProfile").at("type").str();
        if (seccomp === undefined || !SECCOMP_OK.includes(seccomp)) {
          out.push(
            violation(
              `${c.label} seccompProfile.type is ${seccomp === undefined ? "not set" : JSON.stringify(seccomp)} (container or pod securityContext): set it to RuntimeDefault or Localhost`,
            ),
          );
        }
      });
    }
    return out;
  },
} satisfies Rule;
