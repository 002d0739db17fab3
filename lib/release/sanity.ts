/**
 * The post-promotion sanity check of seed 004, run before the tag is written: the pinned image runs
 * offline, read-only, with a small writable /tmp, and its smoke command must succeed and print something.
 */
import { execFile } from "node:child_process";
import type { SanityOutcome } from "./promotion";
import { shellLine } from "./notes";

export interface SanityOptions {
    /** Docker endpoint (`unix:///…`, `tcp://…`); the environment's DOCKER_HOST when absent. */
    dockerHost?: string;
    /** Docker CLI binary; default `docker`. */
    docker?: string;
    /** Whole run, including a pull; default 120 s. */
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
}

/** The `docker` arguments of the check, exactly as run. */
export function sanityArgs(pinned: string, smokeCommand: string): string[] {
    return ["run", "--rm", "--network=none", "--read-only", "--tmpfs", "/tmp:rw", "-e", "TMPDIR=/tmp", pinned, "sh", "-c", smokeCommand];
}

/** A shell-quoted rendering of the command, for records and docs. */
export function sanityCommandLine(pinned: string, smokeCommand: string): string {
    return shellLine(["docker", ...sanityArgs(pinned, smokeCommand)]);
}

const MAX_OUTPUT = 4000;

/**
 * Runs the smoke command in `pinned` (`repo@sha256:…`). Fails when docker exits non-zero (the command
 * failed, or the image could not be pulled or started) or when the command prints nothing on stdout.
 */
export async function runSanity(pinned: string, smokeCommand: string, opts: SanityOptions = {}): Promise<SanityOutcome> {
    if (!/@sha256:[0-9a-f]{64}$/.test(pinned)) {
        return { ok: false, reason: `the sanity check runs only pinned references (repo@sha256:…), got "${pinned}"` };
    }
    if (smokeCommand.trim() === "") return { ok: false, reason: "the smoke command is empty; set smokeCommand to a command that prints the version" };
    const env = { ...(opts.env ?? process.env) };
    if (opts.dockerHost) env.DOCKER_HOST = opts.dockerHost;
    return new Promise((resolve) => {
        execFile(
            opts.docker ?? "docker",
            sanityArgs(pinned, smokeCommand),
            { env, timeout: opts.timeoutMs ?? 120000, maxBuffer: 16 * 1024 * 1024 },
            (error, stdout, stderr) => {
                const out = String(stdout).trim();
                const err = String(stderr).trim();
                if (error) {
                    const code = (error as NodeJS.ErrnoException).code;
                    const why =
                        code === "ENOENT"
                            ? "the docker CLI is not installed (install docker.io or set DOCKER_HOST to an engine and put docker on PATH)"
                            : error.killed
                              ? `the smoke command did not finish within ${opts.timeoutMs ?? 120000} ms`
                              : `the smoke command exited with ${typeof error.code === "number" ? error.code : String(error.code)}`;
                    resolve({ ok: false, reason: `${why}${err ? `: ${err.slice(-MAX_OUTPUT)}` : ""}`, output: out.slice(-MAX_OUTPUT) });
                    return;
                }
                if (out === "") {
                    resolve({ ok: false, reason: "the smoke command produced no output", output: "" });
                    return;
                }
                resolve({ ok: true, output: out.slice(-MAX_OUTPUT) });
            },
        );
    });
}
