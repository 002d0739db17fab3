import * as assert from "node:assert/strict";
import { unreachableHosts } from "../../../lib/host/reach";
import { freePort } from "../../../estate/services";
import { sshClient, SshHost, startSshHost } from "../../../estate/hosts";

describe("lib/host/reach (is each host of the stack answering over SSH?)", function () {
    this.timeout(180000);
    let host: SshHost | undefined;
    let sshOpts: string[];

    before(async function () {
        if (process.getuid?.() !== 0) {
            // eslint-disable-next-line no-console
            console.log("      skipped: the SSH test host starts sshd and dockerd in a mount namespace, which needs root (CI runs as root)");
            this.skip();
        }
        const client = await sshClient();
        sshOpts = client.sshOpts;
        host = await startSshHost("reach", client);
    });
    after(async () => host?.stop());

    it("says nothing of a host that answers, and names the class, host, why and what to check for one that does not", async () => {
        const closed = `ssh://root@127.0.0.1:${await freePort()}`;
        const messages = await unreachableHosts([
            { role: "class core", setting: "classes.core.host", endpoint: host!.endpoint, sshOpts },
            { role: "class experimental", setting: "classes.experimental.host", endpoint: closed, sshOpts },
        ]);
        assert.equal(messages.length, 1, messages.join("\n"));
        assert.match(messages[0], new RegExp(`^The host of class experimental, ${closed.replace(/[.]/g, "\\.")}, cannot be reached over SSH \\(.*Connection refused\\)\\. Nothing of it changes in this run;`));
        assert.match(messages[0], /Check that the host is up, .* and the stack's classes\.experimental\.host\.$/);
        assert.ok(!messages[0].includes("\n"), "one line");
    });

    it("reports a host whose key is not the one known_hosts holds", async () => {
        const messages = await unreachableHosts([{ role: "Lyra", setting: "lyra.host", endpoint: host!.endpoint, sshOpts: ["-o", "UserKnownHostsFile=/dev/null", ...sshOpts] }]);
        assert.equal(messages.length, 1);
        assert.match(messages[0], /^The host of Lyra, ssh:\/\/root@127\.0\.0\.1:\d+, cannot be reached over SSH \(No ED25519 host key is known for \[127\.0\.0\.1\]:\d+ and you have requested strict checking\.\)\. .*lyra\.host\.$/);
    });
});
