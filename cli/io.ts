import { parseArgs, ParseArgsConfig } from "node:util";

/** What a CLI command may touch, so tests can run commands in-process and read what they print. */
export interface CliIO {
    stdout: (text: string) => void;
    stderr: (text: string) => void;
    /** True when stdout is a terminal: colour, cut descriptions and progress only then. */
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
    /** A check failed (preflight) or the answer is "no" / nothing was found. */
    failed: 1,
    /** Bad usage or bad input. */
    usage: 2,
    /** The registry or another service could not be reached or answered badly. */
    unavailable: 3,
    /** The Pulumi CLI failed. */
    pulumi: 4,
} as const;

/** The flags of every command that asks a registry, declared once. */
export const REGISTRY_OPTIONS = {
    registry: { type: "string" },
    insecure: { type: "boolean" },
} as const;

/** `--json` and `-h`/`--help`, which every command but completion takes. */
export const OUTPUT_OPTIONS = {
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
} as const;

/** What each exit code means, for `--help` texts and JSON errors. */
export const EXIT_MEANING: Record<number, string> = {
    [EXIT.ok]: "ok",
    [EXIT.failed]: "a check failed or nothing was found",
    [EXIT.usage]: "bad usage or input",
    [EXIT.unavailable]: "registry unreachable or answering badly",
    [EXIT.pulumi]: "the Pulumi CLI failed, or the stack file could not be changed safely",
};

/**
 * A command: parses its own argv, prints, returns an exit code or throws (cli/run.ts turns a typed
 * error into its line and exit code). Never calls process.exit.
 */
export type Command = (argv: string[], io: CliIO) => Promise<number>;

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(io: CliIO): boolean {
    return io.isTTY && !io.env.NO_COLOR;
}

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const keep = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = keep;
        }
    }
    return row[b.length];
}

/** The known flag closest to `given` (at most 2 edits, or a unique prefix), if any. */
export function nearestFlag(given: string, known: readonly string[]): string | undefined {
    const name = given.replace(/^-+/, "").split("=")[0];
    const prefixed = known.filter((k) => k.startsWith(name));
    if (name.length >= 2 && prefixed.length === 1) return prefixed[0];
    let best: { flag: string; d: number } | undefined;
    for (const flag of known) {
        const d = distance(name, flag);
        if (d <= Math.max(1, Math.min(2, Math.floor(flag.length / 3))) && (!best || d < best.d)) best = { flag, d };
    }
    return best?.flag;
}

/**
 * `--keep-last -1` would otherwise be read as a flag `-1`: a negative number right after a string
 * option is its value, so the command can say plainly why the value is wrong.
 */
function joinNegativeValues(argv: readonly string[], options: ParseArgsConfig["options"]): string[] {
    const out: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const name = arg.startsWith("--") ? arg.slice(2) : undefined;
        if (name !== undefined && options?.[name]?.type === "string" && /^-\d/.test(argv[i + 1] ?? "")) {
            out.push(`${arg}=${argv[i + 1]}`);
            i++;
        } else {
            out.push(arg);
        }
    }
    return out;
}

/** One line for a parse error, in the product's words rather than Node's parser's. */
function describeParseError(e: NodeJS.ErrnoException, known: readonly string[]): string {
    const quoted = /'([^']+)'/.exec(e.message)?.[1] ?? "";
    switch (e.code) {
        case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
            const flag = quoted.split("=")[0];
            const near = nearestFlag(flag, known);
            return `Unknown option ${flag}.${near ? ` Did you mean --${near}?` : ""}`;
        }
        case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
            const flag = quoted.split(" ")[0];
            return /does not take an argument/.test(e.message) ? `${flag} takes no value.` : `${flag} needs a value.`;
        }
        case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
            return `Unexpected argument "${quoted}": this command takes only options.`;
        default:
            return e.message;
    }
}

/** The first line of a command's help: `Usage: image-lifecycle <command> …`. */
export function usageLine(usage: string): string {
    return usage.split("\n")[0];
}

/** What to print after a usage error: the usage line and where the full help is. */
function usageHint(command: string, usage: string): string {
    return `${usageLine(usage)}\nRun "image-lifecycle ${command} --help" for every option.\n`;
}

/**
 * Parses one command's argv. On bad usage it prints one line naming the problem (with the nearest
 * flag for a typo) and the usage line to stderr, on `--help` the usage to stdout, and returns the
 * exit code instead of the parsed values. With `positional`, exactly one positional argument
 * (named `positional` in the message) is required.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(
    command: string,
    config: T,
    usage: string,
    io: CliIO,
    positional?: string,
): ReturnType<typeof parseArgs<T>> | number {
    let parsed: ReturnType<typeof parseArgs<T>>;
    const known = Object.keys(config.options ?? {});
    try {
        parsed = parseArgs({ ...config, args: joinNegativeValues(config.args ?? [], config.options) }) as ReturnType<typeof parseArgs<T>>;
    } catch (e) {
        io.stderr(`${command}: ${describeParseError(e as NodeJS.ErrnoException, known)}\n${usageHint(command, usage)}`);
        return EXIT.usage;
    }
    if ((parsed.values as { help?: boolean }).help) {
        io.stdout(usage);
        return EXIT.ok;
    }
    const count = (parsed.positionals as string[] | undefined)?.length ?? 0;
    if (positional !== undefined && count !== 1) {
        io.stderr(`${command}: expected exactly one ${positional}, got ${count}.\n${usageHint(command, usage)}`);
        return EXIT.usage;
    }
    return parsed;
}

/** Prints a usage error (one line, then the usage line) and returns the usage exit code. */
export function usageError(command: string, message: string, usage: string, io: CliIO): number {
    io.stderr(`${command}: ${message}\n${usageHint(command, usage)}`);
    return EXIT.usage;
}
