/**
 * How the product reaches the registry, built once from the stack's registry settings and the
 * environment: the client, the Docker providers' `registryAuth` and the release's credentials all come
 * from one {@link RegistryAccess}. Engine-free: values are plain; the program and components apply
 * `pulumi.secret` to the password (once) where it enters a resource.
 */
import { RegistryClient } from "./client";
import { RegistryClientOptions, RegistryCredentials } from "./types";

/** The stack's registry settings (`registry.host`, `registry.insecure`, `registry.username`, the `registryPassword` secret). */
export interface RegistrySettings {
    /** `host[:port]`. */
    host: string;
    insecure?: boolean;
    username?: string;
    password?: string;
}

/** Everything needed to talk to one registry. */
export interface RegistryAccess {
    /** `host[:port]`. */
    host: string;
    insecure: boolean;
    /** The user name, also when no password goes with it (the Docker providers still send it). */
    username?: string;
    password?: string;
    /** The login, when both halves are known; anonymous otherwise. */
    credentials?: RegistryCredentials;
}

/**
 * What the environment adds to the stack's login (REGISTRY_USERNAME / REGISTRY_PASSWORD). A password
 * belongs with a user name: the stack's, else REGISTRY_USERNAME (which then fills it in). A stack
 * password wins over the environment, and a password with no user name anywhere is ignored.
 */
export function loginFromEnv(stack: { username?: unknown; password?: unknown }, env: NodeJS.ProcessEnv): { username?: string; password: string } | undefined {
    if (stack.password !== undefined || !env.REGISTRY_PASSWORD) return undefined;
    if (stack.username !== undefined) return { password: env.REGISTRY_PASSWORD };
    if (!env.REGISTRY_USERNAME) return undefined;
    return { username: env.REGISTRY_USERNAME, password: env.REGISTRY_PASSWORD };
}

/** The access to `settings.host`, the login completed from `env` by {@link loginFromEnv}'s rules. */
export function registryAccess(settings: RegistrySettings, env: NodeJS.ProcessEnv = {}): RegistryAccess {
    const fill = loginFromEnv(settings, env);
    const username = settings.username ?? fill?.username;
    const password = settings.password ?? fill?.password;
    return {
        host: settings.host,
        insecure: settings.insecure === true,
        ...(username !== undefined ? { username } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(username !== undefined && password !== undefined ? { credentials: { username, password } } : {}),
    };
}

/** A registry client for `access`. */
export function registryClient(access: RegistryAccess, opts: Omit<RegistryClientOptions, "registry" | "credentials" | "insecure"> = {}): RegistryClient {
    return new RegistryClient({ ...opts, registry: access.host, insecure: access.insecure, ...(access.credentials ? { credentials: access.credentials } : {}) });
}

/**
 * A client for `registry` with the login from REGISTRY_USERNAME / REGISTRY_PASSWORD when both are set
 * (anonymous otherwise): the CLI's registry access, where no stack login applies.
 */
export function clientFromEnv(registry: string, env: NodeJS.ProcessEnv, opts: Omit<RegistryClientOptions, "registry" | "credentials"> = {}): RegistryClient {
    const { insecure, ...rest } = opts;
    return registryClient(registryAccess({ host: registry, insecure: insecure === true }, env), rest);
}

/** One entry of the Docker provider's `registryAuth`: only when a user name is known, the password only when there is one. */
export interface DockerRegistryAuth {
    address: string;
    username: string;
    password?: string;
}

/** The Docker providers' `registryAuth` entry for `access`, or undefined when it names no user. */
export function dockerRegistryAuth(access: RegistryAccess): DockerRegistryAuth | undefined {
    if (access.username === undefined) return undefined;
    return { address: access.host, username: access.username, ...(access.password !== undefined ? { password: access.password } : {}) };
}
