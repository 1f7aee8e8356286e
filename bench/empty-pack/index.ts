// The baseline pack: one resource policy and one stack policy that accept everything, so the
// runtime does its per-call work (decoding, proxies, config) and no rule runs.
import { PolicyPack } from "@pulumi/policy";

new PolicyPack("empty", {
  enforcementLevel: "mandatory",
  policies: [
    {
      name: "accept-resource",
      description: "Accepts every resource.",
      validateResource: () => undefined,
    },
    { name: "accept-stack", description: "Accepts every stack.", validateStack: () => undefined },
  ],
});
