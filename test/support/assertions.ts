// Test-only helpers over what harness/mocks records: Output values, the one resource of a type,
// plain-text leaks of generated passwords, and a test per case for args refused before anything
// reaches the engine; the problems a stack config is refused with.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackConfig } from "../../components/config";
import { isWireSecret, RecordedResource, registered, setupMocks } from "../../harness/mocks";

/**
 * Every place a value containing `marker` appears outside a Pulumi secret on the wire, as
 * `<type>::<name>.<path>`: where a generated password would leak in plain text.
 */
export function plainLeaks(resources: RecordedResource[], marker: string): string[] {
  const found: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (isWireSecret(value)) return;
    if (typeof value === "string" && value.includes(marker)) found.push(path);
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
    else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
    }
  };
  for (const r of resources) walk(r.wire, `${r.type}::${r.name}`);
  return found;
}

/** The value of an Output, for assertions. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Whether an Output is marked secret. */
export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/** The one recorded resource of a type (and optional Kubernetes kind-independent name), or a throw. */
export function only(
  resources: RecordedResource[],
  type: string,
  predicate: (r: RecordedResource) => boolean = () => true,
): RecordedResource {
  const found = resources.filter((r) => r.type === type && predicate(r));
  if (found.length !== 1) {
    throw new Error(
      `expected exactly one ${type}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`,
    );
  }
  return found[0];
}

/**
 * One test per case: constructing with the case's args throws exactly `message` (a string, or a
 * pattern the message matches), and nothing reaches the engine.
 */
export function refusesBeforeRegistering<A>(
  construct: (args: A) => unknown,
  cases: [what: string, args: A, message: string | RegExp][],
): void {
  for (const [what, args, message] of cases) {
    it(what, async () => {
      await setupMocks();
      assert.throws(() => construct(args), { message });
      assert.deepEqual(await registered(), [], "nothing was registered");
    });
  }
}

/** The problems a stack config's check reports, one line each; none when it passes. */
export function configProblems(config: unknown): string[] {
  try {
    parseStackConfig(config as Record<string, unknown>);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
}
