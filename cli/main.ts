import { CliIO, Command, EXIT, processIO } from "./io";

/** Each command lives in its own module, loaded only when used. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
    overview: { summary: "table of an image's tags, newest first, → on the deployed one", load: async () => (await import("./overview")).overview },
    rollback: { summary: "list earlier digests of an app and switch the stack config to one", load: async () => (await import("./rollback")).rollback },
    preflight: { summary: "promotion preflight checks (seed 004), exit 1 when one fails", load: async () => (await import("./preflight")).preflight },
    cleanup: { summary: "retention plan for a repository; deletes only with --apply", load: async () => (await import("./cleanup")).cleanup },
};

function usage(): string {
    const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
    return `Usage: image-lifecycle <command> [options]\n\nCommands:\n${rows.join("\n")}\n\nRun "image-lifecycle <command> --help" for a command's options.\n`;
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
    const [name, ...rest] = argv;
    if (!name || name === "--help" || name === "-h") {
        io.stdout(usage());
        return name ? EXIT.ok : EXIT.usage;
    }
    const command = COMMANDS[name];
    if (!command) {
        io.stderr(`Unknown command "${name}".\n${usage()}`);
        return EXIT.usage;
    }
    return (await command.load())(rest, io);
}
