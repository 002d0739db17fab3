import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { controlDir, ensurePrivateDir, withConnectionReuse } from "../../../lib/host/ssh-reuse";
import { runOnHost } from "../../../lib/host/ssh";
import { tempDir } from "../../../estate/services";
import { sshClient, SshHost, startSshHost } from "../../../estate/hosts";

const run = promisify(execFile);

describe("lib/host/ssh-reuse (SSH connection reuse per host)", () => {
    it("adds ControlMaster/ControlPath/ControlPersist after the stack's own options, in a private folder with a short path", () => {
        const opts = withConnectionReuse(["-i", "/k", "-o", "StrictHostKeyChecking=yes"], {});
        assert.deepEqual(opts.slice(0, 4), ["-i", "/k", "-o", "StrictHostKeyChecking=yes"], "the stack's options come first, so they win");
        // %d (the home folder) keeps the stored options the same for every user and machine.
        assert.deepEqual(opts.slice(4), ["-o", "ControlMaster=auto", "-o", "ControlPath=%d/.ssh/il-cm/%C", "-o", "ControlPersist=60s"]);
        const st = fs.lstatSync(controlDir());
        assert.ok(st.isDirectory() && !st.isSymbolicLink());
        assert.equal(st.mode & 0o777, 0o700);
        // <dir>/<40 hex of %C>.<16 random> (OpenSSH's temporary name) fits a Unix socket path.
        assert.ok(Buffer.byteLength(`${controlDir()}/${"0".repeat(40)}.${"x".repeat(16)}`) < 108);
    });

    it("leaves options that choose their own Control* setting, or IMAGE_LIFECYCLE_SSH_REUSE=off, as they are", () => {
        for (const own of [["-o", "ControlMaster=no"], ["-oControlPath=/x/%C"], ["-S", "/x/sock"], ["-o", "controlpersist=5"]]) {
            assert.deepEqual(withConnectionReuse(own, {}), own);
        }
        assert.deepEqual(withConnectionReuse(["-p", "22"], { IMAGE_LIFECYCLE_SSH_REUSE: "off" }), ["-p", "22"]);
    });

    it("refuses a socket folder that is a symlink or open to others, and tightens one of its own", () => {
        const base = tempDir("ssh-reuse");
        const real = path.join(base, "real");
        fs.mkdirSync(real, { mode: 0o755 });
        fs.chmodSync(real, 0o755);
        assert.equal(ensurePrivateDir(real), true);
        assert.equal(fs.statSync(real).mode & 0o777, 0o700, "an own folder open to others is made 0700");
        const link = path.join(base, "link");
        fs.symlinkSync(real, link);
        assert.equal(ensurePrivateDir(link), false, "a symlink could point anywhere");
        const file = path.join(base, "file");
        fs.writeFileSync(file, "");
        assert.equal(ensurePrivateDir(file), false);
    });
});

describe("lib/host/ssh-reuse with a real SSH host", function () {
    this.timeout(180000);
    let host: SshHost | undefined;
    let opts: string[];
    let knownHosts: string;

    before(async function () {
        if (process.getuid?.() !== 0) {
            // eslint-disable-next-line no-console
            console.log("      skipped: the SSH test host starts sshd and dockerd in a mount namespace, which needs root (CI runs as root)");
            this.skip();
        }
        const client = await sshClient();
        knownHosts = client.knownHosts;
        host = await startSshHost("reuse", client);
        opts = withConnectionReuse(client.sshOpts, {});
    });
    after(async () => {
        if (host) {
            await run("ssh", [...opts, "-p", String(host.port), "-O", "exit", "root@127.0.0.1"]).catch(() => undefined);
            await host.stop();
        }
    });

    it("opens one master connection that later commands reuse, and a command returns without waiting for it", async () => {
        const endpoint = host!.endpoint;
        const check = () => run("ssh", [...opts, "-p", String(host!.port), "-O", "check", "root@127.0.0.1"]);
        await assert.rejects(check(), "no master before the first command");
        const started = Date.now();
        assert.equal((await runOnHost({ endpoint, sshOpts: opts, script: "echo one" }, 30000)).trim(), "one");
        // The master goes to the background; the command's pipes must close with the command, not with the master.
        assert.ok(Date.now() - started < 30000, `the first command took ${Date.now() - started} ms`);
        const { stderr } = await check();
        assert.match(stderr, /Master running/);
        const sshdLog = () => fs.readFileSync(path.join(host!.root, "sshd.log"), "utf8");
        const logins = (sshdLog().match(/Accepted publickey/g) ?? []).length;
        for (let i = 0; i < 3; i++) assert.equal((await runOnHost({ endpoint, sshOpts: opts, script: `echo ${i}` }, 30000)).trim(), String(i));
        assert.equal((sshdLog().match(/Accepted publickey/g) ?? []).length, logins, "later commands log in no more");
    });

    it("keeps host-key checking: with no master open, a host whose key is unknown is refused with the reuse options", async () => {
        await run("ssh", [...opts, "-p", String(host!.port), "-O", "exit", "root@127.0.0.1"]);
        const empty = path.join(tempDir("ssh-reuse-kh"), "known_hosts");
        fs.writeFileSync(empty, "");
        const strict = withConnectionReuse(opts.slice(0, opts.indexOf("ControlMaster=auto") - 1).map((o) => o.replace(knownHosts, empty)), {});
        assert.ok(strict.includes("ControlMaster=auto") && strict.includes(`UserKnownHostsFile=${empty}`), strict.join(" "));
        await assert.rejects(runOnHost({ endpoint: host!.endpoint, sshOpts: strict, script: "true" }, 30000), /Host key verification failed|host key/i);
        await assert.rejects(run("ssh", [...strict, "-p", String(host!.port), "-O", "check", "root@127.0.0.1"]), "no master was left for the refused host");
    });
});
