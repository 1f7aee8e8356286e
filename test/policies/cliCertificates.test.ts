// The CLI keeps what the certificate rule reads of a cert-manager Certificate (its secretName and
// dnsNames; it drops the rest): the same findings over manifests as in the pack, with the cluster
// domain from --config.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { runCli } from "./cliRun";
import { certificateFor, tlsStack, tlsStatefulSet } from "./tlsFixtures";

const manifests = (objects: object[]) => objects.map((o) => YAML.stringify(o)).join("---\n");
const ours = (lines: string[]) =>
  lines.filter((l) => l.includes("statefulset-certificate-covers-pods "));

describe("stateful-policy check: certificates of StatefulSets", () => {
  it("passes a Certificate for the Service and every pod, and refuses one without the pods", async () => {
    const ok = await runCli(["check", "-"], manifests(tlsStack()));
    assert.deepStrictEqual(ours(ok.lines), []);
    const svc = "redis.cache.svc.cluster.local";
    const bad = await runCli(
      ["check", "-"],
      manifests(tlsStack(tlsStatefulSet(), certificateFor([svc]))),
    );
    assert.strictEqual(bad.code, 1, bad.stdout);
    assert.deepStrictEqual(ours(bad.lines), [
      `[mandatory] statefulset-certificate-covers-pods (StatefulSet cache/redis): Certificate "redis-tls" writes Secret "redis-tls", which the pods mount as spec.template.spec.volumes[0] ("tls"), but its spec.dnsNames do not cover the stable names of the 3 pods: "redis-0.${svc}", "redis-1.${svc}", "redis-2.${svc}"; a TLS client that reaches them by these names refuses the certificate: add "*.${svc}" (every pod, one label deep) to spec.dnsNames`,
    ]);
  });

  it("takes the cluster's DNS domain from the config", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cert-config-"));
    const config = path.join(dir, "config.json");
    fs.writeFileSync(
      config,
      JSON.stringify({ "statefulset-certificate-covers-pods": { clusterDomain: "k8s.internal" } }),
    );
    try {
      const internal = certificateFor([
        "redis.cache.svc.k8s.internal",
        "*.redis.cache.svc.k8s.internal",
      ]);
      const r = await runCli(
        ["check", "--config", config, "-"],
        manifests(tlsStack(tlsStatefulSet(), internal)),
      );
      assert.deepStrictEqual(ours(r.lines), []);
      const d = await runCli(["check", "--config", config, "-"], manifests(tlsStack()));
      assert.strictEqual(ours(d.lines).length, 1, d.stdout);
      assert.match(ours(d.lines)[0], /its names use the domain "cluster\.local"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
