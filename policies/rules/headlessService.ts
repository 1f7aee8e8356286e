// statefulset-headless-service: a StatefulSet's pods get stable DNS names only through the headless
// Service named by `spec.serviceName`, in the same namespace, selecting the pods.
import { Field, quoteList } from "../kube/fields";
import { podLabels, statefulSetNamespace } from "../kube/objects";
import { mapSelector, unmetRequirements } from "../kube/selectors";
import { UnknownValueError } from "../kube/unknown";
import { Finding, Rule, violation } from "../rule";

export interface HeadlessServiceConfig {
  /** Services created outside this stack (or these files): `{ namespace?, name }`. */
  externalServices?: { namespace?: string; name?: string }[];
}

function isExternal(config: HeadlessServiceConfig, namespace: string, name: string): boolean {
  const list = Array.isArray(config.externalServices) ? config.externalServices : [];
  return list.some(
    (s) =>
      typeof s === "object" &&
      s !== null &&
      s.name === name &&
      (s.namespace === undefined || s.namespace === "" ? "default" : s.namespace) === namespace,
  );
}

export const headlessService = {
  name: "statefulset-headless-service" as const,
  description:
    "A StatefulSet's spec.serviceName must name a headless Service (clusterIP: None) in the same namespace whose selector matches the pod template labels; create that Service, or list it under externalServices if another stack manages it.",
  level: "mandatory",
  scope: "stack",
  config: {
    externalServices: {
      type: "array",
      description:
        "Headless Services managed outside this stack or these files; a StatefulSet may name them without the Service being present.",
      items: {
        type: "object",
        properties: {
          namespace: { type: "string", description: "Defaults to `default`." },
          name: { type: "string" },
        },
        required: ["name"],
        additionalProperties: false,
      },
    },
  },
  check(sts, ctx) {
    const namespace = statefulSetNamespace(sts);
    const serviceName = Field.root(sts).at("spec").at("serviceName").str();
    if (!serviceName) {
      return [
        violation(
          `spec.serviceName is not set: set it to a headless Service (clusterIP: None) in namespace "${namespace}" whose selector matches spec.template.metadata.labels, so every pod gets a stable DNS name`,
        ),
      ];
    }
    if (isExternal(ctx.config, namespace, serviceName)) return [];
    const { service, uncertain } = ctx.stack.service(namespace, serviceName);
    if (!service) {
      if (uncertain) throw new UnknownValueError(`Service "${serviceName}"`);
      const elsewhere = ctx.stack.serviceNamespaces(serviceName);
      const where =
        elsewhere.length === 0
          ? ""
          : ` (a Service "${serviceName}" is in namespace ${elsewhere.map((n) => `"${n}"`).join(", ")}; a StatefulSet's Service must be in its own namespace)`;
      return [
        violation(
          `spec.serviceName names Service "${serviceName}", which is not in namespace "${namespace}"${where}: create it as a headless Service (clusterIP: None) selecting the pods, or list it under externalServices in the policy config if it is managed elsewhere`,
        ),
      ];
    }
    const out: Finding[] = [];
    const svc = Field.root(service, `Service "${serviceName}" `);
    // The API server fills clusterIP from clusterIPs[0] (and the reverse): either says headless.
    const clusterIP =
      svc.at("spec").at("clusterIP").str() ?? svc.at("spec").at("clusterIPs").items()[0]?.str();
    if (clusterIP !== "None") {
      out.push(
        violation(
          `Service "${serviceName}" named by spec.serviceName is not headless (spec.clusterIP is ${clusterIP === undefined ? "not set" : JSON.stringify(clusterIP)}): set spec.clusterIP: None so each pod gets its own DNS record`,
        ),
      );
    }
    const selector = svc.at("spec").at("selector").stringMap();
    if (Object.keys(selector).length === 0) {
      out.push(
        violation(
          `Service "${serviceName}" named by spec.serviceName has no spec.selector: set it to labels of spec.template.metadata.labels so it publishes a DNS record per pod`,
        ),
      );
    } else {
      const unmet = unmetRequirements(mapSelector(selector), podLabels(sts));
      if (unmet.length > 0) {
        out.push(
          violation(
            `Service "${serviceName}" spec.selector does not match spec.template.metadata.labels (no pod label ${quoteList(unmet)}): make the Service selector a subset of the pod labels`,
          ),
        );
      }
    }
    return out;
  },
} satisfies Rule<HeadlessServiceConfig>;
