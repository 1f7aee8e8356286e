import * as assert from "assert";
import {
  dnsNameCovers,
  mountedCertificate,
  podDnsNames,
  secretVolumes,
} from "../../../policies/kube/certificates";
import { StackIndex } from "../../../policies/kube/stackIndex";
import { UNKNOWN_STRING } from "../../../policies/kube/unknown";
import { NS, statefulSet, withField } from "../fixtures";
import { certificate, SECRET, tlsStack, tlsStatefulSet, VOLUMES } from "../tlsFixtures";

describe("kube/certificates", () => {
  it("matches a DNS name as TLS clients do: exactly, or a wildcard for one label", () => {
    const yes: [string, string][] = [
      ["a.b.c", "a.b.c"],
      ["A.B.C.", "a.b.c"],
      ["*.b.c", "a.b.c"],
      ["*.B.C", "a.b.c."],
    ];
    const no: [string, string][] = [
      ["*.c", "a.b.c"],
      ["*.b.c", "b.c"],
      ["*.b.c", ".b.c"],
      ["a.*.c", "a.b.c"],
      ["*", "a"],
      ["b.c", "a.b.c"],
    ];
    for (const [p, n] of yes) assert.ok(dnsNameCovers(p, n), `${p} covers ${n}`);
    for (const [p, n] of no) assert.ok(!dnsNameCovers(p, n), `${p} does not cover ${n}`);
  });

  it("names each pod from spec.ordinals.start for spec.replicas", () => {
    const sts = withField(statefulSet(), ["spec", "ordinals"], { start: 2 });
    assert.deepStrictEqual(podDnsNames(sts, "redis", "redis", NS, "cluster.local"), [
      "redis-2.redis.cache.svc.cluster.local",
      "redis-3.redis.cache.svc.cluster.local",
      "redis-4.redis.cache.svc.cluster.local",
    ]);
    const none = withField(statefulSet(), ["spec", "replicas"], 0);
    assert.deepStrictEqual(podDnsNames(none, "redis", "redis", NS, "cluster.local"), []);
  });

  it("reads the Secrets of secret and projected volumes, and nothing else", () => {
    const sts = withField(tlsStatefulSet(), VOLUMES, [
      { name: "tls", secret: { secretName: SECRET } },
      { name: "config", configMap: { name: "redis" } },
      { name: "scratch", emptyDir: {} },
      { name: "all", projected: { sources: [{ secret: { name: "a" } }, { secret: {} }] } },
    ]);
    assert.deepStrictEqual(secretVolumes(sts), [
      { label: 'spec.template.spec.volumes[0] ("tls")', secretName: SECRET },
      { label: 'spec.template.spec.volumes[3] ("all")', secretName: "a" },
    ]);
    assert.deepStrictEqual(secretVolumes(statefulSet()), []);
  });

  it("finds the volume a Certificate's Secret is mounted by", () => {
    const volumes = secretVolumes(tlsStatefulSet());
    const mounted = mountedCertificate(certificate(), volumes);
    assert.deepStrictEqual(mounted && [mounted.label, mounted.secretName, mounted.volume.label], [
      'Certificate "redis-tls"',
      SECRET,
      'spec.template.spec.volumes[0] ("tls")',
    ]);
    const other = withField(certificate(), ["spec", "secretName"], "web-tls");
    assert.strictEqual(mountedCertificate(other, volumes), undefined);
    const unknown = withField(certificate(), ["spec", "secretName"], UNKNOWN_STRING);
    assert.throws(() => mountedCertificate(unknown, volumes), /spec\.secretName/);
  });

  it("indexes Certificates by namespace: uncertain only while one's namespace is unknown", () => {
    const stack = new StackIndex(tlsStack());
    assert.strictEqual(stack.hasCertificates(), true);
    assert.deepStrictEqual(stack.certificates(NS), { matches: [certificate()], uncertain: false });
    assert.deepStrictEqual(stack.certificates("web"), { matches: [], uncertain: false });
    const unnamed = withField(certificate(), ["metadata", "name"], UNKNOWN_STRING);
    const withUnnamed = new StackIndex([...tlsStack(), unnamed]);
    assert.deepStrictEqual(withUnnamed.certificates(NS).uncertain, false);
    assert.strictEqual(withUnnamed.certificates(NS).matches.length, 2);
    const unknownNs = withField(certificate(), ["metadata", "namespace"], UNKNOWN_STRING);
    assert.strictEqual(new StackIndex([unknownNs]).certificates(NS).uncertain, true);
    assert.strictEqual(new StackIndex([unknownNs]).hasCertificates(), true);
    // Another group's Certificate is not cert-manager's.
    const other = { ...certificate(), apiVersion: "certificates.example.com/v1" };
    assert.strictEqual(new StackIndex([other]).hasCertificates(), false);
  });
});
