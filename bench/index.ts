// `npm run bench`: where time goes, as ratios measured side by side in one run. Prints JSON.
//   program   time from process start to the last resource registered, per workload count
//   pack      time from spawn to the port line, ours against an empty pack built the same way
//   analysis  Analyze over every resource plus AnalyzeStack, ours against the empty pack
//   cli       stateful-policy check: start-up against Node, per StatefulSet, 50 MB (bench/cli.ts)
// BENCH_SIZES=10,100 limits the workload counts (default 10,100,1000).
import { spawn, spawnSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { PackResource, startPack } from "../harness/analyzerClient";
import { analyzeAll, policyConfigOf, toPackResource } from "../harness/gate";
import { runProgram } from "../harness/program";
import { cliBench } from "./cli";
import { POLICY_PACK_DIR, ROOT } from "../harness/stacks";
import { generatedConfig } from "./workloads";

const EMPTY_PACK_DIR = path.join(__dirname, "empty-pack");
const SIZES = (process.env.BENCH_SIZES ?? "10,100,1000").split(",").map(Number);
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

interface ProgramRun {
  resources: number;
  /** ms from process start until index.ts begins: loading and compiling modules. */
  msLoading: number;
  /** ms from index.ts beginning until the engine answered the last registration. */
  msProgram: number;
  msToLastResource: number;
  peakRssMb: number;
}

/**
 * One run of the program in a fresh process, loaded as `pulumi up` loads it: Pulumi's runtime
 * registers source-map-support, then ts-node compiles the TypeScript; `typeCheck` is what a
 * TypeScript Pulumi project does by default, transpile-only what this project's tsconfig selects.
 */
function runProgramProcess(arg: string, typeCheck: boolean): ProgramRun {
  const register =
    `require("source-map-support/register");` +
    `require("ts-node").register({ transpileOnly: ${!typeCheck}, project: ${JSON.stringify(path.join(ROOT, "tsconfig.json"))} });` +
    `process.argv[2] = ${JSON.stringify(arg)};` +
    `require(${JSON.stringify(path.join(__dirname, "programRun.ts"))});`;
  const out = spawnSync(process.execPath, ["-e", register], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (out.status !== 0) throw new Error(`program run ${arg} failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split("\n").pop()!);
}

function programBench() {
  const run = (arg: string, typeCheck = false) => runProgramProcess(arg, typeCheck);
  log("program: start-up (no workloads), type-checked and transpile-only, interleaved");
  const checked: ProgramRun[] = [];
  const transpiled: ProgramRun[] = [];
  for (let i = 0; i < 3; i++) {
    checked.push(run("0", true));
    transpiled.push(run("0"));
  }
  const startChecked = median(checked.map((r) => r.msToLastResource));
  const startTranspiled = median(transpiled.map((r) => r.msToLastResource));
  // The program's fixed cost (config validation, provider, namespace), beside module loading.
  const fixedMs = median(transpiled.map((r) => r.msProgram));
  const dev = median(Array.from({ length: 3 }, () => run("dev").msToLastResource));
  const msPerWorkload: Record<string, number> = {};
  const msToLastResource: Record<string, number> = {};
  const resources: Record<string, number> = {};
  let peakRssMb = 0;
  for (const n of SIZES) {
    log(`program: ${n} workloads`);
    const rs = Array.from({ length: n >= 1000 ? 1 : 3 }, () => run(String(n)));
    msToLastResource[n] = round(median(rs.map((r) => r.msToLastResource)), 0);
    msPerWorkload[n] = round((median(rs.map((r) => r.msProgram)) - fixedMs) / n);
    resources[n] = rs[0].resources;
    if (n === Math.max(...SIZES)) peakRssMb = round(Math.max(...rs.map((r) => r.peakRssMb)), 0);
  }
  const [first, last] = [SIZES[0], SIZES[SIZES.length - 1]];
  return {
    startMs: { typeChecked: round(startChecked, 0), transpileOnly: round(startTranspiled, 0) },
    startRatioTypeCheckedToTranspiled: round(startChecked / startTranspiled),
    loadingMs: round(median(transpiled.map((r) => r.msLoading)), 0),
    fixedProgramMs: round(fixedMs, 0),
    devStackMs: round(dev, 0),
    msToLastResource,
    resources,
    msPerWorkload,
    perWorkloadGrowth: round(msPerWorkload[last] / msPerWorkload[first]),
    peakRssMb,
  };
}

/** Time from spawn to the port line, as the CLI waits for it. */
function packStartMs(dir: string): Promise<number> {
  const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runPolicyPack, "127.0.0.1:0", "."], {
      cwd: dir,
      env: { ...process.env, PULUMI_CONFIG: "{}" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout.on("data", (chunk: Buffer) => {
      if (/^\d+\s*$/m.test(chunk.toString())) {
        const ms = performance.now() - t0;
        child.kill();
        resolve(ms);
      }
    });
    child.on("exit", (code) => reject(new Error(`pack in ${dir} exited with ${code}`)));
  });
}

async function packBench() {
  log("pack start: ours and the empty pack, interleaved, 7 each");
  const ours: number[] = [];
  const empty: number[] = [];
  for (let i = 0; i < 7; i++) {
    ours.push(await packStartMs(POLICY_PACK_DIR));
    empty.push(await packStartMs(EMPTY_PACK_DIR));
  }
  return {
    startMs: { ours: round(median(ours), 0), empty: round(median(empty), 0) },
    startRatio: round(median(ours) / median(empty)),
  };
}

async function analysisMs(
  dir: string,
  resources: PackResource[],
  config?: object,
): Promise<number> {
  const pack = await startPack(dir, { stack: "bench", project: "stateful" });
  try {
    await pack.configure(config as never);
    await analyzeAll(pack, resources.slice(0, 50)); // warm the pack's code paths
    const t0 = performance.now();
    await analyzeAll(pack, resources);
    return performance.now() - t0;
  } finally {
    await pack.close();
  }
}

async function analysisBench() {
  const ratio: Record<string, number> = {};
  const msPerResource: Record<string, { ours: number; empty: number }> = {};
  for (const n of SIZES) {
    log(`analysis: ${n} workloads`);
    const resources = (await runProgram(generatedConfig(n))).map(toPackResource);
    const ours: number[] = [];
    const empty: number[] = [];
    for (let i = 0; i < (n >= 1000 ? 1 : 3); i++) {
      ours.push(await analysisMs(POLICY_PACK_DIR, resources, policyConfigOf("prod")));
      empty.push(await analysisMs(EMPTY_PACK_DIR, resources));
    }
    ratio[n] = round(median(ours) / median(empty));
    msPerResource[n] = {
      ours: round(median(ours) / resources.length, 3),
      empty: round(median(empty) / resources.length, 3),
    };
  }
  const [first, last] = [SIZES[0], SIZES[SIZES.length - 1]];
  return {
    ratio,
    msPerResource,
    perResourceGrowth: round(msPerResource[last].ours / msPerResource[first].ours),
  };
}

async function main() {
  const result = {
    machine: { node: process.version, cpus: os.cpus().length },
    program: programBench(),
    pack: await packBench(),
    analysis: await analysisBench(),
    cli: cliBench(),
  };
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
