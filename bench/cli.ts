/**
 * bench:cli — how long the installed CLI takes to start and answer, against bare Node's start-up in
 * the same run: `image-lifecycle --help`, `overview` of a 50-tag repository and `preflight` of a
 * pushed digest, each through bin/image-lifecycle.js (the compiled dist/ that `npm ci` builds), each
 * round interleaved with `node -e 0` so load from other work on the machine hits them alike.
 *
 *   npm run bench:cli            (BENCH_ROUNDS=15)
 *
 * Goal: each command within 0.25 s of `node -e 0`. Last line:
 * `node=<s> help=+<s> overview=+<s> preflight=+<s> overview_work=<s> preflight_work=<s> goal=+0.25 met=<yes|no>`
 * (medians; `+` is the time over bare Node; *_work is the same command's registry requests made
 * in-process with a fresh client, the part that is not start-up).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { OCI } from "../lib/contract";
import { gatherOverview } from "../lib/registry/overview";
import { preflight } from "../lib/release/promotion";
import { RegistryClient } from "../lib/registry/client";
import { mapLimit } from "../lib/registry/limit";
import { pushOciImage } from "../estate/oci";
import { startRegistry, stopAll } from "../estate/services";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const TAGS = 50;
const REPO = "bench/cli";
const GOAL_S = 0.25;
const ROOT = path.join(__dirname, "..");
const BIN = path.join(ROOT, "bin", "image-lifecycle.js");

function log(line: string): void {
    process.stdout.write(`${line}\n`);
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

/** Runs `node <args>` once; returns seconds, after checking the exit code and the output. */
function timed(args: string[], expectCode: number, check: (stdout: string) => boolean, label: string): number {
    const start = performance.now();
    const res = spawnSync(process.execPath, args, { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
    const s = (performance.now() - start) / 1000;
    if (res.status !== expectCode || !check(res.stdout)) {
        throw new Error(`${label} exited ${res.status} (expected ${expectCode}) or printed the wrong thing:\n${res.stdout}${res.stderr}`);
    }
    return s;
}

async function main(): Promise<void> {
    if (!fs.existsSync(path.join(ROOT, "dist", "cli", "main.js"))) throw new Error("dist/cli/main.js is missing: run npm ci (or npm run build:cli) first.");
    const reg = await startRegistry();
    const client = new RegistryClient({ registry: reg.registry });
    const layer = gzipSync(Buffer.alloc(512));
    const layerDigest = await client.uploadBlob(REPO, layer);
    const start = Date.parse("2026-01-01T00:00:00Z");
    const digests = await mapLimit(Array.from({ length: TAGS }, (_, i) => i), 8, async (i) => {
        const created = new Date(start + i * 60000).toISOString();
        const config = {
            architecture: "amd64",
            os: "linux",
            created,
            config: { Labels: { [OCI.created]: created, [OCI.description]: `commit ${i}: change number ${i}` } },
            rootfs: { type: "layers", diff_ids: [`sha256:${"0".repeat(64)}`] },
        };
        const tag = (0x2000000 + i * 7919).toString(16).slice(-7);
        return (await pushOciImage(client, REPO, tag, { config, layer, layerDigest, layerMediaType: "application/vnd.oci.image.layer.v1.tar+gzip" })).digest;
    });
    log(`registry ${reg.registry}, ${TAGS} tags in ${REPO}; ${ROUNDS} rounds; CLI ${path.relative(ROOT, BIN)} → dist/cli/main.js`);

    const hex = digests[0].slice("sha256:".length);
    const cases: { name: string; run: () => number }[] = [
        { name: "node", run: () => timed(["-e", "0"], 0, () => true, "node -e 0") },
        { name: "help", run: () => timed([BIN, "--help"], 0, (o) => o.startsWith("Usage: image-lifecycle"), "--help") },
        {
            name: "overview",
            run: () => timed([BIN, "overview", REPO, "--registry", reg.registry], 0, (o) => o.trimEnd().split("\n").length === TAGS + 4, "overview"),
        },
        {
            name: "preflight",
            run: () => timed([BIN, "preflight", "--image", `${reg.registry}/${REPO}`, "--digest", hex, "--tag", "v9.9.9"], 0, (o) => o.includes("All checks passed"), "preflight"),
        },
    ];
    const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    // The commands' own registry work, in this already-started process (fresh client, no cache):
    // what no start-up can save. command − node − work is what starting the CLI costs.
    const work: number[] = [];
    const pfWork: number[] = [];
    const inProcess = async () => {
        let t = performance.now();
        await gatherOverview(new RegistryClient({ registry: reg.registry }), REPO);
        work.push((performance.now() - t) / 1000);
        t = performance.now();
        await preflight(new RegistryClient({ registry: reg.registry }), { registry: reg.registry, repository: REPO, digest: hex, tag: "v9.9.9" });
        pfWork.push((performance.now() - t) / 1000);
    };
    for (const c of cases) c.run(); // warm the file cache once
    for (let round = 0; round < ROUNDS; round++) {
        for (const c of cases) times.get(c.name)!.push(c.run());
        await inProcess();
    }
    const node = median(times.get("node")!);
    const over: Record<string, number> = {};
    for (const c of cases) {
        const m = median(times.get(c.name)!);
        const min = Math.min(...times.get(c.name)!);
        if (c.name !== "node") over[c.name] = m - node;
        log(`${c.name.padEnd(10)} median ${m.toFixed(3)} s  min ${min.toFixed(3)} s${c.name === "node" ? "" : `  over node +${(m - node).toFixed(3)} s`}`);
    }
    log(`registry work alone (library in this process, fresh client): overview median ${median(work).toFixed(3)} s, preflight median ${median(pfWork).toFixed(3)} s`);
    const met = Object.values(over).every((v) => v <= GOAL_S);
    const startup = { overview: over.overview - median(work), preflight: over.preflight - median(pfWork) };
    log(`start-up cost beyond node and the registry work: overview +${startup.overview.toFixed(3)} s, preflight +${startup.preflight.toFixed(3)} s`);
    await stopAll();
    log(`node=${node.toFixed(3)} ${Object.entries(over).map(([k, v]) => `${k}=+${v.toFixed(3)}`).join(" ")} overview_work=${median(work).toFixed(3)} preflight_work=${median(pfWork).toFixed(3)} goal=+${GOAL_S} met=${met ? "yes" : "no"}`);
}

main().catch(async (e) => {
    await stopAll();
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
});
