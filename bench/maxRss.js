// Preloaded (`node -r`) by bench/cli.ts: writes the process's peak resident memory (KB) at exit.
"use strict";
const fs = require("fs");
process.on("exit", () => {
  if (process.env.BENCH_RSS_FILE) {
    fs.writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
  }
});
