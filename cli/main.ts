import { CliIO, Command, EXIT, EXIT_MEANING, nearestFlag, processIO } from "./io";
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
    // Each command runs through cli/run.ts's runCommand (errors, exit codes, JSON errors).
    return (await command.load())(rest, io);
}
