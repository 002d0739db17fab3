/**
 * A loopback HTTP proxy in front of a real registry that injects faults into chosen requests: an
 * error status (503, 429 with Retry-After), a dropped connection, or a rewrite of the registry's real
 * answer (a wrong digest header, an unknown media type, a body that is not JSON).
 */
import * as http from "node:http";
import * as net from "node:net";

export interface ProxiedRequest {
    method: string;
    /** Path and query, e.g. `/v2/app/manifests/v1`. */
    path: string;
    /** 0-based count of requests seen so far by the proxy. */
    index: number;
}

export interface UpstreamAnswer {
    status: number;
    headers: Record<string, string>;
    body: Buffer;
}

export type Fault =
    | { kind: "status"; status: number; headers?: Record<string, string>; body?: string }
    | { kind: "drop" }
    /** Accept the request and never answer (until the proxy closes). */
    | { kind: "hang" }
    | { kind: "rewrite"; rewrite: (answer: UpstreamAnswer) => UpstreamAnswer }
    /** Run `before` (e.g. another client's write straight to the registry), then pass the request through. */
    | { kind: "pass-after"; before: () => Promise<void> };

export interface FaultProxy {
    /** `127.0.0.1:<port>`, to give the client as its registry. */
    registry: string;
    /** Every request that reached the proxy, faulted or not. */
    requests: ProxiedRequest[];
    /** Replaces the rule deciding each request's fault (`undefined`: pass through). */
    setFault(rule: (req: ProxiedRequest) => Fault | undefined): void;
    close(): Promise<void>;
}

/** Starts a proxy to `upstream` (e.g. `http://127.0.0.1:5000`) on a free loopback port. */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
    const target = new URL(upstream);
    let rule: (req: ProxiedRequest) => Fault | undefined = () => undefined;
    const requests: ProxiedRequest[] = [];
    const sockets = new Set<net.Socket>();

    const server = http.createServer((req, res) => {
        const seen: ProxiedRequest = { method: req.method ?? "GET", path: req.url ?? "/", index: requests.length };
        requests.push(seen);
        const fault = rule(seen);
        if (fault?.kind === "drop") {
            req.socket.destroy();
            return;
        }
        if (fault?.kind === "hang") {
            req.resume();
            return;
        }
        if (fault?.kind === "status") {
            req.resume();
            res.writeHead(fault.status, { "content-type": "text/plain", ...(fault.headers ?? {}) });
            res.end(fault.body ?? "");
            return;
        }
        const chunks: Buffer[] = [];
        const ready = fault?.kind === "pass-after" ? fault.before() : Promise.resolve();
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => void ready.then(() => {
            const headers = { ...req.headers, host: target.host };
            const up = http.request(
                { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
                (upRes) => {
                    const body: Buffer[] = [];
                    upRes.on("data", (c: Buffer) => body.push(c));
                    upRes.on("end", () => {
                        const flat: Record<string, string> = {};
                        for (const [k, v] of Object.entries(upRes.headers)) {
                            if (v === undefined || k === "transfer-encoding" || k === "connection") continue;
                            flat[k] = Array.isArray(v) ? v.join(", ") : v;
                        }
                        let answer: UpstreamAnswer = { status: upRes.statusCode ?? 502, headers: flat, body: Buffer.concat(body) };
                        if (fault?.kind === "rewrite") answer = fault.rewrite(answer);
                        // Location headers name the upstream; rewrite them to the proxy so uploads stay proxied.
                        if (answer.headers.location) answer.headers.location = answer.headers.location.replace(upstream, `http://${registry}`);
                        if (req.method !== "HEAD") answer.headers["content-length"] = String(answer.body.length);
                        res.writeHead(answer.status, answer.headers);
                        res.end(req.method === "HEAD" ? undefined : answer.body);
                    });
                },
            );
            up.on("error", () => res.destroy());
            up.end(Buffer.concat(chunks));
        }, () => res.destroy()));
    });
    server.on("connection", (s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const registry = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    return {
        registry,
        requests,
        setFault: (r) => { rule = r; },
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}
