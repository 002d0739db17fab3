/**
 * The registry transport on node:http/node:https (not fetch, which refuses the Fetch standard's "bad
 * ports" such as 5061 or 6666; docs/adr/0013-registry-transport-on-node-http.md): `send` is one
 * logical request (auth round trips through ./auth.ts, retries with backoff for idempotent requests
 * only, docs/adr/0010-registry-client-retries-and-writes.md, statuses turned into RegistryErrors),
 * `once` one request and its redirects, `hop` exactly one HTTP exchange, its answer read under a cap.
 */
import * as http from "node:http";
import * as https from "node:https";
import { RegistryError, ValidationError } from "../errors";
import { quoteValue } from "../format/text";
import { isFullDigest, isValidRepository, isValidTag } from "../rules/reference";
import { RegistryAuth } from "./auth";
import { Answer, Fail, registryErrorCodes } from "./manifests";
import { BODY_LIMITS, BodyKind, RegistryClientOptions, RegistryCredentials } from "./types";

/** Network failures that say nothing was listening: retrying only delays the clear error. */
const NOT_RETRIED_NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** Redirects followed for a read (blob storage behind a redirect is common; loops are not). */
const MAX_REDIRECTS = 5;

export interface SendOptions {
    method: "GET" | "HEAD" | "PUT" | "DELETE" | "POST" | "PATCH";
    /** Path (`/v2/…`) or absolute URL on the same registry (a `Link` or `Location`). */
    target: string;
    repository?: string;
    reference?: string;
    headers?: Record<string, string>;
    body?: Buffer;
    /** Statuses returned to the caller instead of thrown. */
    accept: number[];
    /** Which cap of {@link BODY_LIMITS} applies to the answer; default `other`. */
    kind?: BodyKind;
}

/** An answer and the URL it came from (the last hop's, after redirects). */
export interface Reply extends Answer {
    url: string;
}

/** Thrown by the transport when an answer is bigger than its cap; turned into a RegistryError by `send`. */
class BodyTooLarge extends Error {
    constructor(readonly kind: BodyKind, readonly limit: number) {
        super(`body over ${limit} bytes`);
    }
}

/** Our own per-request deadline, told apart from socket errors. */
class RequestTimeout extends Error {
    override readonly name = "TimeoutError";
}

export interface TransportOptions extends Pick<RegistryClientOptions, "credentialsFrom" | "onRequest"> {
    registry: string;
    /** `http://` or `https://` + the registry. */
    base: string;
    insecure: boolean;
    credentials?: RegistryCredentials;
    timeoutMs: number;
    retries: number;
    backoffMs: number;
    maxRetryAfterMs: number;
}

/** The requests of one client: its sockets, its authentication state, its retry policy. */
export class RegistryTransport {
    private readonly auth: RegistryAuth;
    /** Keep-alive sockets shared by this client's requests; free sockets never hold the process open. */
    private readonly agents = {
        http: new http.Agent({ keepAlive: true, maxSockets: 32 }),
        https: new https.Agent({ keepAlive: true, maxSockets: 32 }),
    };

    constructor(private readonly opts: TransportOptions) {
        this.auth = new RegistryAuth({
            base: opts.base,
            insecure: opts.insecure,
            fail: this.error,
            ...(opts.credentials ? { credentials: opts.credentials } : {}),
            fetchToken: async (url, authorization) => {
                try {
                    return { answer: await this.once({ method: "GET", target: url, kind: "token" }, authorization) };
                } catch (e) {
                    if (e instanceof BodyTooLarge) return { tooLarge: e.limit };
                    return { unreachable: networkCode(e) };
                }
            },
        });
    }

    /** The RegistryError of this registry. */
    readonly error: Fail = (code, ctx, message, setting) => new RegistryError(code, { registry: this.opts.registry, ...ctx }, message, setting);

