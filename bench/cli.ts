// `stateful-policy check` over generated manifests, as ratios and slopes taken in one run:
//   startRatio       the CLI on 10 StatefulSets / Node's own start (`node -e ""`)
//   msPerStatefulSet at 10, 100 and 1000 StatefulSets (each with its Service, budget and policy)
//   large            50 MB of manifests: seconds and peak memory; 2.6 million empty documents
// Run alone with `npx ts-node bench/cli.ts` (after `npm run build`); `CLI_BENCH=PATH` measures
// another build of the CLI (e.g. an older checkout's policies/bin/cli.js).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const CLI = process.env.CLI_BENCH ?? path.join(__dirname, "../policies/bin/cli.js");
const VALID = path.join(__dirname, "../test/fixtures/manifests/valid.yaml");
const RSS_PRELOAD = path.join(__dirname, "maxRss.js");

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** The valid workload (4 objects, one StatefulSet) renamed `n` times, as one stream. */
function workloads(n: number): string {
  const text = fs.readFileSync(VALID, "utf8");
  return Array.from({ length: n }, (_, i) => text.replace(/redis/g, `redis${i}`)).join("---\n");
}

interface Run {
  ms: number;
  maxRssMb: number;
  status: number | null;
}

/** One process; wall time, and peak RSS as the process itself reports it at exit. */
function run(args: string[]): Run {
  const rssFile = path.join(os.tmpdir(), `cli-bench-rss-${process.pid}`);
  const t0 = performance.now();
  const out = spawnSync(process.execPath, ["-r", RSS_PRELOAD, ...args], {
    encoding: "utf8",
    env: { ...process.env, BENCH_RSS_FILE: rssFile, GITHUB_ACTIONS: "" },
    maxBuffer: 1 << 28,
  });
  const ms = performance.now() - t0;
  const maxRssMb = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, "utf8")) / 1024 : 0;
  fs.rmSync(rssFile, { force: true });
  return { ms, maxRssMb, status: out.status };
}

export function cliBench() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-bench-"));
  try {
    const files: Record<number, string> = {};
    for (const n of [10, 100, 1000]) {
      files[n] = path.join(dir, `${n}.yaml`);
      fs.writeFileSync(files[n], workloads(n));
    }
    // Start-up: Node alone and the CLI on 10 StatefulSets, interleaved.
    const node: number[] = [];
    const small: number[] = [];
    for (let i = 0; i < 15; i++) {
      node.push(run(["-e", ""]).ms);
      small.push(run([CLI, "check", files[10]]).ms);
    }
    const msPerStatefulSet: Record<string, number> = {};
    for (const n of [10, 100, 1000]) {
      const ms = median(Array.from({ length: 5 }, () => run([CLI, "check", files[n]]).ms));
      msPerStatefulSet[n] = round((ms - median(node)) / n);
    }
    // 50 MB of manifests, and 2.6 million empty documents (10 MB).
    const big = path.join(dir, "50mb.yaml");
    const unit = workloads(1);
    fs.writeFileSync(big, "");
    for (let size = 0, i = 0; size < 50 * 2 ** 20; i++) {
      const doc = `${unit.replace(/redis/g, `r${i}`)}---\n`;
      fs.appendFileSync(big, doc);
      size += doc.length;
    }
    const large = run([CLI, "check", big]);
    const empty = path.join(dir, "empty.yaml");
    fs.writeFileSync(empty, "---\n".repeat(2_600_000));
    const emptyRun = run([CLI, "check", "--allow-empty", empty]);
    return {
      startMs: { node: round(median(node), 0), cli10: round(median(small), 0) },
      startRatio: round(median(small) / median(node)),
      msPerStatefulSet,
      large: {
        mb50: { seconds: round(large.ms / 1000, 1), maxRssMb: round(large.maxRssMb, 0) },
        emptyDocs: {
          seconds: round(emptyRun.ms / 1000, 1),
          maxRssMb: round(emptyRun.maxRssMb, 0),
          status: emptyRun.status,
        },
      },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  process.stdout.write(`${JSON.stringify({ cli: cliBench() }, null, 2)}\n`);
}
