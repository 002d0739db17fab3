import { spawn } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { HostScriptInputs, sshTarget } from "../lib/host/scripts";
import { shellLine } from "../lib/release/notes";
import { HostScriptRole, KINDS, PROJECT } from "../lib/contract";

/** What a host script reports after it ran. */
export interface HostScriptOutputs extends HostScriptInputs {
    stdout: string;
}

/** Fields whose change reruns the script; anything else (ssh options) is updated in place. */
const RERUN: (keyof HostScriptInputs)[] = ["role", "endpoint", "script", "stdin", "recordPath", "triggers"];

/**
 * Runs `script` with `sh -c` on the host behind `endpoint` through the OpenSSH client — the same client
 * and options the docker provider uses for that host, so one ssh config, agent and known_hosts serve both.
 */
export function runOnHost(inputs: Pick<HostScriptInputs, "endpoint" | "sshOpts" | "script" | "stdin">, timeoutMs = 300000): Promise<string> {
    const { destination, port } = sshTarget(inputs.endpoint);
    const args = [...inputs.sshOpts, "-o", "BatchMode=yes", "-p", String(port), destination, "--", shellLine(["sh", "-c", inputs.script])];
    return new Promise((resolve, reject) => {
        const child = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.stdout.on("data", (d: Buffer) => { stdout += d.toString("utf8"); });
        child.stderr.on("data", (d: Buffer) => { stderr += d.toString("utf8"); });
        child.on("error", (e) => { clearTimeout(timer); reject(new Error(`Cannot run ssh for ${inputs.endpoint}: ${e.message}. Install the OpenSSH client.`)); });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            if (code === 0) return resolve(stdout);
            const why = stderr.trim().split("\n").slice(-5).join("\n") || `exit ${code ?? signal}`;
            const hint = code === 255
                ? "Check that the host is reachable, that its host key is in known_hosts, and that the key in sshOpts (or the agent) may log in."
                : "Fix the cause on the host, then run pulumi up again.";
            reject(new Error(`The script on ${inputs.endpoint} failed: ${why}\n${hint}`));
        });
        child.stdin.on("error", () => { /* the script may not read its input */ });
        child.stdin.end(inputs.stdin ?? "");
    });
}

/** The provider: plain functions, so tests can call them against a real SSH host. */
export const hostScriptProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: HostScriptOutputs, news: HostScriptInputs): Promise<pulumi.dynamic.DiffResult> {
        const replaces = RERUN.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        const changes = replaces.length > 0 || JSON.stringify(olds.sshOpts) !== JSON.stringify(news.sshOpts);
        return { changes, replaces, deleteBeforeReplace: false };
    },
    async create(inputs: HostScriptInputs): Promise<pulumi.dynamic.CreateResult> {
        const stdout = await runOnHost(inputs);
        return { id: `${inputs.role}:${inputs.recordPath ?? inputs.endpoint}`, outs: { ...inputs, stdout } };
    },
    async update(_id: string, olds: HostScriptOutputs, news: HostScriptInputs): Promise<pulumi.dynamic.UpdateResult> {
        // Only the ssh options changed: nothing is rerun.
        return { outs: { ...news, stdout: olds.stdout } };
    },
    // Nothing to undo: a deploy record stays on the host as the last word on what ran there.
    async delete() { /* intentionally empty */ },
};

export interface HostScriptArgs {
    role: HostScriptRole;
    endpoint: string;
    sshOpts?: string[];
    script: string;
    stdin?: pulumi.Input<string>;
    recordPath?: string;
    triggers: pulumi.Input<string>[];
}

/** A script run once on a class host over SSH, rerun when its script, input or triggers change. */
export class HostScript extends pulumi.dynamic.Resource {
    declare readonly stdout: pulumi.Output<string>;

    constructor(name: string, args: HostScriptArgs, opts?: pulumi.CustomResourceOptions) {
        const props: Record<string, pulumi.Input<unknown>> = {
            kind: KINDS.hostScript,
            role: args.role,
            endpoint: args.endpoint,
            sshOpts: args.sshOpts ?? [],
            script: args.script,
            triggers: args.triggers,
            stdout: undefined,
        };
        if (args.stdin !== undefined) props.stdin = args.stdin;
        if (args.recordPath !== undefined) props.recordPath = args.recordPath;
        super(hostScriptProvider, name, props, opts, PROJECT, "HostScript");
    }
}
