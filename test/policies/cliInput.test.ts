// What the CLI reads, and how: YAML as kubectl reads it (YAML 1.1, merge keys, go-yaml's lenient
// indentation), text encodings, input that holds no Kubernetes object, and which objects are what.
import * as assert from "assert";
import * as fs from "fs";
import { fixture, runCli } from "./cliRun";

const C = 'spec.template.spec.containers[0] ("redis")';
const PIPEFAIL =
  "nothing was checked; if a command piped into this one failed, run the pipeline with `set -o pipefail`; pass --allow-empty if empty input is expected";

/** The summary of a run that read one StatefulSet and found nothing. */
const ONE_STATEFULSET = "stateful-policy: 1 StatefulSet(s) in 1 file(s): 0 mandatory, 0 advisory\n";

describe("stateful-policy check: input", () => {
  describe("YAML 1.1, as kubectl reads it", () => {
    it("reads yes/no/on/off as booleans", async () => {
      const r = await runCli(["check", fixture("yaml11-booleans.yaml")]);
      assert.deepStrictEqual(
        [r.code, r.lines],
        [
          1,
          [
            "[mandatory] statefulset-security-context (StatefulSet cache/redis): spec.template.spec.hostNetwork is true: remove it; pods share no host namespace",
            `[mandatory] statefulset-security-context (StatefulSet cache/redis): ${C} sets securityContext.privileged: true: remove it`,
          ],
        ],
      );
    });

    it("applies << merge keys", async () => {
      const r = await runCli(["check", fixture("yaml11-merge.yaml")]);
      assert.deepStrictEqual(
        [r.code, r.lines],
        [
          1,
          [
            `[mandatory] statefulset-image-pinned (StatefulSet cache/redis): ${C} image "postgres:latest" uses the latest tag: pin a version tag or a digest, or a restarted pod may run another version`,
            "[mandatory] statefulset-security-context (StatefulSet cache/redis): spec.template.spec.hostNetwork is true: remove it; pods share no host namespace",
          ],
        ],
      );
    });

    it("accepts flow sequences indented less than their key, as go-yaml does", async () => {
      const r = await runCli(["check", fixture("flow-indentation.txt")]);
      assert.deepStrictEqual(
        [r.code, r.stdout, r.stderr],
        [0, "", "stateful-policy: 1 StatefulSet(s) in 1 file(s): 0 mandatory, 0 advisory\n"],
      );
    });

    it("resolves scalars as go-yaml v2 does", async () => {
      const doc = [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata: {name: c}",
        "data: {a: 0777, b: 1:20, c: 2001-12-14, d: 1_000, e: 0o17, f: '<<', g: !!str 12}",
      ].join("\n");
      const { parseManifestText } = await import("../../policies/manifests");
      const [obj] = parseManifestText(doc, "x.yaml").map((o) => o.object);
      assert.deepStrictEqual(obj.data, {
        a: 511,
        b: "1:20",
        c: "2001-12-14",
        d: 1000,
        e: 15,
        f: "<<",
        g: "12",
      });
    });
  });

  describe("input that checks nothing fails", () => {
    it("refuses an empty file and empty stdin, unless --allow-empty", async () => {
      const file = await runCli(["check", fixture("empty.yaml")]);
      assert.deepStrictEqual(
        [file.code, file.stdout, file.stderr],
        [
          2,
          "",
          `stateful-policy: no Kubernetes object found in ${fixture("empty.yaml")}: ${PIPEFAIL}\n`,
        ],
      );
      const stdin = await runCli(["check", "-"], "\n# only a comment\n---\n---\n");
      assert.deepStrictEqual(
        [stdin.code, stdin.stderr],
        [2, `stateful-policy: no Kubernetes object found in stdin: ${PIPEFAIL}\n`],
      );
      const allowed = await runCli(["check", "--allow-empty", "-"], "");
      assert.deepStrictEqual(
        [allowed.code, allowed.stdout, allowed.stderr],
        [0, "", "stateful-policy: 0 StatefulSet(s) in 1 file(s): 0 mandatory, 0 advisory\n"],
      );
    });

    it("decodes UTF-16 with a byte-order mark, as kubectl does", async () => {
      const r = await runCli(["check", fixture("utf16le.txt")]);
      assert.deepStrictEqual([r.code, r.stdout, r.stderr], [0, "", ONE_STATEFULSET]);
      const be = fs.readFileSync(fixture("utf16le.txt")).swap16();
      const stdin = await runCli(["check", "-"], be);
      assert.deepStrictEqual([stdin.code, stdin.stdout, stdin.stderr], [0, "", ONE_STATEFULSET]);
    });

    it("refuses binary input, naming the file", async () => {
      const png = await runCli(["check", fixture("image.png")]);
      assert.deepStrictEqual(
        [png.code, png.stderr],
        [
          2,
          `stateful-policy: ${fixture("image.png")}: not a text file (invalid UTF-8 at byte 0): give YAML or JSON manifests, as UTF-8 or as UTF-16 with a byte-order mark\n`,
        ],
      );
      const nul = await runCli(["check", "-"], Buffer.from("kind: x\0\n"));
      assert.deepStrictEqual(
        [nul.code, nul.stderr],
        [
          2,
          "stateful-policy: stdin: not a text file (a NUL byte at byte 7): give YAML or JSON manifests, as UTF-8 or as UTF-16 with a byte-order mark\n",
        ],
      );
      const noBom = await runCli(["check", "-"], Buffer.from("kind: List\n", "utf16le"));
      assert.deepStrictEqual(
        [noBom.code, noBom.stderr],
        [
          2,
          "stateful-policy: stdin: not a text file (a NUL byte at byte 1; UTF-16 without a byte-order mark?): give YAML or JSON manifests, as UTF-8 or as UTF-16 with a byte-order mark\n",
        ],
      );
    });

    it("refuses a document that is not a Kubernetes object", async () => {
      const values = await runCli(["check", fixture("helm-values.yaml")]);
      assert.deepStrictEqual(
        [values.code, values.stderr],
        [
          2,
          `stateful-policy: ${fixture("helm-values.yaml")}:2: not a Kubernetes object: no apiVersion and no kind (a Helm values file? render the chart with helm template); give manifests only\n`,
        ],
      );
      const scalar = await runCli(["check", "-"], "just text\n");
      assert.deepStrictEqual(
        scalar.stderr,
        "stateful-policy: stdin:1: not a Kubernetes object: the document is a string, not a mapping with apiVersion and kind; give manifests only\n",
      );
      const noVersion = await runCli(["check", "-"], "---\n\nkind: Service\nmetadata: {name: a}\n");
      assert.deepStrictEqual(
        noVersion.stderr,
        "stateful-policy: stdin:3: not a Kubernetes object: no apiVersion; give manifests only\n",
      );
    });

    it("refuses a kind: List whose items is not a list", async () => {
      const r = await runCli(["check", fixture("list-items-map.yaml")]);
      assert.deepStrictEqual(
        [r.code, r.stderr],
        [
          2,
          `stateful-policy: ${fixture("list-items-map.yaml")}:2: kind List: items must be a list of objects, got a mapping\n`,
        ],
      );
    });
  });

  describe("identity is group and kind", () => {
    it("does not take a Calico NetworkPolicy for a Kubernetes one", async () => {
      const r = await runCli(["check", fixture("calico-network-policy.yaml")]);
      assert.deepStrictEqual(
        [r.code, r.lines],
        [
          0,
          [
            '[advisory] statefulset-network-policy (StatefulSet cache/redis): no NetworkPolicy in namespace "cache" selects the pods for Ingress: add one whose podSelector matches spec.template.metadata.labels and allows only the clients and peers that need the ports',
          ],
        ],
      );
    });

    it("does not let a Knative Service shadow the core one", async () => {
      const r = await runCli(["check", fixture("knative-service.yaml")]);
      assert.deepStrictEqual([r.code, r.stdout, r.stderr], [0, "", ONE_STATEFULSET]);
    });

    it("checks apps StatefulSets only, and names wrong or removed API versions", async () => {
      const r = await runCli(["check", fixture("other-statefulsets.yaml")]);
      assert.deepStrictEqual(
        [r.code, r.lines],
        [
          1,
          [
            '[mandatory] statefulset-api-version (StatefulSet cache/typo): apiVersion is "v1", which has no StatefulSet: set apiVersion: apps/v1',
            '[mandatory] statefulset-api-version (StatefulSet cache/old): apiVersion is "apps/v1beta1", which Kubernetes 1.16 removed: set apiVersion: apps/v1 (where spec.selector is required and immutable)',
            '[mandatory] statefulset-api-version (StatefulSet cache/older): apiVersion is "apps/v1beta2", which Kubernetes 1.16 removed: set apiVersion: apps/v1 (where spec.selector is required and immutable)',
          ],
        ],
      );
      assert.match(r.stderr, /: 3 StatefulSet\(s\) in 1 file\(s\): 3 mandatory, 0 advisory\n$/);
    });
  });

  describe("what is reported", () => {
    it("keeps a missing-Service violation when the Service only has generateName", async () => {
      const r = await runCli(["check", fixture("generate-name.yaml")]);
      assert.strictEqual(r.code, 1);
      assert.deepStrictEqual(
        r.lines[0],
        '[mandatory] statefulset-headless-service (StatefulSet default/postgres): spec.serviceName names Service "postgres", which is not in namespace "default": create it as a headless Service (clusterIP: None) selecting the pods, or list it under externalServices in the policy config if it is managed elsewhere',
      );
    });

    it("escapes control characters in names, so no line can be forged", async () => {
      const r = await runCli(["check", fixture("control-characters.yaml")]);
      assert.strictEqual(r.code, 1);
      assert.ok(r.lines.length > 0);
      for (const line of r.lines) {
        assert.ok(line.startsWith("[mandatory] ") || line.startsWith("[advisory] "), line);
        // eslint-disable-next-line no-control-regex
        assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(line), JSON.stringify(line));
        assert.ok(
          line.includes("(StatefulSet cache\\u009b/re\\u001b[2Jdis\\r\\n::error::forged)"),
          line,
        );
      }
    });
  });
});
