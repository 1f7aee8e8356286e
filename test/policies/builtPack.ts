// The compiled pack (policies/bin) that the analyzer test and the CLI binary test run: the root
// `npm test` builds it first; run alone, a missing build fails with the command that makes it.
import * as fs from "fs";
import * as path from "path";

export const POLICIES_DIR = path.join(__dirname, "../../policies");
export const BUILT_INDEX = path.join(POLICIES_DIR, "bin/index.js");
export const BUILT_CLI = path.join(POLICIES_DIR, "bin/cli.js");

/** Throws with instructions if the pack is not built; warns if sources are newer than the build. */
export function requireBuiltPack(): void {
  for (const file of [BUILT_INDEX, BUILT_CLI]) {
    if (!fs.existsSync(file)) {
      throw new Error(
        `${path.relative(process.cwd(), file)} is missing: run \`npm run build\` (it compiles policies/ with tsc -p policies) before these tests`,
      );
    }
  }
  const built = fs.statSync(BUILT_INDEX).mtimeMs;
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "bin" || entry.name === "node_modules") continue;
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (p.endsWith(".ts") && fs.statSync(p).mtimeMs > built) stale.push(p);
    }
  };
  walk(POLICIES_DIR);
  if (stale.length > 0) {
    console.warn(
      `warning: policies/bin is older than ${path.relative(process.cwd(), stale[0])}: run \`npm run build\` to test the current sources`,
    );
  }
}
