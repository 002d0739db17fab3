/**
 * The product's own SSH to a class host: how an endpoint becomes an `ssh` destination, and running a
 * script there through the OpenSSH client — the same client and options the docker provider uses for
 * that host, so one ssh config, agent and known_hosts serve both. Host keys are always checked.
 */
import { spawn } from "node:child_process";
import { shellLine } from "../release/notes";

/** `ssh` arguments for an endpoint `ssh://user@host[:port]`, or an error that says what to write instead. */
export function sshTarget(endpoint: string): { destination: string; port: number } {
    let url: URL;
    try {
        url = new URL(endpoint);
    } catch {
        throw new Error(`Cannot reach host "${endpoint}": not a URL. Use ssh://user@host[:port] as the class host.`);
    }
    if (url.protocol !== "ssh:" || !url.hostname || !url.username || url.pathname.replace(/^\/+/, "") !== "") {
        throw new Error(`Cannot derive an SSH connection from "${endpoint}". Use ssh://user@host[:port] as the class host.`);
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    return { destination: `${decodeURIComponent(url.username)}@${host}`, port: url.port ? Number(url.port) : 22 };
}

/** The first `-o` options of every product ssh call: they win over `sshOpts` and `~/.ssh/config` (ssh keeps the first value). */
export const FORCED_SSH_OPTIONS = ["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"];

/** What a failed ssh call tells: 255 is ssh's own failure (host, key, network), anything else the script's. */
export class HostError extends Error {
    /** `reason`: what ssh or the script said, without the host or the advice around it. */
    constructor(message: string, readonly unreachable: boolean, readonly reason: string = message) {
        super(message);
    }
}

/**
 * Runs `script` with `sh -c` on the host behind `endpoint`, `stdin` on its standard input; resolves
 * with its standard output. Rejects with a {@link HostError} naming the host and the last lines ssh or
 * the script wrote to stderr; kills ssh after `timeoutMs`.
 */
export function runOnHost(inputs: { endpoint: string; sshOpts: string[]; script: string; stdin?: string }, timeoutMs: number): Promise<string> {
    const { destination, port } = sshTarget(inputs.endpoint);
    const args = [...FORCED_SSH_OPTIONS, ...inputs.sshOpts, "-p", String(port), destination, "--", shellLine(["sh", "-c", inputs.script])];
    return new Promise((resolve, reject) => {
        const child = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, timeoutMs);
        child.stdout.on("data", (d: Buffer) => { stdout += d.toString("utf8"); });
        child.stderr.on("data", (d: Buffer) => { stderr += d.toString("utf8"); });
        child.on("error", (e) => { clearTimeout(timer); reject(new HostError(`Cannot run ssh for ${inputs.endpoint}: ${e.message}. Install the OpenSSH client.`, true, e.message)); });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            if (code === 0) return resolve(stdout);
            const why = stderr.replace(/\r/g, "").trim().split("\n").slice(-5).join("\n") || (timedOut ? `no answer within ${Math.round(timeoutMs / 1000)} s` : `exit ${code ?? signal}`);
            if (code === 255) {
                return reject(new HostError(`Cannot reach ${inputs.endpoint} over SSH: ${why}\nCheck that the host is up and reachable, that its host key is in known_hosts, and that the key in sshOpts (or the agent) may log in.`, true, why));
            }
            reject(new HostError(`The script on ${inputs.endpoint} failed: ${why}`, false));
        });
        child.stdin.on("error", () => { /* the script may not read its input */ });
        child.stdin.end(inputs.stdin ?? "");
    });
}
