import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { factsScript, gatherFacts, newMarker, parseFacts } from "../../../lib/host/facts";
import { LIFECYCLE } from "../../../lib/contract";

const D = (c: string) => `sha256:${c.repeat(64)}`;

describe("lib/host/facts: one script per host, its output parsed", () => {
    const m = newMarker();

    it("the script is valid POSIX sh, reads records and histories under /opt/<org>/ only, and refuses an org that is not a folder name", () => {
        const script = factsScript("giftfinder", m);
        execFileSync("sh", ["-n", "-c", script]);
        assert.match(script, /for d in '\/opt\/giftfinder'\/\*\/; do/);
        assert.match(script, /deploy-info\.yml/);
        assert.match(script, /tail -n 500 "\$\{d\}deploy-history\.jsonl"/);
        for (const org of ["../etc", "a b", "x'y", ".hidden"]) assert.throws(() => factsScript(org, m), /Refusing org/);
        assert.throws(() => factsScript("giftfinder", "@@x; rm -rf /"), /marker/);
    });

    it("parses containers, the digest each runs (pinned, else its image's repo digest), records and histories", () => {
        const inspect = [
            { Id: "c1", Name: "/web", Image: "sha256:img1", RestartCount: 2, State: { Status: "running", StartedAt: "2026-12-01T10:00:00.123Z", Health: { Status: "healthy" } }, Config: { Image: `reg:5000/team/web@${D("a")}`, Labels: { [LIFECYCLE.app]: "web" } } },
            { Id: "c2", Name: "/byhand", Image: "sha256:img2", RestartCount: 0, State: { Status: "created", StartedAt: "0001-01-01T00:00:00Z" }, Config: { Image: "reg:5000/team/web:old", Labels: null } },
        ];
        const out = [
            `${m} now 2026-12-02T12:00:00Z`,
            `${m} containers`, JSON.stringify(inspect),
            `${m} images`, `sha256:img1 reg:5000/team/web@${D("a")} `, `sha256:img2 other/repo@${D("f")} reg:5000/team/web@${D("b")} `,
            `${m} record web`, `app: "web"\nimage: "reg:5000/team/web"\ndigest: "${D("a")}"\ndeployed_at: "2026-12-01T10:00:05Z"\ndeployed_by: "alice"`, "",
            `${m} record broken`, "app: web\ndescription: fix: it", "",
            `${m} history web`, JSON.stringify({ app: "web", image: "reg:5000/team/web", digest: D("a"), at: "2026-12-01T10:00:05Z", by: "alice", outcome: "verified" }), "not json", "",
            // A file that tries to fake a section with another marker is data.
            `@@0000000000000000 record evil`,
            `${m} end`, "",
        ].join("\n");
        const f = parseFacts(out, m, "ssh://h");
        assert.ok(!("unreachable" in f));
        assert.equal(f.now, "2026-12-02T12:00:00Z");
        assert.deepEqual(f.containers.map((c) => [c.name, c.digest, c.state, c.health, c.startedAt, c.restartCount]), [
            ["web", D("a"), "running", "healthy", "2026-12-01T10:00:00.123Z", 2],
            ["byhand", D("b"), "created", undefined, undefined, 0],
        ]);
        assert.deepEqual(f.containers[1].labels, {});
        assert.equal("record" in f.records.web && f.records.web.record.deployed_by, "alice");
        assert.match("error" in f.records.broken ? f.records.broken.error : "", /not valid YAML/);
        assert.equal(f.records.evil, undefined);
        // "not json" and the fake marker line are both history lines that are not entries.
        assert.deepEqual([f.histories.web.entries.length, f.histories.web.skipped], [1, 2]);
    });

    it("docker failing on the host, or output cut short, is a host that did not answer", () => {
        const docker = parseFacts(`${m} now x\n${m} docker-error\nCannot connect to the Docker daemon at unix:///var/run/docker.sock\n${m} end\n`, m, "ssh://h");
        assert.match("unreachable" in docker ? docker.unreachable : "", /docker on ssh:\/\/h failed: Cannot connect to the Docker daemon/);
        const cut = parseFacts(`${m} now x\n${m} containers\n[`, m, "ssh://h");
        assert.match("unreachable" in cut ? cut.unreachable : "", /stopped before its end/);
    });

    it("runs the script on this machine's sh against an /opt tree (docker missing from PATH is reported, records still parse)", function () {
        // The real host run is in test/e2e/status.test.ts; this one checks the shell half without docker.
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "facts-"));
        try {
            const script = factsScript("giftfinder", m).replace(/'\/opt\/giftfinder'/g, `'${root}'`);
            fs.mkdirSync(path.join(root, "web"));
            fs.writeFileSync(path.join(root, "web", "deploy-info.yml"), `app: "web"\nimage: "r/web"\ndigest: "${D("a")}"\ndeployed_at: "2026-12-01T10:00:05Z"\ndeployed_by: "bob"\n`);
            // A PATH with the shell tools the script uses, and no docker.
            const bin = path.join(root, "bin");
            fs.mkdirSync(bin);
            for (const tool of ["sh", "date", "basename", "cat", "tail", "sort"]) {
                const real = execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
                fs.symlinkSync(real, path.join(bin, tool));
            }
            const out = execFileSync(path.join(bin, "sh"), ["-c", script], { encoding: "utf8", env: { PATH: bin } });
            assert.match(out, new RegExp(`${m} docker-error`));
            assert.match(out, new RegExp(`${m} record web\\napp: "web"`));
            assert.match(out, new RegExp(`${m} end\\n$`));
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("a host that cannot be reached resolves to why, and never throws", async () => {
        const r = await gatherFacts({ endpoint: "ssh://nobody@127.0.0.1:1", sshOpts: ["-o", "ConnectTimeout=3"] }, "giftfinder", 20000);
        assert.ok("unreachable" in r);
        assert.match(r.unreachable, /ssh:\/\/nobody@127\.0\.0\.1:1 did not answer: .*(refused|Connection).*Check that the host is up/);
        const bad = await gatherFacts({ endpoint: "http://x", sshOpts: [] }, "giftfinder");
        assert.match("unreachable" in bad ? bad.unreachable : "", /Cannot derive an SSH connection/);
    });
});
