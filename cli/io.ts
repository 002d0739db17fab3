import { parseArgs, ParseArgsConfig } from "node:util";

/** What a CLI command may touch, so tests can run commands in-process and read what they print. */
export interface CliIO {
    stdout: (text: string) => void;
    stderr: (text: string) => void;
    /** True when stdout is a terminal: colour and progress only then. */
    isTTY: boolean;
    env: NodeJS.ProcessEnv;
    /** True when stderr is a terminal: progress for long work only then. */
    stderrIsTTY?: boolean;
    /** Terminal width of stdout when it is a TTY. */
    columns?: number;
}

export const processIO: CliIO = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stdout.isTTY),
    env: process.env,
    stderrIsTTY: Boolean(process.stderr.isTTY),
    columns: process.stdout.columns,
};

/** Exit codes scripts can rely on. */
export const EXIT = {
    ok: 0,
    /** A check failed (preflight) or the answer is "no". */
    failed: 1,
    /** Bad usage or bad input. */
    usage: 2,
    /** The registry or another service could not be reached or answered badly. */
    unavailable: 3,
} as const;

/** A command: parses its own argv, prints, returns an exit code. Never calls process.exit. */
export type Command = (argv: string[], io: CliIO) => Promise<number>;

/**
 * Parses one command's argv. On bad usage it prints the problem and the usage to stderr, on `--help`
 * the usage to stdout, and returns the exit code instead of the parsed values. With `positional`, exactly
 * one positional argument (named `positional` in the message) is required.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(
    command: string,
    config: T,
    usage: string,
    io: CliIO,
    positional?: string,
): ReturnType<typeof parseArgs<T>> | number {
    let parsed: ReturnType<typeof parseArgs<T>>;
    try {
        parsed = parseArgs(config);
    } catch (e) {
        io.stderr(`${command}: ${(e as Error).message}\n\n${usage}`);
        return EXIT.usage;
    }
    if ((parsed.values as { help?: boolean }).help) {
        io.stdout(usage);
        return EXIT.ok;
    }
    const count = (parsed.positionals as string[] | undefined)?.length ?? 0;
    if (positional !== undefined && count !== 1) {
        io.stderr(`${command}: expected exactly one ${positional}, got ${count}.\n\n${usage}`);
        return EXIT.usage;
    }
    return parsed;
}
