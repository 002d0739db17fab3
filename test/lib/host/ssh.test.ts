import * as assert from "node:assert/strict";
import { FORCED_SSH_OPTIONS, sshTarget } from "../../../lib/host/ssh";
import { weakensHostKeys } from "../../../lib/rules/ssh-options";

describe("lib/host/ssh", () => {
    it("derives the SSH connection from the class's Docker endpoint", () => {
        assert.deepEqual(sshTarget("ssh://deploy@proxima-core.lan"), { destination: "deploy@proxima-core.lan", port: 22 });
        assert.deepEqual(sshTarget("ssh://ops@10.0.0.5:2222"), { destination: "ops@10.0.0.5", port: 2222 });
        assert.throws(() => sshTarget("tcp://core:2375"), /Use ssh:\/\/user@host\[:port\]/);
        assert.throws(() => sshTarget("ssh://core.lan"), /Use ssh:\/\/user@host\[:port\]/);
    });

    it("finds options that turn host-key checking off, in the spellings ssh accepts", () => {
        for (const opts of [
            ["-o", "StrictHostKeyChecking=no"], ["-oStrictHostKeyChecking=no"], ["-o", "stricthostkeychecking no"],
            ["-o", "StrictHostKeyChecking=accept-new"], ["-o", "UserKnownHostsFile=/dev/null"], ["-o", "StrictHostKeyChecking = off"],
        ]) assert.ok(weakensHostKeys(opts), opts.join(" "));
        for (const opts of [[], ["-i", "/k"], ["-o", "StrictHostKeyChecking=yes"], ["-o", "UserKnownHostsFile=/etc/ssh/known"]]) {
            assert.equal(weakensHostKeys(opts), undefined, opts.join(" "));
        }
    });

    it("puts its own host-key checking first, where ssh keeps the first value it reads", () => {
        assert.deepEqual(FORCED_SSH_OPTIONS.slice(0, 2), ["-o", "StrictHostKeyChecking=yes"]);
    });
});
