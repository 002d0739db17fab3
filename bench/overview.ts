/**
 * Overview benchmark: a real registry holding one repository with 1,000 tags on distinct digests;
 * our overview against a `skopeo list-tags` + per-tag `skopeo inspect --no-tags` loop over the same
 * registry in the same run, and our request count against the protocol minimum.
 *
 *   npm run bench:overview            (BENCH_TAGS=1000, BENCH_PEER_SAMPLE=100; BENCH_PEER_SAMPLE=0 runs the peer on every tag)
 *
 * Last line: `ratio=<peer time / ours> requests=<ours> minimum=<minimum>`.
 */
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import { gzipSync } from "node:zlib";
import * as path from "node:path";
import { promisify } from "node:util";
import { OCI } from "../lib/labels";
import { buildOverview, formatOverview, gatherOverview } from "../lib/overview";
import { RegistryClient } from "../lib/registry/client";
import { mapLimit } from "../lib/registry/limit";
import { MEDIA_TYPES } from "../lib/registry/types";
import { pushOciImage } from "../test/support/oci";
import { requireBinary, startRegistry, stopAll } from "../test/support/services";

const run = promisify(execFile);
const TAGS = Number(process.env.BENCH_TAGS ?? 1000);
const SAMPLE = Number(process.env.BENCH_PEER_SAMPLE ?? 100);
const REPO = "bench/app";
const RUNS = 3;

function log(line: string): void {
    process.stdout.write(`${line}\n`);
}

/** A deterministic pseudo-random sequence, so the peer's sample is the same in every run. */
function sampler(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
        s = (s * 1664525 + 1013904223) >>> 0;
        return s / 2 ** 32;
    };
}