    /** One logical request: auth round trips and retries included. */
    async send(opts: SendOptions): Promise<Reply> {
        const ctx = { repository: opts.repository, reference: opts.reference };
        checkNames(opts.repository, opts.reference);
        if (!opts.target.startsWith("/") && new URL(opts.target).origin !== new URL(this.opts.base).origin) {
            // A Link or Location to another origin would carry our credentials elsewhere.
            throw this.error("BAD_RESPONSE", ctx, `The registry pointed to another origin (${quoteValue(new URL(opts.target).origin, 100)}); refusing to follow it with credentials. Check the registry's public URL setting`);
        }
        const idempotent = opts.method === "GET" || opts.method === "HEAD";
        const scope = opts.repository ? `repository:${opts.repository}:${idempotent ? "pull" : opts.method === "DELETE" ? "delete" : "pull,push"}` : "";
        let authRetried = false;
        for (let attempt = 0; ; attempt++) {
            let res: Reply;
            const authorization = await this.auth.authorization(scope);
            try {
                res = await this.once(opts, authorization);
            } catch (e) {
                if (e instanceof BodyTooLarge) {
                    throw this.error("BAD_RESPONSE", ctx, `The registry's answer to ${opts.method} is larger than ${e.limit} bytes, the cap for a ${e.kind === "tagList" ? "tag list page" : e.kind === "other" ? "reply of this kind" : e.kind}; stopped reading it. Check the registry or a proxy in front of it`);
                }
                const code = networkCode(e);
                // Only failures with a socket error code (resets, closed sockets) are worth another try.
                const retriable = idempotent && /^[A-Z_]+$/.test(code) && code !== "TIMEOUT" && !NOT_RETRIED_NETWORK_CODES.has(code);
                if (retriable && attempt < this.opts.retries) {
                    await sleep(this.backoff(attempt));
                    continue;
                }
                if (code === "TIMEOUT") {
                    throw this.error("TIMEOUT", ctx, `${opts.method} timed out after ${this.opts.timeoutMs} ms. Check the registry's load and network, or raise the timeout`);
                }
                const tried = attempt > 0 ? ` after ${attempt + 1} attempts` : "";
                const advice = idempotent ? "Check that the registry runs and that the registry address is right" : "The write may or may not have happened: check the registry state before retrying";
                throw this.error("UNREACHABLE", ctx, `Cannot reach the registry at ${this.opts.base} (${code})${tried}. ${advice}`);
            }
            if (res.status === 401 && !authRetried) {
                authRetried = true;
                if (await this.auth.authenticate(res.headers.get("www-authenticate"), scope, ctx, authorization)) {
                    attempt--; // an auth round trip is not a retry
                    continue;
                }
            }
            if (opts.accept.includes(res.status)) return res;
            const retriable = res.status === 429 || (res.status >= 500 && idempotent);
            if (retriable && attempt < this.opts.retries) {
                const wait = retryAfter(res.headers.get("retry-after")) ?? this.backoff(attempt);
                if (wait <= this.opts.maxRetryAfterMs) {
                    await sleep(wait);
                    continue;
                }
            }
            throw this.statusError(opts, res, attempt);
        }
    }

    private backoff(attempt: number): number {
        return this.opts.backoffMs * 2 ** attempt;
    }

    private statusError(opts: SendOptions, res: Reply, attempt: number): RegistryError {
        const ctx = { repository: opts.repository, reference: opts.reference, status: res.status };
        const codes = registryErrorCodes(res.body);
        const tried = attempt > 0 ? ` after ${attempt + 1} attempts` : "";
        if (res.status === 401 || res.status === 403) {
            const from = this.opts.credentialsFrom;
            const how = this.auth.hasCredentials
                ? `The registry refused the credentials. Check ${from ?? "REGISTRY_USERNAME and REGISTRY_PASSWORD (or the credentials given)"} and the account's rights`
                : "The registry needs credentials. Set REGISTRY_USERNAME and REGISTRY_PASSWORD";
            return this.error("UNAUTHORIZED", ctx, `${opts.method} was refused. ${how}`);
        }
        if (res.status === 404) {
            if (codes.includes("NAME_UNKNOWN")) return this.error("NAME_UNKNOWN", ctx, "The repository does not exist in this registry. Check the repository name and the registry address", "address");
            if (codes.includes("MANIFEST_UNKNOWN")) return this.error("MANIFEST_UNKNOWN", ctx, "No manifest under this reference. Check the tag or digest (list tags with the overview)");
            return this.error("NOT_FOUND", ctx, "The registry answered 404. Check the repository, the reference and the registry address", "address");
        }
        if (res.status === 429 || res.status >= 500) {
            const write = opts.method === "GET" || opts.method === "HEAD" ? "" : " The write was not retried automatically: check the registry state, then run it again.";
            return this.error("HTTP_ERROR", ctx, `The registry answered ${res.status}${tried}.${write} Try again later or check the registry's logs`);
        }
        const detail = codes.length ? ` (${codes.slice(0, 5).map((c) => quoteValue(c, 60)).join(", ")}${codes.length > 5 ? ", …" : ""})` : "";
        return this.error("HTTP_ERROR", ctx, `${opts.method} got an unexpected answer ${res.status}${detail}. Check the registry's logs`);
    }

