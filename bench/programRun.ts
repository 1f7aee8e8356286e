// One measured run of the program, in a fresh process:
//   node -r ts-node/register/transpile-only bench/programRun.ts <workload count | stack name>
// Prints JSON: the time from process start to the last resource registered, and peak memory.
import * as path from "path";
import { configOfStackFile, runProgram, STACKS_DIR } from "../test/support/program";
import { generatedConfig } from "./workloads";

async function main(): Promise<void> {
  const arg = process.argv[2] ?? "";
  const config = /^\d+$/.test(arg)
    ? generatedConfig(Number(arg))
    : configOfStackFile(path.join(STACKS_DIR, `Pulumi.${arg}.yaml`));
  const resources = await runProgram(config);
  const last = Math.max(...resources.map((r) => r.registeredAt));
  process.stdout.write(
    JSON.stringify({
      run: arg,
      resources: resources.length,
      msToLastResource: last,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    }) + "\n",
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
