/**
 * SSH connection reuse per host (docs/adr/0055-deploy-speed.md): OpenSSH's ControlMaster/ControlPersist,
 * added to a class's (and Lyra's) `sshOpts`, so the docker provider and the host scripts share one
 * connection per host for a run instead of one handshake per command. Host-key checking is untouched:
 * the first connection is made with the stack's own options, and the others ride on it.
 *
 * The sockets live in a private folder (0700, owned by this user, not a symlink) with a short, fixed
 * path: a fixed path keeps the options — which the engine stores with the provider — the same from run
 * to run (no diff), and a Unix socket path must stay under about 108 bytes (OpenSSH binds a temporary
 * name 17 characters longer than `<dir>/<40 hex of %C>` first). A folder that cannot be made private,
 * `sshOpts` that already set any Control* option, or IMAGE_LIFECYCLE_SSH_REUSE=off leave `sshOpts` as
 * they are.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** How long a master connection outlives its last session. */
export const CONTROL_PERSIST = "60s";

/** Longest socket folder that still leaves room for `/<40 hex>.<16 random>` under the 108-byte limit. */
const MAX_DIR = 107 - (1 + 40 + 17);

/**
 * `/tmp/image-lifecycle-ssh-<uid>`: fixed, not `$TMPDIR`, because the path is part of the options the
 * engine stores and compares, and short enough for socket paths wherever it runs.
 */
export function controlDir(): string {
    return path.join("/tmp", `image-lifecycle-ssh-${typeof process.getuid === "function" ? process.getuid() : "user"}`);
}

/** Creates `dir` 0700 if missing; true when it is a real folder of this user that nobody else can enter. */
export function ensurePrivateDir(dir: string): boolean {
    try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const st = fs.lstatSync(dir);
        const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
        if (!st.isDirectory() || st.uid !== uid) return false;
        if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
        return (fs.lstatSync(dir).mode & 0o077) === 0;
    } catch {
        return false;
    }
}

/** `sshOpts` plus connection reuse, unless the options already choose their own, or reuse is off or unsafe. */
export function withConnectionReuse(sshOpts: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
    const opts = [...sshOpts];
    if (env.IMAGE_LIFECYCLE_SSH_REUSE === "off") return opts;
    if (opts.some((o) => /^(-o\s*)?control(master|path|persist)/i.test(o) || o === "-S")) return opts;
    const dir = controlDir();
    if (Buffer.byteLength(dir) > MAX_DIR || !ensurePrivateDir(dir)) return opts;
    return [...opts, "-o", "ControlMaster=auto", "-o", `ControlPath=${dir}/%C`, "-o", `ControlPersist=${CONTROL_PERSIST}`];
}
