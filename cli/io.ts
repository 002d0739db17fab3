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
