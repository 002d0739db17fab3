/**
 * A deliberately hostile "registry" on loopback: each request is answered by a handler the test writes
 * (endless pagination, bodies that never end, malformed headers, control characters in every field).
 * For faults no real registry can be made to produce; anything a real registry can do is tested
 * against the real one (estate/services.ts), through test/support/fault-proxy.ts if need be.
 */
import * as http from "node:http";
import * as net from "node:net";

export interface HostileServer {
    /** `127.0.0.1:<port>`, to give the client as its registry. */
    registry: string;
    /** Requests seen, as `METHOD path`. */
    requests: string[];
    /** Body bytes written to clients so far (what a capped reader must stop well short of). */
    bytesSent(): number;
    close(): Promise<void>;
}

export type HostileHandler = (req: http.IncomingMessage, res: http.ServerResponse, index: number) => void;

/** Starts the server on `port` (default: a free one); the handler answers every request. */
export async function startHostileServer(handler: HostileHandler, port = 0): Promise<HostileServer> {
    const requests: string[] = [];
    const sockets = new Set<net.Socket>();
    let sent = 0;
    const server = http.createServer((req, res) => {
        const index = requests.length;
        requests.push(`${req.method} ${req.url}`);
        const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
        res.write = ((chunk: unknown, ...rest: unknown[]) => {
            sent += typeof chunk === "string" ? Buffer.byteLength(chunk) : (chunk as Buffer).length;
            return write(chunk, ...rest);
        }) as typeof res.write;
        req.resume();
        handler(req, res, index);
    });
    server.on("connection", (s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", resolve);
    });
    return {
        registry: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        requests,
        bytesSent: () => sent,
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}

/** Writes `chunk` forever (until the client goes away): a body with no end. */
export function endless(res: http.ServerResponse, chunk: Buffer): void {
    const pump = () => {
        while (!res.destroyed && res.write(chunk)) {
            // keep writing until the socket pushes back
        }
        if (!res.destroyed) res.once("drain", pump);
    };
    res.on("close", () => res.removeAllListeners("drain"));
    pump();
}

/** JSON answer with the headers a registry sends. */
export function json(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
    const body = Buffer.from(JSON.stringify(value));
    res.writeHead(status, { "content-type": "application/json", "content-length": String(body.length), ...headers });
    res.end(body);
}
