#!/usr/bin/env node
// Runs the TypeScript CLI without a build step; ts-node only transpiles (type checks run in `npm test`).
const path = require("node:path");
require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
require("../cli/main")
    .main(process.argv.slice(2))
    .then((code) => { process.exitCode = code; });
