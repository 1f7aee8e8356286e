// `npm run check [-- <stack>...]`: every stack (or the ones named) through the offline preview
// gate: the real program under mocks, the Kubernetes schema, and the policy pack over the analyzer
// protocol with the stack's CI policy config. Exits 1 on a config error, a schema error or a
// mandatory violation.
import { ConfigError } from "../components/config";
import { formatLikeCli, gateStack } from "../harness/gate";
import { stackNames } from "../harness/stacks";

async function main(): Promise<number> {
  const known = stackNames();
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((s) => !known.includes(s));
  if (unknown.length > 0) {
    console.error(`no stack ${unknown.join(", ")} in stacks/ (stacks: ${known.join(", ")})`);
    return 2;
  }
  let failed = false;
  for (const stack of wanted.length > 0 ? wanted : known) {
    try {
      const result = await gateStack(stack);
      const failing = result.mandatory.length > 0 || result.schemaErrors.length > 0;
      failed ||= failing;
      console.log(
        `${failing ? "FAIL" : "ok  "} ${stack}: ${result.resources.length} resources, ` +
          `${result.mandatory.length} mandatory and ${result.diagnostics.length - result.mandatory.length} advisory ` +
          `violations, ${result.schemaErrors.length} schema errors`,
      );
      const report = formatLikeCli(result);
      if (report) console.log(report);
    } catch (err) {
      failed = true;
      const message = err instanceof ConfigError ? err.message : (err as Error).stack;
      console.log(`FAIL ${stack}: ${message}`);
    }
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
