import * as fs from "node:fs";
import * as path from "node:path";
import { shellLine } from "../lib/release/notes";

/** Finds an executable `pulumi` on `env.PATH`. */
export function findPulumi(env: NodeJS.ProcessEnv): string | undefined {
    for (const dir of (env.PATH ?? "").split(path.delimiter)) {
        if (!dir) continue;
        const candidate = path.join(dir, "pulumi");
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) return candidate;
        } catch {
            // not here
        }
    }
    return undefined;
}

/** The policy config `npm start` passes (scripts/main.sh): IMAGE_LIFECYCLE_POLICY_CONFIG or the example. */
export function policyConfig(env: NodeJS.ProcessEnv): string {
    return env.IMAGE_LIFECYCLE_POLICY_CONFIG || "policy-pack-config.example.json";
}

/**
 * The Pulumi settings `npm start` uses (scripts/main.sh), so the CLI's Pulumi calls and the next
 * steps it prints reach the same state: PULUMI_BACKEND_URL defaults to `file://<root>/.pulumi-state`,
 * the passphrase to empty unless PULUMI_CONFIG_PASSPHRASE(_FILE) is set. `defaults` holds only what
 * the caller's environment did not set (what a printed next step must export).
 */
export function pulumiSettings(root: string, env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; defaults: Record<string, string> } {
    const defaults: Record<string, string> = {};
    if (!env.PULUMI_BACKEND_URL) defaults.PULUMI_BACKEND_URL = `file://${path.join(root, ".pulumi-state")}`;
    if (env.PULUMI_CONFIG_PASSPHRASE === undefined && !env.PULUMI_CONFIG_PASSPHRASE_FILE) defaults.PULUMI_CONFIG_PASSPHRASE = "";
    return { env: { ...env, ...defaults }, defaults };
}

/** The exact commands that preview and apply `stack` with the policy pack, on npm start's state. */
export function nextSteps(stack: string, root: string, env: NodeJS.ProcessEnv, opts: { target?: string } = {}): string[] {
    const { defaults } = pulumiSettings(root, env);
    const exports = Object.entries(defaults).map(([k, v]) => `${k}=${shellLine([v])}`);
    const target = opts.target ? ["--target", opts.target, "--target-dependents"] : [];
    const policy = ["--policy-pack", "policy", "--policy-pack-config", policyConfig(env)];
    const lines = [
        ...(exports.length ? [`export ${exports.join(" ")}`] : []),
        shellLine(["pulumi", "preview", "--stack", stack, ...target, ...policy]),
        shellLine(["pulumi", "up", "--stack", stack, ...target, ...policy]),
    ];
    return lines;
}

/** Prints next steps: the commands, indented, under a heading that says why the exports are there. */
export function formatNextSteps(stack: string, root: string, env: NodeJS.ProcessEnv, opts: { target?: string } = {}): string {
    const lines = nextSteps(stack, root, env, opts);
    const where = pulumiSettings(root, env).env.PULUMI_BACKEND_URL;
    return `Next: preview, then apply, with the policy pack (state: ${where}, as npm start uses):\n${lines.map((l) => `  ${l}`).join("\n")}\n` +
        (opts.target ? "" : `  (or: npm start -- ${stack}, then npm start -- ${stack} --up)\n`);
}
