import { strict as assert } from "assert";
import {
  claimName,
  DNS_1035_LABEL,
  DNS_1123_SUBDOMAIN,
  MAX_STATEFULSET_NAME,
  podDnsNames,
  podName,
  selectorLabels,
  workloadLabels,
} from "../../components/names";

describe("names", () => {
  it("keeps the longest allowed StatefulSet name within the 63-character label limit", () => {
    const name = "a".repeat(MAX_STATEFULSET_NAME);
    const revisionHashLabel = `${name}-${"x".repeat(10)}`;
    assert.ok(revisionHashLabel.length <= 63);
    assert.ok(`${name}-${"x".repeat(11)}`.length > 63, "one more character would break it");
    assert.match(name, DNS_1035_LABEL);
  });

  it("derives pod DNS names from the StatefulSet, Service, namespace and domain", () => {
    assert.deepEqual(podDnsNames("db", "db-hl", "data", 2, "example.org"), [
      "db-0.db-hl.data.svc.example.org",
      "db-1.db-hl.data.svc.example.org",
    ]);
  });

  it("names pods and claims as the StatefulSet controller does", () => {
    assert.equal(podName("db", 2), "db-2");
    assert.equal(claimName("data", "db", 2), "data-db-2");
  });

  it("knows a DNS-1123 subdomain", () => {
    for (const ok of ["cluster.local", "a", "fast-ssd", "snap-1.v2", "0a"]) {
      assert.match(ok, DNS_1123_SUBDOMAIN);
    }
    for (const bad of ["", "UPPER", "-a", "a-", "a..b", ".a", "a.", "a_b"]) {
      assert.doesNotMatch(bad, DNS_1123_SUBDOMAIN);
    }
  });

  it("selects pods only by labels that never change", () => {
    const labels = workloadLabels("redis", "cache", "cache");
    assert.deepEqual(selectorLabels(labels), {
      "app.kubernetes.io/name": "redis",
      "app.kubernetes.io/instance": "cache",
    });
  });
});
