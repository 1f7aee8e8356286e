// statefulset-metrics-ingress: when NetworkPolicies isolate the pods, the port a ServiceMonitor
// scrapes must be admitted from something besides the workload's own pods, or every scrape by
// Prometheus times out. (NetworkPolicies add up, so one from outside the stack may admit the
// scraper: hence advisory, with an exemption for that case.)
import { Field } from "../kube/fields";
import { PodPort, podPorts, scrapesOf, scrapeTargets } from "../kube/monitoring";
import { policyField, restrictsIngress } from "../kube/networkPolicies";
import { KubeObject, nameOf, podLabels, statefulSetNamespace } from "../kube/objects";
import { isEmptySelector, readSelector, selects } from "../kube/selectors";
import { UnknownValueError } from "../kube/unknown";
import { Finding, guarded, Rule, violation } from "../rule";

/** A NetworkPolicy port entry admits the container port (no port: every port). */
function portAdmits(entry: Field, target: PodPort): boolean {
  const protocol = entry.at("protocol").str();
  if (protocol !== undefined && protocol !== "TCP") return false;
  const port = entry.at("port").value();
  if (port === undefined || port === null) return true;
  if (typeof port === "string") return port === target.name;
  if (typeof port !== "number") return false;
  const end = entry.at("endPort").num() ?? port;
  return target.number >= port && target.number <= end;
}

/**
 * A peer that admits pods other than the workload's own: any address block, any namespace
 * selector, a pod selector that is empty or does not select the workload's pods.
 */
function admitsOthers(peer: Field, labels: Record<string, string>): boolean {
  if (peer.at("ipBlock").isSet() || peer.at("namespaceSelector").isSet()) return true;
  const pods = readSelector(peer.at("podSelector"));
  return pods === undefined || isEmptySelector(pods) || !selects(pods, labels);
}

/** Some ingress rule of the policy admits `target` from a pod that is not one of the workload's. */
function admitsScraper(np: KubeObject, target: PodPort, labels: Record<string, string>): boolean {
  return policyField(np)
    .at("spec")
    .at("ingress")
    .items()
    .some((rule) => {
      const ports = rule.at("ports").items();
      if (ports.length > 0 && !ports.some((p) => portAdmits(p, target))) return false;
      const from = rule.at("from").items();
      return from.length === 0 || from.some((peer) => admitsOthers(peer, labels));
    });
}

export const metricsIngress = {
  name: "statefulset-metrics-ingress" as const,
  description:
    "When NetworkPolicies select the StatefulSet's pods for Ingress, some ingress rule must admit the port a ServiceMonitor scrapes from the scraper's pods (a podSelector and/or namespaceSelector beyond the workload's own pods), or every scrape times out.",
  level: "advisory",
  scope: "stack",
  config: {},
  check(sts, ctx) {
    const out: Finding[] = [];
    guarded(out, () => {
      const scrapes = scrapesOf(sts, ctx.stack);
      if (scrapes.length === 0) return;
      const namespace = statefulSetNamespace(sts);
      const labels = podLabels(sts);
      const { matches, uncertain } = ctx.stack.networkPolicies(namespace, labels);
      if (uncertain) throw new UnknownValueError(`NetworkPolicies in namespace "${namespace}"`);
      const isolating = matches.filter(restrictsIngress);
      if (isolating.length === 0) return;
      const declared = podPorts(sts);
      for (const s of scrapes) {
        guarded(out, () => {
          const targets = scrapeTargets(s, declared).map((t) => t.port);
          // A port that reaches no container is statefulset-service-monitor's finding.
          for (const target of targets.filter((t): t is PodPort => t !== undefined)) {
            if (isolating.some((np) => admitsScraper(np, target, labels))) continue;
            const which = isolating.map((np) => `"${nameOf(np)}"`).join(", ");
            const shown = target.name ? `"${target.name}"` : String(target.number);
            out.push(
              violation(
                `the NetworkPolicies that select the pods (${which}) admit container port ${shown}, which ${s.label} scrapes, from no pod but the StatefulSet's own: every scrape times out; add an ingress rule that admits the scraper's pods (podSelector and/or namespaceSelector) to that port`,
              ),
            );
          }
        });
      }
    });
    return out;
  },
} satisfies Rule;
