// The program: read and validate the stack's config, build the workloads, export their outputs.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./components/config";
import { deployStack } from "./components/stack";

const config = loadStackConfig(pulumi.runtime.allConfig());
const stack = deployStack(config);

/** The namespaces the stack deploys into. */
export const namespaces = stack.namespaces;
/** Per workload (`<namespace>/<name>`): its kind, headless Service DNS name and pod DNS names. */
export const workloads = stack.workloads;
