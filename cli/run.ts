/**
 * The one path from a command's outcome to what the user sees: every command runs through
 * {@link runCommand}, which maps typed errors to exit codes, prints them with the CLI's own hints
 * (the flag that fixes what a library error names), and under `--json` turns a failure into one
 * JSON object. Commands only return an exit code or throw.
 */
import { parseArgs, ParseArgsConfig } from "node:util";
import { FIELD, isNotFound, RegistryError, RegistrySetting, StackEditRefused, ValidationError } from "../lib/errors";
import { safeWriter } from "../lib/format/text";
import { CliIO, Command, EXIT, EXIT_MEANING, parseCommandArgs } from "./io";

/** A failure the command has put in its own words, with the exit code it means. */
export class CommandFailed extends Error {
    override readonly name = "CommandFailed";
    constructor(
        readonly exitCode: number,
        message: string,
        /** The library error behind it, whose CLI hint is added after the message. */
        readonly reason?: RegistryError | ValidationError,
    ) {
        super(message);
    }
}

/** A command's option table, as node:util's parseArgs takes it. */
export type Options = NonNullable<ParseArgsConfig["options"]>;

/** What {@link defineCommand} hands a command body: the parsed flags and positional arguments. */
export type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>>;

/** How one command runs: its name (the prefix of every error line), its flags and its output rules. */
export interface CommandSpec<O extends Options = Options> {
    name: string;
    /** The command's option table: what is parsed, and a hint names a flag only when the command has it. */
    options: O;
    /** The command's --help text (its first line is printed after a usage error). */
    usage: string;
    /** Exactly one positional argument is required, named so in the usage error. */
    positional?: string;
    /** Any number of positional arguments (the body checks them). */
    positionals?: boolean;
    /**
     * Pass everything the command prints through the one sanitiser (labels and tags from the registry
     * are data). Off for commands that print their own escape sequences (progress, colour) and
     * sanitise each value instead.
     */
    sanitise?: boolean;
    /** A command's own words for a hint, where the default would point at the wrong thing. */
    hints?: Partial<Record<Hinted, string>>;
}

/** What a library error can be about that the CLI has a flag for. */
type Hinted = RegistrySetting | typeof FIELD.entryName;

/** The flag each fact is set with, and the sentence that names it. */
const FLAG_HINTS: Record<Hinted, { flag: string; text: string }> = {
    address: { flag: "registry", text: "To ask another registry, pass --registry <host[:port]>." },
    "plain-http": { flag: "insecure", text: "Pass --insecure to allow plain HTTP to it." },
    [FIELD.entryName]: { flag: "name", text: "Give another --name." },
};

function hintFor(e: RegistryError | ValidationError, spec: CommandSpec<Options>): string {
    const about: Hinted | undefined = e instanceof RegistryError ? e.setting : e.field === FIELD.entryName ? FIELD.entryName : undefined;
    if (about === undefined) return "";
    const own = spec.hints?.[about];
    if (own !== undefined) return ` ${own}`;
    const h = FLAG_HINTS[about];
    return h.flag in spec.options ? ` ${h.text}` : "";
}

/** The exit code a typed error means, and the line that says it; undefined for anything else (a bug). */
function outcome(e: unknown, spec: CommandSpec<Options>): { code: number; message: string } | undefined {
    if (e instanceof CommandFailed) return { code: e.exitCode, message: `${e.message}${e.reason ? hintFor(e.reason, spec) : ""}` };
    if (e instanceof ValidationError) return { code: EXIT.usage, message: `${e.message}${hintFor(e, spec)}` };
    if (e instanceof RegistryError) {
        // A bare 404 may come from a server that is no registry at all: "unavailable", not "the answer is no".
        const code = isNotFound(e) && e.code !== "NOT_FOUND" ? EXIT.failed : EXIT.unavailable;
        return { code, message: `${e.message}${hintFor(e, spec)}` };
    }
    if (e instanceof StackEditRefused) return { code: EXIT.pulumi, message: e.message };
    return undefined;
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

/**
 * Runs one command body: typed errors become one line (`<command>: <message> <hint>`) and their exit
 * code (ValidationError 2, RegistryError 3 or 1 for an unknown repository or manifest, StackEditRefused
 * 4, CommandFailed its own); under `--json` a failure is one JSON object. Anything else is a bug and
 * goes up with its stack.
 */
export async function runCommand<O extends Options>(spec: CommandSpec<O>, body: (args: Parsed<O>, io: CliIO) => Promise<number>, argv: string[], rawIO: CliIO): Promise<number> {
    const wrapped = argv.includes("--json") ? jsonErrors(spec.name, rawIO) : { io: rawIO, flush: () => undefined };
    const io: CliIO = spec.sanitise ? { ...wrapped.io, stdout: safeWriter(wrapped.io.stdout), stderr: safeWriter(wrapped.io.stderr) } : wrapped.io;
    let code: number;
    try {
        const parsed = parseCommandArgs(spec.name, { args: argv, options: spec.options, allowPositionals: spec.positional !== undefined || spec.positionals === true }, spec.usage, io, spec.positional);
        code = typeof parsed === "number" ? parsed : await body(parsed as Parsed<O>, io);
    } catch (e) {
        const o = outcome(e, spec);
        if (o === undefined) {
            wrapped.flush(EXIT.ok);
            throw e;
        }
        io.stderr(`${spec.name}: ${o.message}\n`);
        code = o.code;
    }
    wrapped.flush(code);
    return code;
}

/**
 * A command whose argv is parsed (usage errors and --help answered) and whose body runs through
 * {@link runCommand}: what each command module exports.
 */
export function defineCommand<O extends Options>(spec: CommandSpec<O>, body: (args: Parsed<O>, io: CliIO) => Promise<number>): Command {
    return (argv, io) => runCommand(spec, body, argv, io);
}