    /**
     * One request and its redirects (reads only; authorization dropped when a redirect leaves the
     * origin). Each hop is reported to `onRequest`. The answer's body is read under its cap.
     */
    private async once(opts: Pick<SendOptions, "method" | "target" | "headers" | "body" | "kind">, authorization: string | undefined): Promise<Reply> {
        let url = new URL(opts.target.startsWith("/") ? `${this.opts.base}${opts.target}` : opts.target);
        const origin = url.origin;
        const kind = opts.kind ?? "other";
        const deadline = Date.now() + this.opts.timeoutMs;
        const readOnly = opts.method === "GET" || opts.method === "HEAD";
        for (let hop = 0; ; hop++) {
            const headers: Record<string, string> = { ...(opts.headers ?? {}) };
            if (authorization && url.origin === origin) headers.authorization = authorization;
            const reply = await this.hop(opts.method, url, headers, opts.body, kind, deadline);
            const location = reply.headers.get("location");
            if (!readOnly || ![301, 302, 303, 307, 308].includes(reply.status) || !location || hop >= MAX_REDIRECTS) return reply;
            url = new URL(location, url);
            if (url.protocol !== "http:" && url.protocol !== "https:") return reply;
        }
    }

    /** Exactly one HTTP exchange on node:http(s); reports it to `onRequest`. */
    private hop(method: string, url: URL, headers: Record<string, string>, body: Buffer | undefined, kind: BodyKind, deadline: number): Promise<Reply> {
        const limit = BODY_LIMITS[kind];
        const secure = url.protocol === "https:";
        const transport = secure ? https : http;
        let status: number | undefined;
        let bytesIn = 0;
        const report = () => this.opts.onRequest?.({ method, url: url.toString(), status, bytesIn, bytesOut: body?.length ?? 0 });
        return new Promise<Reply>((resolve, reject) => {
            let settled = false;
            const finish = (err: Error | undefined, reply?: Reply) => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                report();
                if (err) reject(err);
                else resolve(reply!);
            };
            const req = transport.request(url, {
                method,
                headers: { ...headers, ...(body ? { "content-length": String(body.length) } : {}) },
                agent: secure ? this.agents.https : this.agents.http,
            });
            const timer = setTimeout(() => {
                const err = new RequestTimeout(`timed out after ${this.opts.timeoutMs} ms`);
                finish(err);
                req.destroy(err);
            }, Math.max(0, deadline - Date.now()));
            req.on("error", (e) => finish(e));
            req.on("response", (res) => {
                status = res.statusCode ?? 0;
                const declared = Number(res.headers["content-length"]);
                if (method !== "HEAD" && Number.isFinite(declared) && declared > limit) {
                    // Settle first: destroying the socket emits its own errors, which must not win.
                    finish(new BodyTooLarge(kind, limit));
                    req.destroy();
                    return;
                }
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => {
                    bytesIn += c.length;
                    if (bytesIn > limit) {
                        finish(new BodyTooLarge(kind, limit));
                        req.destroy();
                        return;
                    }
                    chunks.push(c);
                });
                res.on("error", (e) => finish(e));
                res.on("aborted", () => finish(Object.assign(new Error("connection closed mid-answer"), { code: "ECONNRESET" })));
                res.on("end", () => {
                    const h = new Headers();
                    for (const [k, v] of Object.entries(res.headers)) {
                        if (v === undefined) continue;
                        try {
                            for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
                        } catch {
                            // A header value Headers cannot hold is not one we read.
                        }
                    }
                    finish(undefined, { status: status!, headers: h, body: Buffer.concat(chunks), url: url.toString() });
                });
            });
            req.end(body);
        });
    }
}

/** Names go into the URL path: anything outside the reference grammar is refused, not escaped (and refused from the cache alike). */
export function checkNames(repository: string | undefined, reference: string | undefined): void {
    if (repository !== undefined && !isValidRepository(repository)) {
        throw new ValidationError("repository", `Invalid repository "${quoteValue(repository, 100)}": use lowercase path components separated by "/", e.g. rednaw/hello-world.`);
    }
    if (reference !== undefined && !isValidTag(reference) && !isFullDigest(reference)) {
        throw new ValidationError("reference", `Invalid tag or digest "${quoteValue(reference, 100)}": a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, a digest is sha256: followed by 64 lowercase hex characters.`);
    }
}

/** `Retry-After` in ms: delta-seconds or an HTTP date. */
export function retryAfter(header: string | null): number | undefined {
    if (!header) return undefined;
    if (/^\s*\d+\s*$/.test(header)) return Number(header) * 1000;
    const when = Date.parse(header);
    return Number.isNaN(when) ? undefined : Math.max(0, when - Date.now());
}

function networkCode(e: unknown): string {
    const err = e as { name?: string; code?: string; cause?: { code?: string; name?: string } };
    if (e instanceof RequestTimeout || err?.name === "TimeoutError" || err?.cause?.name === "TimeoutError" || err?.name === "AbortError") return "TIMEOUT";
    return err?.code ?? err?.cause?.code ?? quoteValue((e as Error)?.message ?? "network error", 100);
}

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}
