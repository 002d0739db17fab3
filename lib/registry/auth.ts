/**
 * Registry authentication: anonymous, basic, and bearer tokens from the token service a 401's
 * `WWW-Authenticate` challenge names. Holds what was learned (basic wanted, tokens by scope); the
 * transport (./transport.ts) asks it for each request's `Authorization` and hands it each 401.
 */
import { RegistryErrorContext } from "../errors";
import { quoteValue } from "../format/text";
import { isLoopbackRegistry } from "../rules/reference";
import { Answer, asObject, Fail } from "./manifests";
import { RegistryCredentials } from "./types";

/** One parsed `WWW-Authenticate` challenge. */
export interface AuthChallenge {
    scheme: string;
    params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (or `Basic realm="…"`). */
export function parseChallenge(header: string): AuthChallenge | undefined {
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
    if (!m) return undefined;
    const params: Record<string, string> = {};
    const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/g;
    let p: RegExpExecArray | null;
    while ((p = re.exec(m[2])) !== null) {
        params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3];
    }
    return { scheme: m[1].toLowerCase(), params };
}

/** How the transport's GET of a token went: an answer, one over its cap, or none (the network code). */
export type TokenFetch = { answer: Answer } | { tooLarge: number } | { unreachable: string };

export interface RegistryAuthOptions {
    /** `http://` or `https://` + the registry: a relative realm is resolved against it. */
    base: string;
    credentials?: RegistryCredentials;
    /** Plain HTTP allowed to a non-loopback registry, so credentials may go to a plain-HTTP token service too. */
    insecure: boolean;
    fail: Fail;
    /** One GET of the token service (no retries: a token service that fails is reported). */
    fetchToken: (url: string, authorization: string | undefined) => Promise<TokenFetch>;
}

interface Token {
    value: string;
    expiresAt: number;
}

/** The authentication state of one client. */
export class RegistryAuth {
    /** Set once the registry asked for basic auth, so later requests skip the 401 round trip. */
    private basic = false;
    /** Bearer tokens by scope; content of a scope never changes, so one token serves every request in it. */
    private readonly tokens = new Map<string, Token>();

    constructor(private readonly opts: RegistryAuthOptions) {}

    /** True when the client was given credentials. */
    get hasCredentials(): boolean {
        return this.opts.credentials !== undefined;
    }

    /** The `Authorization` header for a request in `scope`, when one is known. */
    async authorization(scope: string): Promise<string | undefined> {
        const token = this.tokens.get(scope);
        if (token) {
            if (token.expiresAt > Date.now()) return `Bearer ${token.value}`;
            this.tokens.delete(scope);
        }
        if (this.basic && this.opts.credentials) return basicHeader(this.opts.credentials);
        return undefined;
    }

    /** Handles a 401's challenge: returns true when a retry with new credentials makes sense. */
    async authenticate(challengeHeader: string | null, scope: string, ctx: Omit<RegistryErrorContext, "registry">, sent: string | undefined): Promise<boolean> {
        const { credentials, fail } = this.opts;
        const challenge = parseChallenge(challengeHeader ?? "");
        if (!challenge) return false;
        if (challenge.scheme === "basic") {
            // Retry unless this very request already carried the credentials: requests sent
            // concurrently before the first challenge was answered still deserve their retry.
            if (!credentials || sent?.startsWith("Basic ")) return false;
            this.basic = true;
            return true;
        }
        if (challenge.scheme !== "bearer" || !challenge.params.realm) return false;
        const realm = new URL(challenge.params.realm, this.opts.base);
        if (realm.protocol !== "https:" && credentials && !this.opts.insecure && !isLoopbackRegistry(realm.host)) {
            throw fail("INSECURE_REFUSED", { ...ctx, status: 401 }, `The token service ${quoteValue(realm.origin, 100)} is plain HTTP; refusing to send credentials there. Use HTTPS, or allow plain HTTP to this registry explicitly`, "plain-http");
        }
        const wanted = challenge.params.scope ?? scope;
        if (challenge.params.service) realm.searchParams.set("service", challenge.params.service);
        if (wanted) for (const s of wanted.split(" ")) realm.searchParams.append("scope", s);
        const fetched = await this.opts.fetchToken(realm.toString(), credentials ? basicHeader(credentials) : undefined);
        if ("tooLarge" in fetched) {
            throw fail("BAD_RESPONSE", { ...ctx, status: 401 }, `The token service ${quoteValue(realm.origin, 100)} answered more than ${fetched.tooLarge} bytes; stopped reading it. Check the registry's auth configuration`);
        }
        if ("unreachable" in fetched) {
            throw fail("UNREACHABLE", { ...ctx, status: 401 }, `Cannot reach the token service ${quoteValue(realm.origin, 100)} (${fetched.unreachable}). Check the registry's auth configuration`);
        }
        const reply = fetched.answer;
        if (reply.status !== 200) {
            throw fail("UNAUTHORIZED", { ...ctx, status: reply.status }, `The token service ${quoteValue(realm.origin, 100)} refused a token. ${credentials ? "Check REGISTRY_USERNAME and REGISTRY_PASSWORD" : "Set REGISTRY_USERNAME and REGISTRY_PASSWORD"}`);
        }
        let token: string | undefined;
        let expiresIn = 60;
        try {
            const json = asObject(JSON.parse(reply.body.toString("utf8")));
            token = typeof json.token === "string" ? json.token : typeof json.access_token === "string" ? json.access_token : undefined;
            if (typeof json.expires_in === "number" && json.expires_in > 0) expiresIn = json.expires_in;
        } catch {
            token = undefined;
        }
        if (!token) throw fail("BAD_RESPONSE", { ...ctx, status: reply.status }, `The token service ${quoteValue(realm.origin, 100)} sent no token. Check the registry's auth configuration`);
        // Renew a little early so a token never expires between the check and the request.
        this.tokens.set(scope, { value: token, expiresAt: Date.now() + Math.max(0, expiresIn - 10) * 1000 });
        return true;
    }
}

/** `Basic <base64 user:password>`. */
export function basicHeader(c: RegistryCredentials): string {
    return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}
