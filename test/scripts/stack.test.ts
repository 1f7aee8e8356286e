import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { ROOT, stackFile, stackNames } from "../../harness/stacks";
import { parseInvocation, prepareWorkspace } from "../../scripts/stack";

describe("npm run up|preview|destroy -- <stack>", () => {
  it("finds the stack file and its policy config", () => {
    const inv = parseInvocation(["up", "dev"]);
    assert.equal(inv.action, "up");
    assert.equal(inv.stackFile, path.join(ROOT, "stacks", "Pulumi.dev.yaml"));
  });

  it("lists the stacks of stacks/", () => {
    assert.ok(stackNames().includes("dev"));
    assert.ok(stackNames().includes("prod"));
  });

  const stacks = stackNames().join(", ");
  const usage = `usage: npm run <up|preview|destroy> -- <stack>   (stacks: ${stacks})`;
  const cases: [string, string[], string][] = [
    ["an unknown action", ["apply", "dev"], `unknown action 'apply'; ${usage}`],
    ["no action", [], `unknown action ''; ${usage}`],
    ["no stack", ["up"], `no stack named; ${usage}`],
    ["extra arguments", ["up", "dev", "--yes"], `unexpected arguments '--yes'; ${usage}`],
    [
      "a stack without a file",
      ["up", "staging"],
      `no stack 'staging': stacks/Pulumi.staging.yaml does not exist (stacks: ${stacks})`,
    ],
  ];
  for (const [what, argv, message] of cases) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseInvocation(argv), { message });
    });
  }

  describe("leaves the committed stack files as they are", () => {
    let root: string;
    beforeEach(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), "stack-files-"));
      fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
      fs.mkdirSync(path.join(root, "stacks"));
      fs.copyFileSync(stackFile("dev"), stackFile("dev", root));
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    /** What the Pulumi CLI does to the stack file it runs with: a salt, and its own YAML style. */
    const cliWritesTo = (file: string) => {
      const doc = YAML.parse(fs.readFileSync(file, "utf8"));
      fs.writeFileSync(file, JSON.stringify({ encryptionsalt: "v1:salt:abc", ...doc }, null, 4));
    };

    it("runs the CLI on a copy with the committed config, pointing back at the program", () => {
      const committed = fs.readFileSync(stackFile("dev", root), "utf8");
      const dir = prepareWorkspace(parseInvocation(["up", "dev"], root), root);
      assert.ok(dir.startsWith(path.join(root, ".pulumi-state")), "inside the ignored state dir");
      const project = YAML.parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
      assert.equal(path.resolve(dir, project.main), root);
      assert.equal(project.name, "stateful");
      assert.equal(project.stackConfigDir, "stacks");
      const copy = path.join(dir, "stacks", "Pulumi.dev.yaml");
      assert.deepEqual(
        YAML.parse(fs.readFileSync(copy, "utf8")).config,
        YAML.parse(committed).config,
      );

      cliWritesTo(copy);
      prepareWorkspace(parseInvocation(["preview", "dev"], root), root);
      assert.equal(fs.readFileSync(stackFile("dev", root), "utf8"), committed, "untouched");
    });

    it("keeps this machine's salt across runs and takes config changes from the committed file", () => {
      const inv = parseInvocation(["up", "dev"], root);
      const copy = path.join(prepareWorkspace(inv, root), "stacks", "Pulumi.dev.yaml");
      cliWritesTo(copy);
      const doc = YAML.parse(fs.readFileSync(stackFile("dev", root), "utf8"));
      doc.config["stateful:clusterDomain"] = "corp.internal";
      fs.writeFileSync(stackFile("dev", root), YAML.stringify(doc));
      prepareWorkspace(inv, root);
      const after = YAML.parse(fs.readFileSync(copy, "utf8"));
      assert.equal(after.encryptionsalt, "v1:salt:abc");
      assert.equal(after.config["stateful:clusterDomain"], "corp.internal");
    });
  });
});
