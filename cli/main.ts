import { CliIO, Command, EXIT, EXIT_MEANING, exitCodeFor, nearestFlag, processIO } from "./io";
import { packageVersion } from "./version";

/** Each command lives in its own module, loaded only when used, so `--help` loads none of them. */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
    status: { summary: "what runs where: every app of a stack by class, and what is newer", load: async () => (await import("./status")).status },
    overview: { summary: "table of an image's tags, newest first, → on the deployed one", load: async () => (await import("./overview")).overview },
    deploy: { summary: "switch an app to a tag or digest, forward or back (dry run unless --yes)", load: async () => (await import("./deploy")).deploy },
    rollback: { summary: "list earlier digests of an app and switch the stack config to one", load: async () => (await import("./rollback")).rollback },
    preflight: { summary: "the promotion checks for a digest and a release tag; exit 1 when one fails", load: async () => (await import("./preflight")).preflight },
    promote: { summary: "preflight, then add the release to the proxima stack file (dry run unless --yes)", load: async () => (await import("./promote")).promote },
    cleanup: { summary: "retention plan for a repository; deletes only with --apply", load: async () => (await import("./cleanup")).cleanup },
    completion: { summary: "print the bash or zsh completion script (app names from the stack file)", load: async () => (await import("./completion")).completion },
};

function usage(): string {
    const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(11)} ${c.summary}`);
    return [
        "Usage: image-lifecycle <command> [options]",
        "",
        "Commands:",
        ...rows,
        "",
        "  --version    print the version",
        "  -h, --help   this help",
        "",
        `Run "image-lifecycle <command> --help" for a command's options.`,
        `Exit codes: ${Object.entries(EXIT_MEANING).map(([c, m]) => `${c} ${m}`).join(", ")}.`,
        "",
    ].join("\n");
}

/**
 * Under `--json`, what a command writes to stderr is held back; when it fails, the message comes out
 * as one JSON object (with the exit code's meaning) so a script never has to parse prose.
 */
function jsonErrors(name: string, io: CliIO): { io: CliIO; flush(code: number): void } {
    let held = "";
    return {
        io: { ...io, stderr: (t) => { held += t; }, stderrIsTTY: false },
        flush(code) {
            if (!held) return;
            if (code === EXIT.ok) {
                io.stderr(held);
                return;
            }
            const lines = held.split("\n").filter((l) => l.trim() !== "");
            const notes = lines.filter((l) => l.startsWith("note: ")).map((l) => l.slice("note: ".length));
            const message = lines.filter((l) => !l.startsWith("note: ")).join("\n").replace(new RegExp(`^${name}: `), "");
            io.stderr(`${JSON.stringify({ error: { command: name, message, exitCode: code, meaning: EXIT_MEANING[code] ?? "error", ...(notes.length ? { notes } : {}) } })}\n`);
        },
    };
}

/** Runs one command with the shared error handling: exit codes, JSON errors under `--json`. */
export async function runCommand(name: string, command: Command, argv: string[], io: CliIO): Promise<number> {
    const wrapped = argv.includes("--json") ? jsonErrors(name, io) : { io, flush: () => undefined };
    let code: number;
    try {
        code = await command(argv, wrapped.io);
    } catch (e) {
        const mapped = exitCodeFor(name, e, wrapped.io);
        if (mapped === undefined) {
            wrapped.flush(EXIT.ok);
            throw e;
        }
        code = mapped;
    }
    wrapped.flush(code);
    return code;
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
    const [name, ...rest] = argv;
    if (!name || name === "--help" || name === "-h") {
        io.stdout(usage());
        return name ? EXIT.ok : EXIT.usage;
    }
    if (name === "--version" || name === "-V" || name === "version") {
        io.stdout(`${packageVersion()}\n`);
        return EXIT.ok;
    }
    const command = COMMANDS[name];
    if (!command) {
        const near = nearestFlag(name, Object.keys(COMMANDS));
        io.stderr(`Unknown command "${name}".${near ? ` Did you mean ${near}?` : ""}\nUsage: image-lifecycle <command> [options]; "image-lifecycle --help" lists the commands.\n`);
        return EXIT.usage;
    }
    return runCommand(name, await command.load(), rest, io);
}
