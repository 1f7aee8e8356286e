// One measured run of the program, in a fresh process:
//   node -r ts-node/register/transpile-only bench/programRun.ts <workload count | stack name>
// Prints JSON: when the last resource was registered (ms since process start), how much of that
// was loading modules and how much running the program, and peak memory.
import { runProgram } from "../harness/program";
import { configOfStackFile, stackFile } from "../harness/stacks";
import { generatedConfig } from "./workloads";

async function main(): Promise<void> {
  const arg = process.argv[2] ?? "";
  const config = /^\d+$/.test(arg)
    ? generatedConfig(Number(arg))
    : configOfStackFile(stackFile(arg));
  // Load what index.ts imports first, so that the program's own run is timed apart from loading.
  await import("../components/stack");
  const programStart = performance.now();
  const resources = await runProgram(config);
  const last = Math.max(...resources.map((r) => r.registeredAt));
  process.stdout.write(
    JSON.stringify({
      run: arg,
      resources: resources.length,
      msLoading: programStart,
      msProgram: last - programStart,
      msToLastResource: last,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    }) + "\n",
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
