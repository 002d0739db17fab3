/**
 * bench:promote — our server-side promotion against `skopeo copy` of the same digest to a new tag,
 * both through one counting loopback proxy in front of the same real registry, in the same run.
 * Last line: `requests=<n> bytes=<n> peer_bytes=<n>` (our write-path requests, our blob bytes moved,
 * skopeo's blob bytes moved).
 */
import { execFile } from "node:child_process";
import * as crypto from "node:crypto";
import * as http from "node:http";
import * as net from "node:net";
import { promisify } from "node:util";
import { promote } from "../lib/release/promotion";
import { RegistryClient } from "../lib/registry/client";
import { buildAndPush, startRegistry, stopAll } from "../estate/services";

const run = promisify(execFile);

interface Counted {
    method: string;
    path: string;
    bytesIn: number;
    bytesOut: number;
}

/** A pass-through HTTP proxy that records each request with its body sizes. */
async function countingProxy(upstream: string): Promise<{ registry: string; log: Counted[]; close(): Promise<void> }> {
    const target = new URL(upstream);
    const log: Counted[] = [];
    const server = http.createServer((req, res) => {
        const entry: Counted = { method: req.method ?? "", path: req.url ?? "", bytesIn: 0, bytesOut: 0 };
        log.push(entry);
        const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
            // Keep the upstream's Location relative to the proxy so uploads come back through it.
            const headers = { ...answer.headers };
            if (typeof headers.location === "string") headers.location = headers.location.replace(upstream, "");
            res.writeHead(answer.statusCode ?? 502, headers);
            answer.on("data", (c: Buffer) => { entry.bytesIn += c.length; });
            answer.pipe(res);
        });
        req.on("data", (c: Buffer) => { entry.bytesOut += c.length; });
        req.pipe(up);
        up.on("error", () => res.destroy());
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    return { registry: `127.0.0.1:${port}`, log, close: () => new Promise((r) => server.close(() => r())) };
}

function summarise(log: Counted[]) {
    const blobs = log.filter((e) => e.path.includes("/blobs/"));
    return {
        requests: log.length,
        bytes: log.reduce((s, e) => s + e.bytesIn + e.bytesOut, 0),
        blobBytes: blobs.reduce((s, e) => s + e.bytesIn + e.bytesOut, 0),
        blobRequests: blobs.length,
    };
}

async function main(): Promise<void> {
    const reg = await startRegistry();
    const proxy = await countingProxy(reg.url);
    try {
        const repository = "bench/promote";
        // A few MB of incompressible payload so moving layers would show.
        const payload = crypto.randomBytes(4 * 1024 * 1024).toString("base64");
        const digest = await buildAndPush({ repository: `${reg.registry}/${repository}`, tags: ["0000001"], payload });
        process.stderr.write(`image ${reg.registry}/${repository}@${digest}\n`);

        const client = new RegistryClient({ registry: proxy.registry });
        const t0 = Date.now();
        await promote(client, { registry: proxy.registry, repository, digest: digest.slice(7), tag: "v1.0.0" }, { settleMs: 0 });
        const oursMs = Date.now() - t0;
        const ours = summarise(proxy.log.splice(0));
        // The last request is the read-back that detects a lost race; the tag is written by the ones before it.
        const writePath = ours.requests - 1;

        const t1 = Date.now();
        await run("skopeo", ["copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${proxy.registry}/${repository}@${digest}`, `docker://${proxy.registry}/${repository}:v1.0.0-skopeo`]);
        const peerMs = Date.now() - t1;
        const peer = summarise(proxy.log.splice(0));
        const peerDigest = await new RegistryClient({ registry: reg.registry }).resolve(repository, "v1.0.0-skopeo");

        console.log(`ours:   ${writePath} requests to write the tag + 1 read-back, ${ours.bytes} bytes on the wire, ${ours.blobRequests} blob requests, ${ours.blobBytes} blob bytes, ${oursMs} ms (settle wait off)`);
        console.log(`skopeo: ${peer.requests} requests, ${peer.bytes} bytes on the wire, ${peer.blobRequests} blob requests, ${peer.blobBytes} blob bytes, ${peerMs} ms; same digest: ${peerDigest === digest}`);
        console.log(`requests=${writePath} bytes=${ours.blobBytes} peer_bytes=${peer.blobBytes}`);
    } finally {
        await proxy.close();
        await stopAll();
    }
}

main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
});
