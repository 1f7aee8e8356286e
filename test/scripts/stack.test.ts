import { strict as assert } from "assert";
import * as path from "path";
import { ROOT, stackNames } from "../../harness/stacks";
import { parseInvocation } from "../../scripts/stack";

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
});
