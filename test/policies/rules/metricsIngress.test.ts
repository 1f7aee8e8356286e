import * as assert from "assert";
import type { KubeObject } from "../../../policies/kube/objects";
import { UNKNOWN_SENTINELS } from "../../../policies/kube/unknown";
import { networkPolicy, notes, podLabels, violations, withField } from "../fixtures";
import { monitor, scrapedNetworkPolicy, scrapedStack } from "../metricsFixtures";

const RULE = "statefulset-metrics-ingress";
const BLOCKED =
  'the NetworkPolicies that select the pods ("redis") admit container port "metrics", which ServiceMonitor "redis" spec.endpoints[0] scrapes, from no pod but the StatefulSet\'s own: every scrape times out; add an ingress rule that admits the scraper\'s pods (podSelector and/or namespaceSelector) to that port';

/** The monitored stack with `policies` in place of its NetworkPolicy. */
function withPolicies(...policies: KubeObject[]) {
  const { sts, objects } = scrapedStack();
  return { sts, objects: [...objects.filter((o) => o.kind !== "NetworkPolicy"), ...policies] };
}

/** The fixture's NetworkPolicy with one more ingress rule. */
const plusRule = (rule: unknown) => withField(networkPolicy(), ["spec", "ingress", 1], rule);

describe(RULE, () => {
  it("passes when a rule admits the scraper's pods to the scraped port", () => {
    const { sts, objects } = withPolicies(scrapedNetworkPolicy());
    assert.deepStrictEqual(violations(RULE, sts, { objects }), []);
    assert.deepStrictEqual(notes(RULE, sts, { objects }), []);
  });

  it("passes when nothing scrapes the pods, or nothing isolates them", () => {
    const { sts, objects } = withPolicies(networkPolicy());
    const unscraped = objects.filter((o) => o.kind !== "ServiceMonitor");
    assert.deepStrictEqual(violations(RULE, sts, { objects: unscraped }), []);
    const egressOnly = withField(networkPolicy(), ["spec", "policyTypes"], ["Egress"]);
    const open = withPolicies(egressOnly);
    assert.deepStrictEqual(violations(RULE, open.sts, { objects: open.objects }), []);
  });

  it("refuses policies that admit only the workload's own pods to the scraped port", () => {
    const { sts, objects } = withPolicies(networkPolicy());
    assert.deepStrictEqual(violations(RULE, sts, { objects }), [BLOCKED]);
  });

  it("refuses a scraper rule on other ports only", () => {
    const prometheus = { podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } };
    const clientPort = plusRule({ from: [prometheus], ports: [{ port: "redis" }] });
    const udp = plusRule({ from: [prometheus], ports: [{ port: "metrics", protocol: "UDP" }] });
    for (const np of [clientPort, udp]) {
      const { sts, objects } = withPolicies(np);
      assert.deepStrictEqual(violations(RULE, sts, { objects }), [BLOCKED]);
    }
  });

  it("accepts the port by name or number (or a range), and a rule with no ports", () => {
    const prometheus = { namespaceSelector: { matchLabels: { team: "observability" } } };
    for (const ports of [
      [{ port: "metrics" }],
      [{ port: 9121, protocol: "TCP" }],
      [{ port: 9000, endPort: 9200 }],
      undefined,
    ]) {
      const { sts, objects } = withPolicies(plusRule({ from: [prometheus], ports }));
      assert.deepStrictEqual(violations(RULE, sts, { objects }), [], JSON.stringify(ports));
    }
  });

  it("counts other pods of the namespace, an address block or everyone as a scraper", () => {
    for (const from of [
      [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }],
      [{ podSelector: {} }],
      [{ ipBlock: { cidr: "10.0.0.0/8" } }],
      undefined,
    ]) {
      const { sts, objects } = withPolicies(plusRule({ from, ports: [{ port: "metrics" }] }));
      assert.deepStrictEqual(violations(RULE, sts, { objects }), [], JSON.stringify(from));
    }
    // The workload's own pods, by a subset of their labels, are not a scraper.
    const self = plusRule({
      from: [
        {
          podSelector: {
            matchLabels: { "app.kubernetes.io/name": podLabels()["app.kubernetes.io/name"] },
          },
        },
      ],
      ports: [{ port: "metrics" }],
    });
    const { sts, objects } = withPolicies(self);
    assert.deepStrictEqual(violations(RULE, sts, { objects }), [BLOCKED]);
  });

  it("follows a ServiceMonitor endpoint that names the container port by number", () => {
    const byNumber = withField(
      withField(monitor(), ["spec", "endpoints", 0, "port"], undefined),
      ["spec", "endpoints", 0, "targetPort"],
      9121,
    );
    const { sts, objects } = withPolicies(networkPolicy());
    const withMonitor = [...objects.filter((o) => o.kind !== "ServiceMonitor"), byNumber];
    assert.deepStrictEqual(violations(RULE, sts, { objects: withMonitor }), [BLOCKED]);
  });

  it("reports unknown values as notes, not violations", () => {
    const unknown = withField(networkPolicy(), ["spec", "ingress"], UNKNOWN_SENTINELS.object);
    const { sts, objects } = withPolicies(unknown);
    assert.deepStrictEqual(violations(RULE, sts, { objects }), []);
    assert.deepStrictEqual(notes(RULE, sts, { objects }), [
      'could not check NetworkPolicy "redis" spec.ingress: value unknown during preview',
    ]);
  });
});
