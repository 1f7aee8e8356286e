import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { BUILT_CLI, requireBuiltPack } from "./builtPack";
import { MANIFESTS as DIR, fixture as f, runCli as run } from "./cliRun";

const MISSING_SERVICE = [
  '[mandatory] statefulset-headless-service (StatefulSet default/postgres): spec.serviceName names Service "postgres", which is not in namespace "default": create it as a headless Service (clusterIP: None) selecting the pods, or list it under externalServices in the policy config if it is managed elsewhere',
  '[advisory] statefulset-network-policy (StatefulSet default/postgres): no NetworkPolicy in namespace "default" selects the pods for Ingress: add one whose podSelector matches spec.template.metadata.labels and allows only the clients and peers that need the ports',
];

describe("stateful-policy check", () => {
  it("exits 0 with no output for a valid multi-document file", async () => {
    const r = await run(["check", f("valid.yaml")]);
    assert.deepStrictEqual([r.code, r.stdout], [0, ""]);
    assert.match(r.stderr, /1 StatefulSet\(s\) in 1 file\(s\): 0 mandatory, 0 advisory/);
  });

  it("exits 1 on a missing Service, one line per finding", async () => {
    const r = await run(["check", f("missing-service.yaml")]);
    assert.strictEqual(r.code, 1);
    assert.deepStrictEqual(r.stdout.trimEnd().split("\n"), MISSING_SERVICE);
  });

  it("reads kind: List and reports bad selectors", async () => {
    const r = await run(["check", f("bad-selectors.yaml")]);
    assert.strictEqual(r.code, 1);
    assert.deepStrictEqual(r.stdout.trimEnd().split("\n"), [
      '[mandatory] statefulset-headless-service (StatefulSet web/web): Service "web" spec.selector does not match spec.template.metadata.labels (no pod label "app=web"): make the Service selector a subset of the pod labels',
      '[mandatory] statefulset-selector-matches-labels (StatefulSet web/web): spec.selector does not match spec.template.metadata.labels ("app=web" not met): add those labels to the pod template or select on labels it has',
    ]);
  });

  it("prints a JSON array with --format json", async () => {
    const r = await run(["check", "--format", "json", f("missing-service.yaml")]);
    assert.strictEqual(r.code, 1);
    const results = JSON.parse(r.stdout);
    assert.deepStrictEqual(results[0], {
      rule: "statefulset-headless-service",
      level: "mandatory",
      kind: "StatefulSet",
      namespace: "default",
      name: "postgres",
      message:
        'spec.serviceName names Service "postgres", which is not in namespace "default": create it as a headless Service (clusterIP: None) selecting the pods, or list it under externalServices in the policy config if it is managed elsewhere',
      file: f("missing-service.yaml"),
      line: 2,
    });
    assert.strictEqual(results.length, 2);
    const valid = await run(["check", "--format=json", f("valid.yaml")]);
    assert.deepStrictEqual([valid.code, JSON.parse(valid.stdout)], [0, []]);
  });

  it("takes the stack from all files together", async () => {
    const service = [
      "apiVersion: v1",
      "kind: Service",
      "metadata: { name: postgres }",
      "spec: { clusterIP: None, selector: { app: postgres } }",
    ].join("\n");
    const r = await run(["check", f("missing-service.yaml"), "-"], service);
    assert.deepStrictEqual([r.code, r.stdout.trimEnd().split("\n")], [0, [MISSING_SERVICE[1]]]);
  });

  it("applies --config: levels, properties and all", async () => {
    const prod = await run(["check", "--config", f("production-config.json"), f("valid.yaml")]);
    assert.strictEqual(prod.code, 1);
    assert.deepStrictEqual(prod.stdout.trimEnd().split("\n"), [
      '[mandatory] statefulset-storage-class (StatefulSet cache/redis): spec.volumeClaimTemplates[0] ("data") spec.storageClassName is "standard-rwo", which is not allowed here: use one of "premium-rwo"',
    ]);
    const ext = await run([
      "check",
      "--config",
      f("external-service-config.json"),
      f("missing-service.yaml"),
    ]);
    assert.deepStrictEqual([ext.code, ext.stdout.trimEnd().split("\n")], [0, [MISSING_SERVICE[1]]]);
  });

  it("reads the shipped example config", async () => {
    const example = path.join(__dirname, "../../policies/config/example.json");
    const r = await run(["check", "--config", example, f("valid.yaml")]);
    assert.strictEqual(r.stderr.includes("warning"), false, r.stderr);
    assert.deepStrictEqual([r.code, r.stdout], [0, ""]);
  });

  it("exits 2 naming the file on unreadable or invalid input", async () => {
    const missing = await run(["check", f("valid.yaml"), f("nope.yaml")]);
    assert.deepStrictEqual([missing.code, missing.stdout], [2, ""]);
    assert.strictEqual(
      missing.stderr,
      `stateful-policy: ${f("nope.yaml")}: cannot read (ENOENT)\n`,
    );
    const invalid = await run(["check", f("invalid-yaml.txt")]);
    assert.strictEqual(invalid.code, 2);
    assert.match(invalid.stderr, /invalid-yaml\.txt:5:20: invalid YAML: /);
    const config = await run(["check", "--config", f("invalid-config.json"), f("valid.yaml")]);
    assert.strictEqual(config.code, 2);
    assert.strictEqual(
      config.stderr,
      `stateful-policy: ${f("invalid-config.json")}: invalid policy config: statefulset-readiness-probe: "strict" is not an enforcement level (advisory, mandatory, remediate, disabled); statefulset-storage-class.allowed must be an array, got string\n`,
    );
  });

  it("exits 2 on bad usage, 0 on --help", async () => {
    for (const args of [
      [],
      ["lint", "x"],
      ["check"],
      ["check", "--format", "xml", "a"],
      ["check", "--bogus", "a"],
      ["check", "--config"],
    ]) {
      const r = await run(args);
      assert.strictEqual(r.code, 2, args.join(" "));
      assert.match(r.stderr, /usage: stateful-policy check/);
    }
    const help = await run(["--help"]);
    assert.deepStrictEqual([help.code, help.stdout.startsWith("usage:")], [0, true]);
  });

  describe("the compiled binary", () => {
    before(requireBuiltPack);

    const bin = (args: string[]) =>
      spawnSync(process.execPath, [BUILT_CLI, ...args], { encoding: "utf8", cwd: DIR });

    it("starts with a node shebang", () => {
      assert.ok(fs.readFileSync(BUILT_CLI, "utf8").startsWith("#!/usr/bin/env node\n"));
    });

    it("exits 0, 1 and 2", () => {
      assert.strictEqual(bin(["check", "valid.yaml"]).status, 0);
      const bad = bin(["check", "--format", "json", "valid.yaml", "missing-service.yaml"]);
      assert.strictEqual(bad.status, 1);
      assert.strictEqual(JSON.parse(bad.stdout).length, 2);
      const unreadable = bin(["check", "nope.yaml"]);
      assert.deepStrictEqual(
        [unreadable.status, unreadable.stderr],
        [2, "stateful-policy: nope.yaml: cannot read (ENOENT)\n"],
      );
    });
  });
});
