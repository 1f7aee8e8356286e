// statefulset-service-monitor: a ServiceMonitor that selects a Service of the pods but names a port
// that Service does not have, or a container port the pods do not declare, scrapes nothing, and
// says so nowhere but in Prometheus's target list; one whose scrapeTimeout exceeds its interval is
// refused by the Prometheus Operator. Either way the workload has no metrics.
import { quoteList } from "../kube/fields";
import {
  durationMs,
  podPorts,
  scrapesOf,
  scrapeTargets,
  servicePortNames,
} from "../kube/monitoring";
import { nameOf } from "../kube/objects";
import { Finding, guarded, Rule, violation } from "../rule";

export const serviceMonitor = {
  name: "statefulset-service-monitor" as const,
  description:
    "A ServiceMonitor that selects a Service of the StatefulSet's pods must scrape a port that Service has, whose targetPort a container of the pods declares, with a scrapeTimeout no longer than its interval: otherwise Prometheus scrapes nothing (or the Prometheus Operator refuses the ServiceMonitor).",
  level: "mandatory",
  scope: "stack",
  config: {},
  check(sts, ctx) {
    const out: Finding[] = [];
    guarded(out, () => {
      const declared = podPorts(sts);
      for (const s of scrapesOf(sts, ctx.stack)) {
        guarded(out, () => {
          const e = s.endpoint;
          const port = e.at("port").str();
          const targets = scrapeTargets(s, declared);
          if (port && targets.length === 0) {
            const theirs = s.services
              .map((svc) => `Service "${nameOf(svc)}": ${quoteList(servicePortNames(svc))}`)
              .join("; ");
            out.push(
              violation(
                `${s.label}.port names port "${port}", which no Service it selects for these pods has (${theirs}): name a port of the Service, or add a port named "${port}" to it that targets the exporter's container port`,
              ),
            );
          }
          for (const t of targets) {
            if (t.port !== undefined) continue;
            out.push(
              violation(
                t.service
                  ? `Service "${nameOf(t.service)}" port "${port}", which ${s.label} scrapes, targets container port "${String(t.written)}", which no container of spec.template declares: its endpoints carry no address for it; declare a containerPort named "${String(t.written)}" on the exporter container, or target the port by number`
                  : `${s.label}.targetPort names container port "${String(t.written)}", which no container of spec.template declares: declare it on the exporter container, or set port to the Service port's name`,
              ),
            );
          }
          const interval = e.at("interval").str();
          const timeout = e.at("scrapeTimeout").str();
          const [iMs, tMs] = [interval, timeout].map((d) => (d ? durationMs(d) : undefined));
          if (iMs !== undefined && tMs !== undefined && tMs > iMs) {
            out.push(
              violation(
                `${s.label}.scrapeTimeout ${timeout} is longer than its interval ${interval}: the Prometheus Operator refuses the ServiceMonitor; set scrapeTimeout to at most the interval`,
              ),
            );
          }
        });
      }
    });
    return out;
  },
} satisfies Rule;
