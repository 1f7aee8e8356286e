// What Prometheus scrapes of a StatefulSet's pods: the endpoints of the ServiceMonitors (the
// Prometheus Operator's) that select a Service of those pods, and the container port each one
// reaches. Shared by the rules about metrics; reads plain objects, throws UnknownValueError.
import { Field } from "./fields";
import { containersOf, KubeObject, nameOf, podLabels, statefulSetNamespace } from "./objects";
import { readSelector, selects } from "./selectors";
import type { StackIndex } from "./stackIndex";
import { UnknownValueError } from "./unknown";

/** One endpoint of a ServiceMonitor that scrapes the StatefulSet's pods. */
export interface Scrape {
  /** `ServiceMonitor "redis" spec.endpoints[0]`: how messages name the endpoint. */
  label: string;
  monitor: string;
  endpoint: Field;
  /** The Services of the pods that the ServiceMonitor selects (at least one). */
  services: KubeObject[];
}

/** The ServiceMonitor endpoints that scrape the pods of `sts`; throws if one may be unknown. */
export function scrapesOf(sts: KubeObject, stack: StackIndex): Scrape[] {
  // Nothing of the StatefulSet is read (nor noted as unknown) in a stack without ServiceMonitors.
  if (!stack.hasServiceMonitors()) return [];
  const namespace = statefulSetNamespace(sts);
  const labels = podLabels(sts);
  const monitors = stack.serviceMonitors(namespace);
  if (monitors.matches.length === 0 && !monitors.uncertain) return [];
  const services = stack.servicesSelecting(namespace, labels);
  if (monitors.uncertain || services.uncertain) {
    throw new UnknownValueError(`ServiceMonitors and Services of namespace "${namespace}"`);
  }
  const scrapes: Scrape[] = [];
  for (const sm of monitors.matches) {
    const name = nameOf(sm) ?? "(unnamed)";
    const root = Field.root(sm, `ServiceMonitor ${JSON.stringify(name)} `);
    const selector = readSelector(root.at("spec").at("selector"));
    // The CRD requires a selector; without one the API server refuses the object.
    if (!selector) continue;
    const chosen = services.matches.filter((s) =>
      selects(selector, Field.root(s).at("metadata").at("labels").stringMap()),
    );
    if (chosen.length === 0) continue;
    for (const endpoint of root.at("spec").at("endpoints").items()) {
      scrapes.push({ label: endpoint.path, monitor: name, endpoint, services: chosen });
    }
  }
  return scrapes;
}

/** A container port of the pods: its name (if any) and number. */
export interface PodPort {
  name?: string;
  number: number;
}

/** Every port the pods' containers declare. */
export function podPorts(sts: KubeObject): PodPort[] {
  return containersOf(sts, { init: false }).flatMap((c) =>
    c.field
      .at("ports")
      .items()
      .map((p) => ({ name: p.at("name").str(), number: p.at("containerPort").num() ?? -1 })),
  );
}

/** A Service's port of this name, if it has one. */
export function servicePort(service: KubeObject, name: string): Field | undefined {
  return Field.root(service)
    .at("spec")
    .at("ports")
    .items()
    .find((p) => p.at("name").str() === name);
}

/** The names of a Service's ports, for messages. */
export function servicePortNames(service: KubeObject): string[] {
  return Field.root(service)
    .at("spec")
    .at("ports")
    .items()
    .map((p) => p.at("name").str() ?? String(p.at("port").num()));
}

/**
 * The container port a Service port sends to (`targetPort`, by name or number; the port's own
 * number when unset), or undefined when a named one is declared by no container.
 */
export function targetOf(port: Field, ports: PodPort[]): PodPort | undefined {
  const target = port.at("targetPort").value();
  if (typeof target === "string") return ports.find((p) => p.name === target);
  const number = typeof target === "number" ? target : port.at("port").num();
  return ports.find((p) => p.number === number) ?? { number: number ?? -1 };
}

/** Where a ServiceMonitor endpoint's scrapes land. */
export interface ScrapeTarget {
  /** The Service whose port the endpoint names; undefined when the endpoint gives a targetPort. */
  service?: KubeObject;
  /** The container port as written: the Service port's `targetPort`, or the endpoint's. */
  written: unknown;
  /** The container port reached; undefined when a named one is declared by no container. */
  port: PodPort | undefined;
}

/**
 * The container ports an endpoint of `scrape` reaches among `declared`: when it names a Service
 * `port`, through that port of each selected Service that has it (none when no Service has it);
 * else through its `targetPort`, by name or number; else none. An empty `port` is unset, as the
 * Prometheus Operator reads it.
 */
export function scrapeTargets(scrape: Scrape, declared: PodPort[]): ScrapeTarget[] {
  const port = scrape.endpoint.at("port").str();
  if (port) {
    return scrape.services.flatMap((service) => {
      const p = servicePort(service, port);
      if (p === undefined) return [];
      return [{ service, written: p.at("targetPort").value(), port: targetOf(p, declared) }];
    });
  }
  const target = scrape.endpoint.at("targetPort").value();
  if (typeof target === "string") {
    return [{ written: target, port: declared.find((p) => p.name === target) }];
  }
  if (typeof target === "number") {
    return [
      { written: target, port: declared.find((p) => p.number === target) ?? { number: target } },
    ];
  }
  return [];
}

/** A Prometheus duration (`1m30s`), as the ServiceMonitor CRD writes them. */
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNITS_MS = [365 * 86400e3, 7 * 86400e3, 86400e3, 3600e3, 60e3, 1e3, 1];

/** Milliseconds of a Prometheus duration, or undefined when it is none. */
export function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || text === "") return undefined;
  return m.slice(1).reduce((sum, part, i) => sum + Number(part ?? 0) * UNITS_MS[i], 0);
}
