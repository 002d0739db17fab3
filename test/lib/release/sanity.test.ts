import { strict as assert } from "node:assert";
import { runSanity, sanityArgs, sanityCommandLine } from "../../../lib/release/sanity";
import { buildAndPush, dockerEngine, RegistryService, sharedTestRegistry } from "../../../estate/services";

describe("lib/sanity", function () {
    this.timeout(180000);

    it("builds seed 004's docker run line", () => {
        assert.deepEqual(sanityArgs("r/x@sha256:1", "app version"), ["run", "--rm", "--network=none", "--read-only", "--tmpfs", "/tmp:rw", "-e", "TMPDIR=/tmp", "r/x@sha256:1", "sh", "-c", "app version"]);
        assert.equal(sanityCommandLine("r/x@sha256:1", "it's"), `docker run --rm --network=none --read-only --tmpfs /tmp:rw -e TMPDIR=/tmp r/x@sha256:1 sh -c 'it'\\''s'`);
    });

    it("refuses unpinned references and empty commands without running docker", async () => {
        assert.match((await runSanity("r/x:latest", "true")).reason!, /only pinned references/);
        assert.match((await runSanity(`r/x@sha256:${"a".repeat(64)}`, "  ")).reason!, /smoke command is empty/);
    });

    describe("on the real engine", () => {
        let reg: RegistryService;
        let pinned: string;
        let host: string;
        before(async () => {
            reg = await sharedTestRegistry();
            host = (await dockerEngine()).host;
            const digest = await buildAndPush({ repository: `${reg.registry}/sanity/app`, tags: ["s1"], payload: "version 1.2.3" });
            pinned = `${reg.registry}/sanity/app@${digest}`;
        });

        it("passes when the smoke command succeeds and prints", async () => {
            const r = await runSanity(pinned, "cat /payload", { dockerHost: host });
            assert.deepEqual(r, { ok: true, output: "version 1.2.3" });
        });

        it("fails when the smoke command fails", async () => {
            const r = await runSanity(pinned, "echo broken >&2; exit 3", { dockerHost: host });
            assert.equal(r.ok, false);
            assert.match(r.reason!, /exited with 3: broken/);
        });

        it("fails when the smoke command prints nothing", async () => {
            const r = await runSanity(pinned, "true", { dockerHost: host });
            assert.deepEqual(r, { ok: false, reason: "the smoke command produced no output", output: "" });
        });

        it("runs read-only with a writable /tmp and no network", async () => {
            assert.equal((await runSanity(pinned, "touch /x && echo wrote", { dockerHost: host })).ok, false, "root filesystem must be read-only");
            assert.deepEqual(await runSanity(pinned, "touch /tmp/x && echo $TMPDIR", { dockerHost: host }), { ok: true, output: "/tmp" });
            const net = await runSanity(pinned, "ls /sys/class/net | tr '\\n' ' '", { dockerHost: host });
            assert.equal(net.output, "lo", "only loopback with --network=none");
        });

        it("fails with the reason when the engine cannot be reached", async () => {
            const r = await runSanity(pinned, "echo hi", { dockerHost: "unix:///nonexistent/docker.sock", timeoutMs: 20000 });
            assert.equal(r.ok, false);
            assert.match(r.reason!, /exited with|Cannot connect/);
        });
    });
});
