// statefulset-resources: a database without requests lands on a node that cannot run it; one
// without a memory limit can take its node's memory and get its neighbours OOM-killed.
import { Field } from "../kube/fields";
import { containersOf } from "../kube/objects";
import { Finding, guarded, Rule, violation } from "../rule";

export interface ResourcesConfig {
  /** Also require a CPU limit (default false: CPU limits throttle, many teams leave them off). */
  requireCpuLimit?: boolean;
}

const WHY = {
  "requests.cpu": "so the scheduler places the pod on a node with CPU to spare",
  "requests.memory": "so the scheduler places the pod on a node with memory to spare",
  "limits.memory": "so one pod cannot exhaust its node's memory",
  "limits.cpu": "as this stack requires",
} as const;

export const resources = {
  name: "statefulset-resources" as const,
  description:
    "Every container and init container of a StatefulSet must request CPU and memory and limit memory (a limit alone also sets the request); with requireCpuLimit, limit CPU too.",
  level: "mandatory",
  scope: "resource",
  config: {
    requireCpuLimit: {
      type: "boolean",
      description: "Also require resources.limits.cpu.",
      default: false,
    },
  },
  check(sts, ctx) {
    const out: Finding[] = [];
    const required: (keyof typeof WHY)[] = ["requests.cpu", "requests.memory", "limits.memory"];
    if (ctx.config.requireCpuLimit === true) required.push("limits.cpu");
    for (const c of containersOf(sts, { init: true })) {
      guarded(out, () => {
        const res = c.field.at("resources");
        const has = (f: Field) => {
          const v = f.value();
          return (typeof v === "string" && v !== "") || typeof v === "number";
        };
        const missing = required.filter((key) => {
          const [kind, resource] = key.split(".");
          if (has(res.at(kind).at(resource))) return false;
          // Kubernetes defaults an unset request to the limit.
          return !(kind === "requests" && has(res.at("limits").at(resource)));
        });
        for (const key of missing) {
          out.push(violation(`${c.label} sets no resources.${key}: set it ${WHY[key]}`));
        }
      });
    }
    return out;
  },
} satisfies Rule<ResourcesConfig>;
