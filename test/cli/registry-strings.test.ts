/**
 * Fuzz of what each CLI command prints for registry-supplied strings (issue 9, rule 9): whatever a
 * hostile registry puts in tag names, labels, media types, headers and error bodies, no byte below
 * 0x20 other than newline and tab, no ESC, no C1 control and no bidi override reaches stdout or stderr,
 * and a registry's fault is never reported as the user's (exit 2).
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cleanup } from "../../cli/cleanup";
import { CliIO, Command, EXIT } from "../../cli/io";
import { overview } from "../../cli/overview";
import { preflight } from "../../cli/preflight";
import { rollback } from "../../cli/rollback";
import { OCI } from "../../lib/contract";
import { MEDIA_TYPES } from "../../lib/registry/types";
import { HostileServer, startHostileServer } from "../support/hostile-server";

/** What must never reach a terminal from the registry. */
const FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

/** mulberry32, so a failing seed can be replayed. */
function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const NASTY = [
    "\u001b[31m", "\u001b[2J", "\u001b]0;owned\u0007", "\u001b]8;;https://evil.example/\u001b\\", "\u001bP1$r\u001b\\", "\u001bc",
    "\u009b31m", "\u009d0;x\u009c", "\u0085", "\u0090", "\u007f", "\r", "\b\b\b", "\u0000", "\u0007", "\u000b", "\u000c",
    "\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\u061c", "\u2028", "\n", "\t", "é", "漢字", "🚀",
];

function hostileString(rnd: () => number, long = false): string {
    const parts: string[] = [];
    const n = long ? 2000 : 1 + Math.floor(rnd() * 12);
    for (let i = 0; i < n; i++) parts.push(rnd() < 0.5 ? NASTY[Math.floor(rnd() * NASTY.length)] : "text");
    return parts.join("");
}

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/**
 * A registry whose every string is hostile. `seed` picks the faults: hostile tag names among real
 * ones, hostile labels, media types and digest headers, and error answers with hostile bodies.
 */
async function hostileRegistry(seed: number): Promise<{ server: HostileServer; digest: string }> {
    const rnd = prng(seed);
    const labels: Record<string, string> = {
        [OCI.description]: hostileString(rnd, rnd() < 0.2),
        [OCI.created]: rnd() < 0.5 ? "2026-01-25T01:10:00Z" : hostileString(rnd),
        [OCI.revision]: hostileString(rnd),
        [OCI.source]: hostileString(rnd),
    };
    const config = Buffer.from(JSON.stringify({ architecture: hostileString(rnd), os: "linux", variant: hostileString(rnd), config: { Labels: labels }, rootfs: { type: "layers", diff_ids: [] } }));
    const layer = Buffer.from("layer");
    const manifestType = rnd() < 0.2 ? hostileString(rnd) : MEDIA_TYPES.ociManifest;
    const manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: manifestType,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha(layer), size: layer.length }],
    }));
    const digest = sha(manifest);
    const tags = ["abc1234", "v1.0.0", "main"];
    if (rnd() < 0.6) tags.push(hostileString(rnd, rnd() < 0.3));
    const badHeader = rnd() < 0.15 ? hostileString(rnd) : undefined;
    const failing = rnd() < 0.25 ? (["list", "manifest", "blob"] as const)[Math.floor(rnd() * 3)] : undefined;
    const errorBody = JSON.stringify({ errors: [{ code: hostileString(rnd), message: hostileString(rnd, true) }] });
    const errorStatus = [404, 500, 400, 418][Math.floor(rnd() * 4)];
    const server = await startHostileServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://x");
        const fail = () => {
            res.writeHead(errorStatus, { "content-type": "application/json", "x-evil": "ok" });
            res.end(errorBody);
        };
        if (url.pathname === "/v2/") return void res.end("{}");
        if (url.pathname === "/v2/fuzz/app/tags/list") {
            if (failing === "list") return fail();
            res.writeHead(200, { "content-type": "application/json" });
            return void res.end(JSON.stringify({ name: "fuzz/app", tags }));
        }
        const m = /^\/v2\/fuzz\/app\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
        if (m && req.method === "DELETE") {
            res.writeHead(202);
            return void res.end();
        }
        if (m?.[1] === "manifests") {
            if (failing === "manifest") return fail();
            res.writeHead(200, { "content-type": manifestType.replace(/[^\t\u0020-\u007e\u0080-\u00ff]/g, "?"), "docker-content-digest": (badHeader ?? digest).replace(/[^\t\u0020-\u007e\u0080-\u00ff]/g, "?") });
            return void res.end(req.method === "HEAD" ? undefined : manifest);
        }
        if (m?.[1] === "blobs") {
            if (failing === "blob") return fail();
            res.writeHead(200, { "content-type": "application/octet-stream" });
            return void res.end(m[2] === sha(config) ? config : layer);
        }
        fail();
    });
    return { server, digest };
}

