import * as assert from "assert";
import type { KubeObject } from "../../../policies/kube/objects";
import { UNKNOWN_SENTINELS, UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { notes, stackObjects, statefulSet, violations, withField } from "../fixtures";
import {
  certificate,
  certificateFor,
  SECRET,
  tlsStack,
  tlsStatefulSet,
  VOLUMES,
} from "../tlsFixtures";

const RULE = "statefulset-certificate-covers-pods";

const run = (
  sts: KubeObject = tlsStatefulSet(),
  cert: KubeObject = certificate(),
  config: Record<string, unknown> = {},
  others: KubeObject[] = [],
) => {
  const opts = { objects: [...tlsStack(sts, cert), ...others], config };
  return { violations: violations(RULE, sts, opts), notes: notes(RULE, sts, opts) };
};
const clean = { violations: [], notes: [] };

const SVC = "redis.cache.svc.cluster.local";
const POD = (i: number) => `redis-${i}.${SVC}`;
/** The start of every violation about the fixture's Certificate and volume. */
const HEAD =
  'Certificate "redis-tls" writes Secret "redis-tls", which the pods mount as spec.template.spec.volumes[0] ("tls"), but its spec.dnsNames do not cover';
const REFUSED = "a TLS client that reaches them by these names refuses the certificate";
const ADD_WILDCARD = `add "*.${SVC}" (every pod, one label deep) to spec.dnsNames`;

describe(RULE, () => {
  it("passes the valid workload, which mounts no Secret, with or without a Certificate", () => {
    assert.deepStrictEqual(violations(RULE, statefulSet()), []);
    const sts = statefulSet();
    const opts = { objects: [...stackObjects(sts), certificate()] };
    assert.deepStrictEqual(
      { violations: violations(RULE, sts, opts), notes: notes(RULE, sts, opts) },
      clean,
    );
  });

  it("passes a Certificate for the Service and a wildcard one label deep for the pods", () => {
    assert.deepStrictEqual(run(), clean);
  });

  it("passes a Certificate that names every pod, in any case and with a trailing dot", () => {
    const names = [SVC.toUpperCase(), ...[0, 1, 2].map((i) => `${POD(i)}.`)];
    assert.deepStrictEqual(run(tlsStatefulSet(), certificateFor(names)), clean);
  });

  it("refuses a Certificate without the pods' names, naming each and the wildcard that fixes it", () => {
    assert.deepStrictEqual(run(tlsStatefulSet(), certificateFor([SVC])).violations, [
      `${HEAD} the stable names of the 3 pods: "${POD(0)}", "${POD(1)}", "${POD(2)}"; ${REFUSED}: ${ADD_WILDCARD}`,
    ]);
  });

  it("refuses a Certificate without the Service's qualified name", () => {
    const onlyPods = certificateFor([`*.${SVC}`, "redis", "redis.cache", "redis.cache.svc"]);
    assert.deepStrictEqual(run(tlsStatefulSet(), onlyPods).violations, [
      `${HEAD} the Service's name: "${SVC}"; ${REFUSED}: add "${SVC}" to spec.dnsNames`,
    ]);
  });

  it("refuses pods a scale-up adds beyond the names the Certificate lists", () => {
    const five = withField(tlsStatefulSet(), ["spec", "replicas"], 5);
    const listed = certificateFor([SVC, POD(0), POD(1), POD(2)]);
    assert.deepStrictEqual(run(five, listed).violations, [
      `${HEAD} the stable names of 2 of the 5 pods: "${POD(3)}", "${POD(4)}"; ${REFUSED}: ${ADD_WILDCARD}`,
    ]);
    assert.deepStrictEqual(run(five), clean, "the wildcard covers any number of pods");
  });

  it("counts the ordinals from spec.ordinals.start", () => {
    const fromOne = withField(tlsStatefulSet(), ["spec", "ordinals"], { start: 1 });
    const listed = certificateFor([SVC, POD(0), POD(1), POD(2)]);
    assert.deepStrictEqual(run(fromOne, listed).violations, [
      `${HEAD} the stable names of 1 of the 3 pods: "${POD(3)}"; ${REFUSED}: ${ADD_WILDCARD}`,
    ]);
  });

  it("refuses a wildcard two labels deep, or one of another Service", () => {
    const tooDeep = certificateFor([SVC, "*.cache.svc.cluster.local"]);
    const other = certificateFor([SVC, "*.web.cache.svc.cluster.local"]);
    for (const cert of [tooDeep, other]) {
      assert.deepStrictEqual(run(tlsStatefulSet(), cert).violations, [
        `${HEAD} the stable names of the 3 pods: "${POD(0)}", "${POD(1)}", "${POD(2)}"; ${REFUSED}: ${ADD_WILDCARD}`,
      ]);
    }
  });

  it("lists at most five names, and counts the rest", () => {
    const eight = withField(tlsStatefulSet(), ["spec", "replicas"], 8);
    assert.deepStrictEqual(run(eight, certificateFor([SVC])).violations, [
      `${HEAD} the stable names of the 8 pods: ${[0, 1, 2, 3, 4].map((i) => `"${POD(i)}"`).join(", ")} and 3 more; ${REFUSED}: ${ADD_WILDCARD}`,
    ]);
  });

  it("names a single pod as such", () => {
    const one = withField(tlsStatefulSet(), ["spec", "replicas"], 1);
    assert.deepStrictEqual(run(one, certificateFor([SVC])).violations, [
      `${HEAD} the stable name of its pod: "${POD(0)}"; ${REFUSED}: ${ADD_WILDCARD}`,
    ]);
  });

  it("reads the cluster's DNS domain from clusterDomain, and says when the names use another", () => {
    const internal = certificateFor([
      "redis.cache.svc.example.internal",
      "*.redis.cache.svc.example.internal",
    ]);
    assert.deepStrictEqual(
      run(tlsStatefulSet(), internal, { clusterDomain: "example.internal" }),
      clean,
    );
    const d = "k8s.example";
    assert.deepStrictEqual(run(tlsStatefulSet(), certificate(), { clusterDomain: d }).violations, [
      `${HEAD} the stable names of the 3 pods and the Service's name: "redis.cache.svc.${d}", "redis-0.redis.cache.svc.${d}", "redis-1.redis.cache.svc.${d}", "redis-2.redis.cache.svc.${d}"; ${REFUSED}: add "redis.cache.svc.${d}" and "*.redis.cache.svc.${d}" (every pod, one label deep) to spec.dnsNames; its names use the domain "cluster.local": if that is the cluster's DNS domain, set clusterDomain to it in this policy's config`,
    ]);
  });

  it("reads a Secret mounted through a projected volume", () => {
    const projected = withField(tlsStatefulSet(), VOLUMES, [
      {
        name: "certs",
        projected: { sources: [{ configMap: { name: "ca" } }, { secret: { name: SECRET } }] },
      },
    ]);
    assert.deepStrictEqual(run(projected, certificateFor([SVC])).violations, [
      `Certificate "redis-tls" writes Secret "redis-tls", which the pods mount as spec.template.spec.volumes[0] ("certs"), but its spec.dnsNames do not cover the stable names of the 3 pods: "${POD(0)}", "${POD(1)}", "${POD(2)}"; ${REFUSED}: ${ADD_WILDCARD}`,
    ]);
  });

  it("ignores Certificates of other Secrets and of other namespaces", () => {
    const bad = certificateFor([SVC]);
    const otherSecret = withField(bad, ["spec", "secretName"], "web-tls");
    assert.deepStrictEqual(run(tlsStatefulSet(), otherSecret), clean);
    const elsewhere = withField(bad, ["metadata", "namespace"], "web");
    assert.deepStrictEqual(run(tlsStatefulSet(), elsewhere), clean);
    // A Certificate without a secretName writes nothing the pods mount.
    const none = withField(bad, ["spec", "secretName"], undefined);
    assert.deepStrictEqual(run(tlsStatefulSet(), none), clean);
  });

  it("leaves a StatefulSet without serviceName to statefulset-headless-service", () => {
    const noService = withField(tlsStatefulSet(), ["spec", "serviceName"], undefined);
    assert.deepStrictEqual(run(noService, certificateFor([SVC])), clean);
  });

  it("says nothing, not even a note, in a stack that makes no Certificate", () => {
    const sts = withField(tlsStatefulSet(), ["metadata", "namespace"], UNKNOWN_STRING);
    assert.deepStrictEqual(notes(RULE, sts, { objects: stackObjects(sts) }), []);
  });

  it("reports unknown dnsNames, secretName or pod fields as notes, not violations", () => {
    const dnsName = withField(certificateFor([SVC]), ["spec", "dnsNames", 1], UNKNOWN_STRING);
    assert.deepStrictEqual(run(tlsStatefulSet(), dnsName), {
      violations: [],
      notes: [
        'could not check Certificate "redis-tls" spec.dnsNames[1]: value unknown during preview',
      ],
    });
    const all = withField(certificate(), ["spec", "dnsNames"], UNKNOWN_SENTINELS.array);
    assert.deepStrictEqual(run(tlsStatefulSet(), all).notes, [
      'could not check Certificate "redis-tls" spec.dnsNames: value unknown during preview',
    ]);
    const secret = withField(certificate(), ["spec", "secretName"], UNKNOWN_STRING);
    assert.deepStrictEqual(run(tlsStatefulSet(), secret).notes, [
      'could not check Certificate "redis-tls" spec.secretName: value unknown during preview',
    ]);
    const volume = withField(
      tlsStatefulSet(),
      [...VOLUMES, 0, "secret", "secretName"],
      UNKNOWN_STRING,
    );
    assert.deepStrictEqual(run(volume, certificateFor([SVC])), {
      violations: [],
      notes: [
        "could not check spec.template.spec.volumes[0].secret.secretName: value unknown during preview",
      ],
    });
    const replicas = withField(tlsStatefulSet(), ["spec", "replicas"], UNKNOWN_SENTINELS.number);
    assert.deepStrictEqual(run(replicas, certificateFor([SVC])), {
      violations: [],
      notes: ["could not check spec.replicas: value unknown during preview"],
    });
  });

  it("checks a Certificate whose name is unknown by its spec", () => {
    const unnamed = withField(certificateFor([SVC]), ["metadata", "name"], UNKNOWN_STRING);
    assert.deepStrictEqual(run(tlsStatefulSet(), unnamed).violations, [
      `Certificate (name unknown during preview) writes Secret "redis-tls", which the pods mount as spec.template.spec.volumes[0] ("tls"), but its spec.dnsNames do not cover the stable names of the 3 pods: "${POD(0)}", "${POD(1)}", "${POD(2)}"; ${REFUSED}: ${ADD_WILDCARD}`,
    ]);
  });

  it("notes a Certificate whose namespace is unknown, and still refuses a known one", () => {
    const unknownNs = withField(certificateFor([SVC]), ["metadata", "namespace"], UNKNOWN_STRING);
    const note = "could not check the namespace of a Certificate: value unknown during preview";
    assert.deepStrictEqual(run(tlsStatefulSet(), certificate(), {}, [unknownNs]), {
      violations: [],
      notes: [note],
    });
    assert.deepStrictEqual(run(tlsStatefulSet(), certificateFor([SVC]), {}, [unknownNs]), {
      violations: [
        `${HEAD} the stable names of the 3 pods: "${POD(0)}", "${POD(1)}", "${POD(2)}"; ${REFUSED}: ${ADD_WILDCARD}`,
      ],
      notes: [note],
    });
  });
});
