/**
 * What `npm start` prints at its end so a newcomer can go on by hand: an environment file for the local
 * estate (its checkout, Pulumi state, engine, registry credentials) and the commands of the team's day
 * — status, rollback, deploy, promote, cleanup — that work there exactly as printed. The end-to-end
 * test (test/e2e/status.test.ts) runs these same lines against its own estate.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { shellLine } from "../lib/release/notes";

/** What the commands need to know about the estate. */
export interface EstateFacts {
    /** The estate's project checkout, where its stack file (with the estate's hosts and registry) is. */
    checkout: string;
    /** Environment the estate's pulumi runs with (state, passphrase, engine on PATH, credentials). */
    env: NodeJS.ProcessEnv;
    /** `host:port` of the estate's registry. */
    registry: string;
    /** hello-world's builds, oldest first. */
    hello: { tag: string; digest: string }[];
}

/** The variables the estate sets that a shell must get to reach the estate. */
const KEYS = ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_HOME", "PULUMI_SKIP_UPDATE_CHECK", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "DOCKER_HOST", "REGISTRY_USERNAME", "REGISTRY_PASSWORD", "IMAGE_LIFECYCLE_DEPLOYER", "NO_COLOR"];

/**
 * The environment file: exports the estate's settings, puts `binDir` (where `image-lifecycle` is) and
 * the engine first on PATH, and changes to the checkout, so `image-lifecycle` and `pulumi` both read the
 * estate's stack file and state.
 */
export function envFile(e: EstateFacts, enginePath: string, binDir: string): string {
    const lines = ["# The local estate, for a shell: source it (npm start wrote it; it changes with every new estate)."];
    for (const k of KEYS) if (e.env[k] !== undefined) lines.push(`export ${k}=${shellLine([e.env[k]!]) || "''"}`);
    const pathDirs = [binDir, ...(enginePath ? [enginePath] : [])];
    lines.push(`export PATH=${shellLine([pathDirs.join(":")])}:"$PATH"`);
    lines.push(`cd ${shellLine([e.checkout])}`);
    return `${lines.join("\n")}\n`;
}

/**
 * Writes the environment file at `file` and, beside it, `bin/image-lifecycle`: a link to the checkout's
 * `bin/image-lifecycle.js` (the name `npm link` would give it), so the printed commands run as printed.
 */
export function writeEstateEnv(file: string, e: EstateFacts, enginePath: string): void {
    const binDir = path.join(path.dirname(file), "bin");
    fs.mkdirSync(binDir, { recursive: true });
    const link = path.join(binDir, "image-lifecycle");
    fs.rmSync(link, { force: true });
    fs.symlinkSync(path.join(e.checkout, "bin", "image-lifecycle.js"), link);
    fs.writeFileSync(file, envFile(e, enginePath, binDir), { mode: 0o600 });
}

/** One printed step: a comment saying what it does, then the command line(s). */
export interface Step {
    say: string;
    run: string[];
}

/** The commands printed after `npm start`, in the order a newcomer would try them. */
export function estateSteps(e: EstateFacts): Step[] {
    const policy = ["--policy-pack", "policy", "--policy-pack-config", "policy-pack-config.example.json"];
    const up = shellLine(["pulumi", "up", "--yes", "--stack", "proxima", ...policy]);
    const earlier = e.hello[0];
    const latest = e.hello[e.hello.length - 1];
    return [
        { say: "what runs where, read from the class hosts (drift and fixes included)", run: ["image-lifecycle status"] },
        { say: "the digests hello-world ran (the host's history) and the registry's other builds", run: ["image-lifecycle rollback hello-world"] },
        { say: "deploy an earlier build: pin it in the stack file, then apply", run: [`image-lifecycle deploy hello-world --to ${earlier.tag} --yes`, up] },
        { say: "and back to the last verified deploy before it", run: ["image-lifecycle rollback hello-world --previous --yes", up] },
        { say: "give the deployed build a release tag (checks first), then apply", run: [`image-lifecycle promote --image rednaw/hello-world --digest ${latest.digest.replace(/^sha256:/, "")} --tag v1.1.0 --yes`, up] },
        { say: "what cleanup would delete (a plan; --apply deletes)", run: ["pulumi stack output deployments --json --stack proxima > deployed.json", `image-lifecycle cleanup rednaw/hello-world --registry ${e.registry} --deployed deployed.json`] },
    ];
}

/** The steps as printed: the `source` line first, then each step under its comment. */
export function formatSteps(envFilePath: string, steps: Step[]): string {
    const out = ["Try it (the estate's stack file, state and credentials):", `  source ${shellLine([envFilePath])}`];
    for (const s of steps) out.push(`  # ${s.say}`, ...s.run.map((r) => `  ${r}`));
    return `${out.join("\n")}\n`;
}
