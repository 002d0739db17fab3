/**
 * Overview benchmark: a real Distribution v3 registry holding one repository with 1,000 tags on
 * distinct digests; our overview against two peer loops over the same registry in the same run — the
 * seeds' `crane ls` + per-tag `crane config`, and `skopeo list-tags` + per-tag `skopeo inspect --no-tags`
 * — against the registry's own floor (the same requests as bare keep-alive GETs), and our request count
 * against the protocol minimum.
 *
 *   npm run bench:overview            (BENCH_TAGS=1000, BENCH_PEER_SAMPLE=100; BENCH_PEER_SAMPLE=0 runs the peers on every tag;
 *                                      BENCH_DISTRIBUTION=2.8 runs it all against Debian's docker-registry instead)
 *
 * Every run of ours uses a fresh cache folder in a temp dir (never the user's): cold first, then warm.
 * Needs crane and the v3 registry built by scripts/go-tools.sh. Last line:
 * `ratio=<skopeo loop / ours> crane_ratio=<crane loop / ours> floor_ratio=<ours / floor> requests=<ours>
 *  minimum=<cold minimum> warm_requests=<n> warm_ratio=<cold ours / warm ours>`.
 */
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import { gzipSync } from "node:zlib";
import * as path from "node:path";
import { promisify } from "node:util";
import { OCI } from "../lib/contract";
import { buildOverview, formatOverview } from "../lib/format/overview";
import { gatherOverview } from "../lib/registry/overview";
import { RegistryCache } from "../lib/registry/cache";
import { RegistryClient } from "../lib/registry/client";
import { mapLimit } from "../lib/registry/limit";
import { MEDIA_TYPES } from "../lib/registry/types";
import { goTool } from "../estate/go-tools";
import { pushOciImage } from "../estate/oci";
import { DISTRIBUTIONS, type Distribution, requireBinary, startRegistry, stopAll } from "../estate/services";

