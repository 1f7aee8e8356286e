// The CLI's formats for pull requests: GitHub annotations on each object's file and line, SARIF.
import * as assert from "assert";
import * as path from "path";
import { fixture, runCli } from "./cliRun";

const REL = (name: string) => path.relative(process.cwd(), fixture(name)).split(path.sep).join("/");
const MISSING =
  'spec.serviceName names Service "postgres", which is not in namespace "default": create it as a headless Service (clusterIP: None) selecting the pods, or list it under externalServices in the policy config if it is managed elsewhere';

describe("stateful-policy check: formats", () => {
  it("prints GitHub annotations with file and line, by default in Actions", async () => {
    const explicit = await runCli(["check", "--format", "github", fixture("missing-service.yaml")]);
    const actions = await runCli(["check", fixture("missing-service.yaml")], "", {
      GITHUB_ACTIONS: "true",
    });
    assert.strictEqual(explicit.code, 1);
    assert.deepStrictEqual(explicit.lines, actions.lines);
    assert.deepStrictEqual(
      explicit.lines[0],
      `::error file=${REL("missing-service.yaml")},line=2,title=statefulset-headless-service (StatefulSet default/postgres)::${MISSING}`,
    );
    assert.match(explicit.lines[1], /^::warning file=.*,line=2,title=statefulset-network-policy /);
  });

  it("escapes annotations as GitHub requires", async () => {
    const r = await runCli(["check", "--format", "github", fixture("control-characters.yaml")]);
    for (const line of r.lines) {
      assert.match(line, /^::(error|warning) file=[^,]+,line=5,title=[^:]+::/);
      assert.ok(
        line.includes("StatefulSet cache\\u009b/re\\u001b[2Jdis\\r\\n%3A%3Aerror%3A%3Aforged)"),
        line,
      );
    }
  });

  it("prints SARIF 2.1.0 with every rule and each finding's place", async () => {
    const r = await runCli(["check", "--format", "sarif", fixture("missing-service.yaml")]);
    assert.strictEqual(r.code, 1);
    const sarif = JSON.parse(r.stdout);
    assert.strictEqual(sarif.version, "2.1.0");
    const run = sarif.runs[0];
    assert.ok(
      run.tool.driver.rules.some((x: { id: string }) => x.id === "statefulset-headless-service"),
    );
    assert.deepStrictEqual(run.results[0], {
      ruleId: "statefulset-headless-service",
      ruleIndex: run.tool.driver.rules.findIndex(
        (x: { id: string }) => x.id === "statefulset-headless-service",
      ),
      level: "error",
      message: { text: `StatefulSet default/postgres: ${MISSING}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: REL("missing-service.yaml"), uriBaseId: "%SRCROOT%" },
            region: { startLine: 2 },
          },
        },
      ],
    });
    assert.strictEqual(run.results[1].level, "warning");
  });
});
