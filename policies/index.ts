// The policy pack's entry point: only wiring. `new PolicyPack` starts the gRPC server the Pulumi CLI
// talks to and reads this package's package.json (from the working directory) for its version.
import { PolicyPack } from "@pulumi/policy";
import { PACK_ARGS, PACK_NAME, POLICIES } from "./adapter";

new PolicyPack(PACK_NAME, { ...PACK_ARGS, policies: POLICIES });
