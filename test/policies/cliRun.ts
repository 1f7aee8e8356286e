// Runs the CLI in-process over the fixtures of test/fixtures/manifests, capturing its output.
import * as fs from "fs";
import * as path from "path";
import { CliIO, main } from "../../policies/cli";

export const MANIFESTS = path.join(__dirname, "../fixtures/manifests");
export const fixture = (name: string) => path.join(MANIFESTS, name);

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout split into lines, without the trailing empty one. */
  lines: string[];
}

export async function runCli(
  args: string[],
  stdin: string | Buffer = "",
  env: Record<string, string | undefined> = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    open: (p) => (p === "-" ? [Buffer.from(stdin)] : fs.createReadStream(p)),
    env,
  };
  const code = await main(args, io);
  const lines = stdout === "" ? [] : stdout.replace(/\n$/, "").split("\n");
  return { code, stdout, stderr, lines };
}
