import { execFileSync } from "node:child_process";
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { overview } from "../../cli/overview";
import { CliIO, EXIT } from "../../cli/io";
import { renderDeployRecord } from "../../lib/rules/deploy-record";
import { OCI } from "../../lib/contract";
import { RegistryClient } from "../../lib/registry/client";
import { buildAndPush, freePort, RegistryService, startRegistry } from "../../estate/services";

const golden = (name: string) => fs.readFileSync(path.join(__dirname, "..", "golden", name), "utf8");

interface Captured {
    io: CliIO;
    out: () => string;
    err: () => string;
}

function capture(env: NodeJS.ProcessEnv = {}, tty = false): Captured {
    let out = "";
    let err = "";
    return {
        io: { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, isTTY: tty, stderrIsTTY: tty, columns: 70, env },
        out: () => out,
        err: () => err,
    };
}

const labels = (created: string, description: string, revision: string) => ({
    [OCI.created]: created,
    [OCI.description]: description,
    [OCI.revision]: revision,
    [OCI.source]: "https://github.com/rednaw/hello-world",
});

describe("cli/overview (real registry, real images)", function () {
    let reg: RegistryService;
    let deployedDigest: string;
    let firstDigest: string;
    let dir: string;
    const repo = "rednaw/hello-world";

    before(async function () {
        // Its own registry: the golden output depends on exactly which tags exist.
        reg = await startRegistry();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "overview-cli-"));
        firstDigest = await buildAndPush({ repository: `${reg.registry}/${repo}`, tags: ["eb53023"], labels: labels("2026-01-25T01:01:00Z", "initial deploy", "eb53023" + "0".repeat(33)), payload: "one" });
        deployedDigest = await buildAndPush({ repository: `${reg.registry}/${repo}`, tags: ["6350192"], labels: labels("2026-01-25T01:10:00Z", "add healthcheck + fix nginx proxy header", "6350192" + "0".repeat(33)), payload: "two" });
        fs.writeFileSync(path.join(dir, "deploy-info.yml"), renderDeployRecord({
            app: "hello-world",
            image: `${reg.registry}/${repo}`,
            digest: deployedDigest,
            tag: "6350192",
            description: "add healthcheck + fix nginx proxy header",
            deployed_at: "2026-01-25T01:20:00Z",
            deployed_by: "alice",
        }));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("prints seed 002's table with → on the deployed tag (golden)", async () => {
        const c = capture();
        const code = await overview([repo, "--registry", reg.registry, "--deployed", path.join(dir, "deploy-info.yml")], c.io);
        assert.equal(c.err(), "");
        assert.equal(code, EXIT.ok);
        assert.equal(c.out(), golden("overview-seed-002.txt"));
    });

    it("takes the registry from the repository argument or IMAGE_LIFECYCLE_REGISTRY", async () => {
        const a = capture();
        assert.equal(await overview([`${reg.registry}/${repo}`, "--deployed", path.join(dir, "deploy-info.yml")], a.io), EXIT.ok);
        assert.equal(a.out(), golden("overview-seed-002.txt"));
        const b = capture({ IMAGE_LIFECYCLE_REGISTRY: reg.registry });
        assert.equal(await overview([repo], b.io), EXIT.ok);
        assert.equal(b.out(), golden("overview-seed-002.txt").replace("→ 6350192", "  6350192"));
    });

    it("reads the program's deployments JSON as the deployed set", async () => {
        const file = path.join(dir, "deployments.json");
        fs.writeFileSync(file, JSON.stringify({ deployments: { web: { class: "core", image: `${reg.registry}/${repo}`, tag: "eb53023", digest: firstDigest, host: "proxima-core" } } }));
        const c = capture();
        assert.equal(await overview([repo, "--registry", reg.registry, "--deployed", file], c.io), EXIT.ok);
        assert.match(c.out(), /\n {2}6350192 .*\n→ eb53023 /);
    });

    it("counts a deployed file that spells the registry host differently, as cleanup does", async () => {
        const file = path.join(dir, "localhost.json");
        const port = reg.registry.split(":")[1];
        fs.writeFileSync(file, JSON.stringify({ web: { class: "core", image: `localhost:${port}/${repo}`, digest: firstDigest, host: "proxima-core" } }));
        const c = capture();
        assert.equal(await overview([repo, "--registry", reg.registry, "--deployed", file], c.io), EXIT.ok, c.err());
        assert.match(c.out(), /\n→ eb53023 /);
    });

    it("--digests adds the 64 hex digits after TAG; the seed's header stays as it is without it", async () => {
        const c = capture();
        assert.equal(await overview([repo, "--registry", reg.registry, "--deployed", path.join(dir, "deploy-info.yml"), "--digests"], c.io), EXIT.ok, c.err());
        const lines = c.out().split("\n");
        assert.match(lines[2], /^TAG\s+DIGEST\s+CREATED\s+DESCRIPTION$/);
        const row = lines.find((l) => l.startsWith("→ 6350192"))!;
        assert.ok(row.includes(` ${deployedDigest.slice(7)} `), row);
        assert.ok(!c.out().includes("sha256:"), "the form deploy --to and promote --digest both accept");
        assert.match(golden("overview-seed-002.txt").split("\n")[2], /^TAG {8}CREATED {14}DESCRIPTION$/);
    });

    it("shows several tags on one digest as one row each, all marked, and cuts descriptions to --width (golden)", async () => {
        const client = new RegistryClient({ registry: reg.registry });
        const m = await client.getManifest(repo, deployedDigest);
        await client.putManifest(repo, "v1.0.0-rc.1", m);
        await client.putManifest(repo, "stable", m);
        await buildAndPush({
            repository: `${reg.registry}/${repo}`,
            tags: ["9f1c2ab"],
            labels: labels("2026-01-26T09:30:00Z", "rework the proxy configuration so that upstream timeouts and retries are explicit", "9f1c2ab" + "0".repeat(33)),
            payload: "three",
        });
        try {
            const c = capture();
            const code = await overview([repo, "--registry", reg.registry, "--deployed", path.join(dir, "deploy-info.yml"), "--width", "72"], c.io);
            assert.equal(code, EXIT.ok, c.err());
            assert.equal(c.out(), golden("overview-tags-width-72.txt"));
            const json = capture();
            assert.equal(await overview([repo, "--registry", reg.registry, "--deployed", path.join(dir, "deploy-info.yml"), "--json"], json.io), EXIT.ok);
            const parsed = JSON.parse(json.out()) as { image: string; tags: { tag: string; digest: string; deployed: boolean; revision: string; size: number }[] };
            assert.equal(parsed.image, `${reg.registry}/${repo}`);
            assert.deepEqual(parsed.tags.filter((t) => t.deployed).map((t) => t.tag), ["6350192", "stable", "v1.0.0-rc.1"]);
            assert.ok(parsed.tags.filter((t) => t.deployed).every((t) => t.digest === deployedDigest));
            assert.equal(parsed.tags.find((t) => t.tag === "eb53023")?.digest, firstDigest);
            assert.equal(parsed.tags[0].tag, "9f1c2ab");
            // The size is what the registry stores (config + layers), read independently with skopeo.
            const raw = JSON.parse(execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${reg.registry}/${repo}:eb53023`], { encoding: "utf8" }));
            const stored = raw.config.size + raw.layers.reduce((sum: number, l: { size: number }) => sum + l.size, 0);
            assert.equal(parsed.tags.find((t) => t.tag === "eb53023")?.size, stored);
        } finally {
            // Leave the repository as the other goldens expect it.
            const newest = await client.resolve(repo, "9f1c2ab");
            if (newest) await client.deleteManifest(repo, newest);
            await client.deleteManifest(repo, deployedDigest);
            await client.putManifest(repo, "6350192", m);
        }
    });

    it("uses the terminal width only on a terminal", async () => {
        const c = capture({}, true);
        assert.equal(await overview([repo, "--registry", reg.registry], c.io), EXIT.ok);
        for (const line of c.out().split("\n")) assert.ok(Array.from(line).length <= 70, line);
        assert.match(c.out(), /add healthcheck \+ fix nginx proxy hea…\n/);
    });

    it("fails clearly for an unknown repository (exit 1)", async () => {
        const c = capture();
        assert.equal(await overview(["rednaw/nope", "--registry", reg.registry], c.io), EXIT.failed);
        assert.match(c.err(), /repository does not exist.*repository rednaw\/nope/);
        assert.equal(c.out(), "");
    });

    it("fails clearly for a repository without tags (exit 1)", async () => {
        const own = "rednaw/emptied";
        const d = await buildAndPush({ repository: `${reg.registry}/${own}`, tags: ["gone"], payload: "gone" });
        await new RegistryClient({ registry: reg.registry }).deleteManifest(own, d);
        const c = capture();
        assert.equal(await overview([own, "--registry", reg.registry], c.io), EXIT.failed);
        assert.match(c.err(), /repository rednaw\/emptied in 127.0.0.1:\d+ has no tags/);
    });

    it("exits 3 when the registry cannot be reached", async () => {
        const c = capture();
        const port = await freePort();
        assert.equal(await overview([repo, "--registry", `127.0.0.1:${port}`], c.io), EXIT.unavailable);
        assert.match(c.err(), new RegExp(`Cannot reach the registry at http://127.0.0.1:${port} \\(ECONNREFUSED\\)`));
    });

    it("exits 2 on bad usage or input, saying what to fix", async () => {
        const cases: [string[], RegExp][] = [
            [[], /expected exactly one repository/],
            [[`${repo}:6350192`, "--registry", reg.registry], /drop the tag/],
            [["Not/Valid", "--registry", reg.registry], /Invalid image reference/],
            [[repo, "--registry", reg.registry, "--width", "abc"], /--width must be/],
            [[repo, "--registry", reg.registry, "--deployed", path.join(dir, "missing.yml")], /Cannot read deployed file .*missing\.yml \(ENOENT\)/],
            [[`${reg.registry}/${repo}`, "--registry", "127.0.0.1:1"], /Give the registry once/],
            [[repo, "--bogus"], /Unknown option/],
        ];
        for (const [args, message] of cases) {
            const c = capture();
            assert.equal(await overview(args, c.io), EXIT.usage, args.join(" "));
            assert.match(c.err(), message);
        }
        const bad = path.join(dir, "bad.yml");
        fs.writeFileSync(bad, "app: x\ndigest: sha256:abc\n");
        const c = capture();
        assert.equal(await overview([repo, "--registry", reg.registry, "--deployed", bad], c.io), EXIT.usage);
        assert.match(c.err(), /bad\.yml is not a deploy record/);
    });

    it("prints help", async () => {
        const c = capture();
        assert.equal(await overview(["--help"], c.io), EXIT.ok);
        assert.match(c.out(), /Usage: image-lifecycle overview <repository>/);
    });
});
