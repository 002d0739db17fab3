/**
 * SSH connection reuse per host (docs/adr/0056-deploy-speed.md): OpenSSH's ControlMaster/ControlPersist,
 * added to a class's (and Lyra's) `sshOpts`, so the docker provider and the host scripts share one
 * connection per host for a run instead of one handshake per command. Host-key checking is untouched:
 * the master connection is made with the stack's own options, and the others ride on it.
 *
 * The sockets live in `~/.ssh/il-cm/` (0700, owned by this user, not a symlink), written `%d/.ssh/il-cm/%C`
 * so the options — which the engine stores with the provider and compares on every run — are the same
 * for every user and machine, and the folder outlives a reboot: `pulumi refresh` and `pulumi destroy` do
 * not run the program that makes the folder, and OpenSSH gives up (exit 255) when it is missing. A Unix
 * socket path must stay under 108 bytes, and OpenSSH first binds a name 17 characters longer than
 * `<dir>/<40 hex of %C>`, so a home folder longer than 38 bytes gets no reuse. So do `sshOpts` that set
 * any Control* option themselves, a folder that cannot be made private, and IMAGE_LIFECYCLE_SSH_REUSE=off.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** How long a master connection outlives its last session. */
export const CONTROL_PERSIST = "60s";

/** Longest socket folder that still leaves room for `/<40 hex>.<16 random>` under the 108-byte limit (a 38-byte home). */
const MAX_DIR = 107 - (1 + 40 + 17);

/** The socket folder relative to the home folder, as OpenSSH's `%d` (the user's home from the password database) starts it. */
const RELATIVE = path.join(".ssh", "il-cm");

/** The home folder OpenSSH's `%d` means: the password database's, not $HOME. */
function passwdHome(): string {
    return os.userInfo().homedir;
}

/** `<home>/.ssh/il-cm`: where the sockets are. */
export function controlDir(): string {
    return path.join(passwdHome(), RELATIVE);
}

/** Creates `dir` (and missing parents) 0700; true when it is a real folder of this user that nobody else can enter. */
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
    return [...opts, "-o", "ControlMaster=auto", "-o", `ControlPath=%d/${RELATIVE}/%C`, "-o", `ControlPersist=${CONTROL_PERSIST}`];
}