const run = promisify(execFile);
const TAGS = Number(process.env.BENCH_TAGS ?? 1000);
const SAMPLE = Number(process.env.BENCH_PEER_SAMPLE ?? 100);
const REPO = "bench/app";
const RUNS = 3;
const DISTRIBUTION = (process.env.BENCH_DISTRIBUTION ?? "v3") as Distribution;

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
    if (!DISTRIBUTIONS.includes(DISTRIBUTION)) throw new Error(`BENCH_DISTRIBUTION=${DISTRIBUTION} is not one of ${DISTRIBUTIONS.join(", ")}.`);
    requireBinary("skopeo", "skopeo");
    const crane = goTool("crane");
    const reg = await startRegistry({ distribution: DISTRIBUTION });
    log(`registry ${reg.registry} (Distribution ${DISTRIBUTION}), ${TAGS} tags on distinct digests in ${REPO}`);

    let t = Date.now();
    const tags = await seed(new RegistryClient({ registry: reg.registry }), TAGS);
    log(`seeded ${tags.length} images through the client in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    // Four ways to read the same overview, interleaved round by round so that load from other work on
    // the machine hits them alike:
    //  - the library in-process (the path the CLI runs), every HTTP request counted, twice on a fresh
    //    cache folder: cold (empty cache: every entry written) and warm (the second run reads it);
    //  - the built CLI in a fresh process (what `npm run build` ships; ~0.2 s of Node start-up), twice
    //    back to back on a fresh cache folder, cold then warm;
    //  - bin/image-lifecycle.js, the installed entry (it runs dist/, which `npm ci` builds), cold;
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

    const cacheRoot = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-bench-cache-"));
    const freshCache = (name: string) => path.join(cacheRoot, name);
    const inProcess: number[] = [];
    const inProcessWarm: number[] = [];
    const builtTimes: number[] = [];
    const builtWarmTimes: number[] = [];
    let warmRequests = 0;
    const binTimes: number[] = [];
    const floors: number[] = [];
    let requests = 0;
    let pages = 0;
    let distinctConfigs = 0;
    let rows = 0;
    for (let r = 0; r < RUNS; r++) {
        let count = 0;
        let listCount = 0;
        const libCache = freshCache(`lib-${r}`);
        const client = new RegistryClient({ registry: reg.registry, cache: new RegistryCache({ dir: libCache }), onRequest: (e) => { count++; if (e.url.includes("/tags/list")) listCount++; } });
        t = performance.now();
        const found = await gatherOverview(client, REPO);
        const text = formatOverview(buildOverview(reg.registry, REPO, found, new Set()));
        inProcess.push(performance.now() - t);
        requests = count;
        pages = listCount;
        const configDigests = [...new Set(found.map((f) => f.info.configDigest!))];
        distinctConfigs = configDigests.length;
        rows = text.split("\n").length - 5;
        let again = 0;
        const warmCache = new RegistryCache({ dir: libCache });
        t = performance.now();
        const warmFound = await gatherOverview(new RegistryClient({ registry: reg.registry, cache: warmCache, onRequest: () => { again++; } }), REPO);
        formatOverview(buildOverview(reg.registry, REPO, warmFound, new Set()));
        inProcessWarm.push(performance.now() - t);
        if (warmFound.length !== TAGS) throw new Error(`the second overview found ${warmFound.length} tags, expected ${TAGS}`);
        if (warmCache.stats.hits < 2 * TAGS || warmCache.stats.corrupt !== 0) throw new Error(`the warm overview read ${warmCache.stats.hits} cache entries (${warmCache.stats.corrupt} corrupt), expected ${2 * TAGS}`);
        warmRequests = again;

        const builtEnv = { ...process.env, NODE_PATH: path.join(root, "node_modules"), IMAGE_LIFECYCLE_CACHE: freshCache(`cli-${r}`), IMAGE_LIFECYCLE_NO_CACHE: "" };
        builtTimes.push(timeCli(["-e", runner], builtEnv));
        builtWarmTimes.push(timeCli(["-e", runner], builtEnv));
        binTimes.push(timeCli([path.join(root, "bin", "image-lifecycle.js")], { ...process.env, IMAGE_LIFECYCLE_CACHE: freshCache(`bin-${r}`), IMAGE_LIFECYCLE_NO_CACHE: "" }));

        t = performance.now();
        await rawGet(`/v2/${REPO}/tags/list`);
        await mapLimit(tags, 16, (tag) => rawGet(`/v2/${REPO}/manifests/${tag}`, MEDIA_TYPES.ociManifest));
        await mapLimit(configDigests, 16, (d) => rawGet(`/v2/${REPO}/blobs/${d}`));
        floors.push(performance.now() - t);
    }
    agent.destroy();
    fs.rmSync(built, { recursive: true, force: true });
    fs.rmSync(cacheRoot, { recursive: true, force: true });
    const show = (xs: number[]) => `median ${median(xs).toFixed(0)} ms of ${RUNS} runs [${xs.map((x) => x.toFixed(0)).join(", ")}]`;
    const oursLib = median(inProcess);
    const oursCli = median(builtTimes);
    const floor = median(floors);
    log(`ours (library, in-process, cold cache): ${show(inProcess)}, ${rows} rows; warm: ${show(inProcessWarm)}`);
    log(`ours (built CLI process, end to end, cold cache): ${show(builtTimes)}; warm, a second run right after: ${show(builtWarmTimes)}`);
    log(`ours (bin/image-lifecycle.js, the installed entry, end to end, cold cache): ${show(binTimes)}`);
    log(`registry floor (the same ${pages + TAGS + distinctConfigs} GETs as bare node:http keep-alive requests): ${show(floors)}`);

    // Peers, sequentially as the shell loops of the seeds' Task run them, on one seeded random sample of
    // tags (the same tags for both) extrapolated linearly to every tag unless BENCH_PEER_SAMPLE=0.
    const rand = sampler(42);
    const pool = [...tags].sort();
    const sample = SAMPLE > 0 && SAMPLE < TAGS ? Array.from({ length: SAMPLE }, () => pool.splice(Math.floor(rand() * pool.length), 1)[0]) : [...tags];
    const extrapolated = sample.length < TAGS;
    const peerLoop = async (name: string, list: () => Promise<string[]>, inspect: (tag: string) => Promise<Record<string, string>>): Promise<number> => {
        t = performance.now();
        const listed = await list();
        const listMs = performance.now() - t;
        if (listed.length !== TAGS) throw new Error(`${name} listed ${listed.length} tags, expected ${TAGS}`);
        t = performance.now();
        for (const tag of sample) {
            const labels = await inspect(tag);
            if (!labels[OCI.description]) throw new Error(`${name} shows no description label for ${tag}`);
        }
        const perTag = (performance.now() - t) / sample.length;
        const total = listMs + perTag * TAGS;
        log(
            `peer (${name}): list ${listMs.toFixed(0)} ms + ${perTag.toFixed(1)} ms/tag × ${TAGS} = ${(total / 1000).toFixed(1)} s` +
                (extrapolated ? ` (per-tag step timed on a seeded random sample of ${sample.length} tags and extrapolated linearly)` : " (every tag)"),
        );
        return total;
    };
    const big = { maxBuffer: 64 * 1024 * 1024 };
    const ref = (tag?: string) => `${reg.registry}/${REPO}${tag ? `:${tag}` : ""}`;
    const cranePeer = await peerLoop(
        "crane ls + crane config per tag",
        async () => (await run(crane, ["ls", "--insecure", ref()], big)).stdout.trim().split("\n"),
        async (tag) => (JSON.parse((await run(crane, ["config", "--insecure", ref(tag)])).stdout) as { config?: { Labels?: Record<string, string> } }).config?.Labels ?? {},
    );
    const skopeoPeer = await peerLoop(
        "skopeo list-tags + skopeo inspect --no-tags per tag",
        async () => (JSON.parse((await run("skopeo", ["list-tags", "--tls-verify=false", `docker://${ref()}`], big)).stdout) as { Tags: string[] }).Tags,
        async (tag) => (JSON.parse((await run("skopeo", ["inspect", "--no-tags", "--tls-verify=false", `docker://${ref(tag)}`])).stdout) as { Labels?: Record<string, string> }).Labels ?? {},
    );

    const minimum = pages + TAGS + distinctConfigs;
    const oursWarm = median(builtWarmTimes);
    log(`requests: ours ${requests} = ${pages} list page(s) + ${TAGS} manifest GETs + ${requests - pages - TAGS} config GETs; ` +
        `minimum ${minimum} = ${pages} list page(s) (no page size asked, so the registry returns every tag in one page) + one manifest per tag + one config per distinct digest (${distinctConfigs}); ` +
        `overhead ${(((requests - minimum) / minimum) * 100).toFixed(1)} %`);
    log(`warm (a second run on the cache the first filled): ${warmRequests} requests (goal ≤ ${1 + TAGS}: the list + one HEAD per tag); ` +
        `built CLI ${(oursWarm / oursCli).toFixed(2)}× the cold time (goal ≤ 0.6), library in-process ${(median(inProcessWarm) / oursLib).toFixed(2)}×`);
    log(`no client can beat ratio ${(skopeoPeer / floor).toFixed(1)} (skopeo) / ${(cranePeer / floor).toFixed(1)} (crane) against this registry on this machine (peer / registry floor)`);
    log(`ours vs the floor: library in-process ${(oursLib / floor).toFixed(2)}×, built CLI ${(oursCli / floor).toFixed(2)}× (includes Node start-up; the floor does not)`);
    log(`ratios vs the library in-process: skopeo ${(skopeoPeer / oursLib).toFixed(1)}, crane ${(cranePeer / oursLib).toFixed(1)}; vs bin/image-lifecycle.js: skopeo ${(skopeoPeer / median(binTimes)).toFixed(1)}, crane ${(cranePeer / median(binTimes)).toFixed(1)}`);
    log(`last line: ratio, crane_ratio and warm_ratio use the built CLI end to end; floor_ratio the library in-process (the floor is in-process too)`);
    log(
        `ratio=${(skopeoPeer / oursCli).toFixed(1)} crane_ratio=${(cranePeer / oursCli).toFixed(1)} floor_ratio=${(oursLib / floor).toFixed(2)} ` +
            `requests=${requests} minimum=${minimum} warm_requests=${warmRequests} warm_ratio=${(oursCli / oursWarm).toFixed(2)}`,
    );
}

main()
    .then(() => stopAll())
    .catch(async (e) => {
        process.stderr.write(`bench:overview failed: ${e instanceof Error ? e.stack : String(e)}\n`);
        await stopAll();
        process.exitCode = 1;
    });
