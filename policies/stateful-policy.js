#!/usr/bin/env node
// The `stateful-policy` command. It lives outside bin/ so that `npm ci` can link it before the
// first build; the code it runs is the compiled CLI from `npm run build`.
"use strict";
const path = require("path");
const fs = require("fs");

const compiled = path.join(__dirname, "bin", "cli.js");
if (!fs.existsSync(compiled)) {
  process.stderr.write("stateful-policy: not built yet; run `npm run build` first\n");
  process.exit(2);
}
const { main } = require(compiled);
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`stateful-policy: internal error: ${e instanceof Error ? e.stack : e}\n`);
    process.exitCode = 2;
  },
);