function capture(env: NodeJS.ProcessEnv = {}): CliIO & { out: string; err: string } {
    const o = { out: "", err: "", isTTY: false, stderrIsTTY: false, env, stdout: (t: string) => { o.out += t; }, stderr: (t: string) => { o.err += t; } };
    return o;
}

const SHIPPED = fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.proxima.yaml"), "utf8");

describe("CLI output for hostile registry-supplied strings (fuzz)", function () {
    this.timeout(300000);
    const SEEDS = 40;
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-fuzz-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const commands: [string, (registry: string, digest: string) => [Command, string[]][]][] = [
        ["overview", (r) => [[overview, [`${r}/fuzz/app`]], [overview, [`${r}/fuzz/app`, "--json"]], [overview, [`${r}/fuzz/app`, "--width", "60"]]]],
        ["cleanup", (r) => {
            const deployed = path.join(dir, "deployed.json");
            fs.writeFileSync(deployed, "{}");
            return [[cleanup, [`${r}/fuzz/app`, "--keep-last", "0"]], [cleanup, [`${r}/fuzz/app`, "--json"]], [cleanup, [`${r}/fuzz/app`, "--keep-last", "0", "--deployed", deployed, "--apply"]]];
        }],
        ["rollback", (r, digest) => {
            const file = path.join(dir, `Pulumi.proxima.${r.replace(/\W/g, "_")}.yaml`);
            fs.writeFileSync(file, SHIPPED.replace("host: registry.example.org", `host: ${r}`).replace("repository: rednaw/hello-world\n      tag:", "repository: fuzz/app\n      tag:"));
            const noPulumi = ["--file", file, "--registry", r];
            return [[rollback, ["hello-world", ...noPulumi]], [rollback, ["hello-world", ...noPulumi, "--json"]], [rollback, ["hello-world", ...noPulumi, "--to", digest]], [rollback, ["hello-world", ...noPulumi, "--to", "main", "--json"]]];
        }],
        ["preflight", (r, digest) => [[preflight, ["--image", `${r}/fuzz/app`, "--digest", digest.slice(7), "--tag", "v2.0.0"]], [preflight, ["--image", `${r}/fuzz/app`, "--digest", digest.slice(7), "--tag", "v1.0.0", "--json"]]]],
    ];

    for (const [name, make] of commands) {
        it(`${name}: ${SEEDS} hostile registries, nothing that drives a terminal printed, never "bad usage"`, async () => {
            for (let seed = 1; seed <= SEEDS; seed++) {
                const { server, digest } = await hostileRegistry(seed * 31 + name.length);
                try {
                    for (const [command, args] of make(server.registry, digest)) {
                        const io = capture({ PATH: "/usr/bin:/bin" });
                        const code = await command(args, io);
                        const ctx = `seed ${seed}: ${name} ${args.join(" ")} → exit ${code}\n--- stdout\n${JSON.stringify(io.out.slice(0, 600))}\n--- stderr\n${JSON.stringify(io.err.slice(0, 600))}`;
                        assert.ok(!FORBIDDEN.test(io.out), `stdout carries a control character: ${ctx}`);
                        assert.ok(!FORBIDDEN.test(io.err), `stderr carries a control character: ${ctx}`);
                        assert.notEqual(code, EXIT.usage, `a registry's answer was reported as bad usage: ${ctx}`);
                        // Messages cap what they quote (data rows on stdout print a label whole when piped, by design).
                        for (const line of io.err.split("\n")) assert.ok(line.length < 2000, `an unbounded message (${line.length} characters): ${ctx}`);
                    }
                } finally {
                    await server.close();
                }
            }
        });
    }
});
