// nginx as a StatefulSet: each pod serves web content from its own claim. nginx needs no ordered
// start, so pods are managed in Parallel by default.
import * as pulumi from "@pulumi/pulumi";
import { assertValidWorkload } from "./workloadRules";
import { metricsFor, nginxExporter } from "./metrics";
import { objectNames } from "./names";
import { StatefulWorkload } from "./statefulWorkload";
import { BaseWorkloadArgs, resolveWorkloadArgs } from "./workloadArgs";

/** The unprivileged image listens on a high port; no capability is needed to bind it. */
export const NGINX_PORT = 8080;
const CONTENT = "/usr/share/nginx/html";

/** Arguments of an nginx workload; see BaseWorkloadArgs for the fields every kind shares. */
export type NginxArgs = BaseWorkloadArgs;

/** The server block: content from the claim, and a health endpoint for the probes. */
export function nginxServerConfig(port = NGINX_PORT): string {
  return [
    "server {",
    `    listen ${port};`,
    "    server_name _;",
    `    root ${CONTENT};`,
    "    location = /healthz {",
    "        access_log off;",
    "        default_type text/plain;",
    '        return 200 "ok\\n";',
    "    }",
    "    location / {",
    "        try_files $uri $uri/ =404;",
    "    }",
    "}",
    "",
  ].join("\n");
}

export class Nginx extends pulumi.ComponentResource {
  public readonly workload: StatefulWorkload;
  public readonly serviceDnsName: pulumi.Output<string>;
  public readonly podDnsNames: pulumi.Output<string[]>;

  constructor(name: string, args: NginxArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidWorkload("Nginx", name, { kind: "nginx", ...args });
    super("stateful:workloads:Nginx", name, {}, opts);
    const { image, resources, storage, ...shared } = resolveWorkloadArgs("nginx", name, args);
    const names = objectNames(shared.name);
    const small = { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } };

    this.workload = new StatefulWorkload(
      name,
      {
        ...shared,
        app: "nginx",
        component: "web",
        ports: [{ name: "http", port: NGINX_PORT }],
        storage: { ...storage, mountPath: CONTENT },
        configData: { "default.conf": nginxServerConfig() },
        metrics: metricsFor(args.metrics, nginxExporter),
        volumes: [{ name: "config", configMap: { name: names.configMap } }],
        initContainers: [
          {
            // A fresh claim is empty: give each pod a page that names it, once, never overwriting.
            name: "seed-content",
            image: image,
            command: [
              "sh",
              "-c",
              `[ -e ${CONTENT}/index.html ] || printf '<h1>%s</h1>\\n' "$POD_NAME" > ${CONTENT}/index.html`,
            ],
            env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
            volumeMounts: [{ name: "data", mountPath: CONTENT }],
            resources: small,
          },
        ],
        containers: [
          {
            name: "nginx",
            image: image,
            resources: resources,
            volumeMounts: [{ name: "config", mountPath: "/etc/nginx/conf.d", readOnly: true }],
            readinessProbe: {
              httpGet: { path: "/healthz", port: "http" },
              periodSeconds: 5,
              timeoutSeconds: 2,
              failureThreshold: 3,
            },
            livenessProbe: {
              httpGet: { path: "/healthz", port: "http" },
              initialDelaySeconds: 10,
              periodSeconds: 20,
              timeoutSeconds: 3,
              failureThreshold: 3,
            },
          },
        ],
      },
      { parent: this },
    );

    this.serviceDnsName = this.workload.serviceDnsName;
    this.podDnsNames = this.workload.podDnsNames;
    this.registerOutputs({ serviceDnsName: this.serviceDnsName, podDnsNames: this.podDnsNames });
  }
}
