#!/usr/bin/env node
"use strict";
// Runs the compiled CLI in dist/ (built from cli/ by `npm run build:cli`, which `prepare` runs on
// every `npm ci`), so starting it costs no TypeScript compilation.
const path = require("node:path");

let cli;
try {
    cli = require("../dist/cli/main.js");
} catch (e) {
    if (e && e.code === "MODULE_NOT_FOUND" && String(e.message).includes(path.join("dist", "cli", "main.js"))) {
        const root = path.join(__dirname, "..");
        process.stderr.write(`image-lifecycle is not built (${path.join(root, "dist", "cli", "main.js")} is missing). Run "npm ci" or "npm run build:cli" in ${root}.\n`);
        process.exit(2);
    }
    throw e;
}
cli.main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
});