/** Pushes `count` small OCI images through the client: one shared empty layer, one config (labels) each. */
async function seed(client: RegistryClient, count: number): Promise<string[]> {
    const layer = gzipSync(Buffer.alloc(1024));
    const layerDigest = await client.uploadBlob(REPO, layer);
    const start = Date.parse("2026-01-01T00:00:00Z");
    return mapLimit(Array.from({ length: count }, (_, i) => i), 16, async (i) => {
        const tag = (0x1000000 + i * 7919).toString(16).slice(-7);
        const created = new Date(start + i * 60000).toISOString();
        const config = {
            architecture: "amd64",
            os: "linux",
            created,
            config: { Labels: { [OCI.created]: created, [OCI.description]: `commit ${i}: change number ${i}`, [OCI.revision]: tag.padEnd(40, "0"), [OCI.source]: "https://example.com/bench" } },
            rootfs: { type: "layers", diff_ids: [`sha256:${"0".repeat(64)}`] },
        };
        await pushOciImage(client, REPO, tag, { config, layer, layerDigest, layerMediaType: "application/vnd.oci.image.layer.v1.tar+gzip" });
        return tag;
    });
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
    requireBinary("skopeo", "skopeo");
    const reg = await startRegistry();
    log(`registry ${reg.registry} (Debian docker-registry), ${TAGS} tags on distinct digests in ${REPO}`);

    let t = Date.now();
    const tags = await seed(new RegistryClient({ registry: reg.registry }), TAGS);
    log(`seeded ${tags.length} images through the client in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    // Four ways to read the same overview, interleaved round by round so that load from other work on
    // the machine hits them alike:
    //  - the library in-process (the path the CLI runs), every HTTP request counted;
    //  - the built CLI in a fresh process (what `npm run build` ships; ~0.2 s of Node start-up);
    //  - bin/image-lifecycle.js, which runs through ts-node (~2 s loading the TypeScript compiler);
    //  - the registry floor: the same GETs as bare keep-alive node:http requests, no client logic at all.
    const root = path.join(__dirname, "..");
    const built = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-bench-build-"));
    spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.json"), "--outDir", built, "--sourceMap", "false"], { encoding: "utf8" });
    const builtMain = path.join(built, "cli", "main.js");
    if (!fs.existsSync(builtMain)) throw new Error(`tsc produced no ${builtMain}`);
    const runner = `require(${JSON.stringify(builtMain)}).main(process.argv.slice(1)).then((c) => { process.exitCode = c; })`;
    const timeCli = (argv: string[], env: NodeJS.ProcessEnv): number => {
        const start = performance.now();
        const res = spawnSync(process.execPath, [...argv, "overview", REPO, "--registry", reg.registry], { encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 });
        const ms = performance.now() - start;
        if (res.status !== 0) throw new Error(`overview CLI failed (${res.status}): ${res.stderr}`);
        const cliRows = res.stdout.trimEnd().split("\n").length - 4;
        if (cliRows !== TAGS) throw new Error(`overview CLI printed ${cliRows} rows, expected ${TAGS}`);
        return ms;
    };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const rawGet = (target: string, accept?: string) => new Promise<void>((resolve, reject) => {
        http.get(`http://${reg.registry}${target}`, { agent, headers: accept ? { accept } : {} }, (res) => {
            res.resume();
            res.on("end", () => resolve());
        }).on("error", reject);
    });

    const inProcess: number[] = [];
    const builtTimes: number[] = [];
    const tsNodeTimes: number[] = [];
    const floors: number[] = [];
    let requests = 0;
    let pages = 0;
    let distinctConfigs = 0;
    let rows = 0;
    for (let r = 0; r < RUNS; r++) {
        let count = 0;
        let listCount = 0;
        const client = new RegistryClient({ registry: reg.registry, onRequest: (e) => { count++; if (e.url.includes("/tags/list")) listCount++; } });
        t = performance.now();
        const found = await gatherOverview(client, REPO);
        const text = formatOverview(buildOverview(reg.registry, REPO, found, new Set()));
        inProcess.push(performance.now() - t);
        requests = count;
        pages = listCount;
        const configDigests = [...new Set(found.map((f) => f.info.configDigest!))];
        distinctConfigs = configDigests.length;
        rows = text.split("\n").length - 5;

        builtTimes.push(timeCli(["-e", runner], { ...process.env, NODE_PATH: path.join(root, "node_modules") }));
        tsNodeTimes.push(timeCli([path.join(root, "bin", "image-lifecycle.js")], process.env));

        t = performance.now();
        await rawGet(`/v2/${REPO}/tags/list`);
        await mapLimit(tags, 16, (tag) => rawGet(`/v2/${REPO}/manifests/${tag}`, MEDIA_TYPES.ociManifest));
        await mapLimit(configDigests, 16, (d) => rawGet(`/v2/${REPO}/blobs/${d}`));
        floors.push(performance.now() - t);
    }
    agent.destroy();
    fs.rmSync(built, { recursive: true, force: true });
    const show = (xs: number[]) => `median ${median(xs).toFixed(0)} ms of ${RUNS} runs [${xs.map((x) => x.toFixed(0)).join(", ")}]`;
    const oursLib = median(inProcess);
    const oursCli = median(builtTimes);
    const floor = median(floors);
    log(`ours (library, in-process): ${show(inProcess)}, ${rows} rows`);
    log(`ours (built CLI process, end to end): ${show(builtTimes)}`);
    log(`ours (bin/image-lifecycle.js via ts-node, end to end): ${show(tsNodeTimes)}`);
    log(`registry floor (the same ${pages + TAGS + distinctConfigs} GETs as bare node:http keep-alive requests): ${show(floors)}`);

    // Peer: skopeo list-tags once, then skopeo inspect --no-tags per tag, sequentially as a shell loop would.
    t = performance.now();
    const listed = JSON.parse((await run("skopeo", ["list-tags", "--tls-verify=false", `docker://${reg.registry}/${REPO}`], { maxBuffer: 64 * 1024 * 1024 })).stdout) as { Tags: string[] };
    const listMs = performance.now() - t;
    if (listed.Tags.length !== TAGS) throw new Error(`skopeo list-tags saw ${listed.Tags.length} tags, expected ${TAGS}`);
    const rand = sampler(42);
    const pool = [...listed.Tags];
    const sample = SAMPLE > 0 && SAMPLE < TAGS ? Array.from({ length: SAMPLE }, () => pool.splice(Math.floor(rand() * pool.length), 1)[0]) : listed.Tags;
    t = performance.now();
    for (const tag of sample) {
        const { stdout } = await run("skopeo", ["inspect", "--no-tags", "--tls-verify=false", `docker://${reg.registry}/${REPO}:${tag}`]);
        const labels = (JSON.parse(stdout) as { Labels?: Record<string, string> }).Labels ?? {};
        if (!labels[OCI.description]) throw new Error(`skopeo inspect ${tag} shows no description label`);
    }
    const inspectMs = performance.now() - t;
    const perTag = inspectMs / sample.length;
    const peer = listMs + perTag * TAGS;
    const extrapolated = sample.length < TAGS;
    log(
        `peer (skopeo): list-tags ${listMs.toFixed(0)} ms + inspect ${perTag.toFixed(1)} ms/tag × ${TAGS} = ${(peer / 1000).toFixed(1)} s` +
            (extrapolated ? ` (inspect timed on a seeded random sample of ${sample.length} tags and extrapolated linearly)` : " (every tag inspected)"),
    );

    const minimum = pages + TAGS + distinctConfigs;
    log(`requests: ours ${requests} = ${pages} list page(s) + ${TAGS} manifest GETs + ${requests - pages - TAGS} config GETs; ` +
        `minimum ${minimum} = ${pages} list page(s) (the registry returns every tag in one page) + one manifest per tag + one config per distinct digest (${distinctConfigs}); ` +
        `overhead ${(((requests - minimum) / minimum) * 100).toFixed(1)} %`);
    log(`so no client can beat ratio ${(peer / floor).toFixed(1)} against this registry on this machine (peer / registry floor); ours in-process is ${(oursLib / floor).toFixed(2)}× the floor`);
    log(`ratio vs the library in-process: ${(peer / oursLib).toFixed(1)}; vs ts-node CLI: ${(peer / median(tsNodeTimes)).toFixed(1)}; the last line uses the built CLI end to end`);
    log(`ratio=${(peer / oursCli).toFixed(1)} requests=${requests} minimum=${minimum}`);
}

main()
    .then(() => stopAll())
    .catch(async (e) => {
        process.stderr.write(`bench:overview failed: ${e instanceof Error ? e.stack : String(e)}\n`);
        await stopAll();
        process.exitCode = 1;
    });
