/** Stack configuration in: raw keys (from Pulumi or a stack file) to the typed estate, or every problem at once. */
import { z } from "zod";
import { CLASSES, LxcClassName, STACKS, StackName } from "../contract";
import { ValidationError } from "../errors";
import { normalisePem } from "../release/spec";
import { fullDigest } from "../rules/digest";
import { checkBudgets, checkChoice, checkPorts, checkRelease, checkSigning, checkSshOpts, checkVolumeNames, checkWorkspaceBinds, isRegistryHost, Problem, reservedKeys } from "./rules";
import { classSchema, devContainerSchema, Fields, lyraFields, NAME, nameMessage, appSchema, proximaFields, releaseSchema } from "./schema";
import type { AppConfig, ClassConfig, DevContainerConfig, Estate, RegistryConfig, ReleaseConfig } from "./types";

function collect(problems: Problem[], prefix: string, error: z.ZodError): void {
    for (const issue of error.issues) {
        const keys = issue.code === "unrecognized_keys" ? issue.keys : [undefined];
        for (const key of keys) {
            const parts = [prefix, ...issue.path.map(String), ...(key !== undefined ? [key] : [])].filter((p) => p !== "");
            const message = key !== undefined ? "unknown key; remove it or check its spelling (see docs/program.md)" : issue.message;
            problems.push({ path: parts.join(".") || "(root)", message });
        }
    }
}

/**
 * Parses each named item on its own. Unknown keys are reported here rather than by the schema, so
 * an item with a typo still gets its other fields (and the cross-field rules) checked.
 */
function parseItems<S extends z.ZodObject>(problems: Problem[], prefix: string, raw: Record<string, unknown>, schema: S): [string, z.infer<S>][] {
    const out: [string, z.infer<S>][] = [];
    const known = new Set(Object.keys(schema.shape));
    for (const [name, value] of Object.entries(raw)) {
        if (!NAME.test(name)) problems.push({ path: `${prefix}.${name}`, message: `the name ${nameMessage}` });
        if (typeof value === "object" && value !== null && !Array.isArray(value)) {
            for (const key of Object.keys(value)) {
                if (!known.has(key)) problems.push({ path: `${prefix}.${name}.${key}`, message: "unknown key; remove it or check its spelling (see docs/program.md)" });
            }
        }
        const parsed = schema.safeParse(value);
        if (parsed.success) out.push([name, parsed.data]);
        else collect(problems, `${prefix}.${name}`, parsed.error);
    }
    return out;
}

function fail(problems: Problem[]): never {
    const lines = problems.map((p) => `  ${p.path}: ${p.message}`);
    throw new ValidationError("config", `The stack configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was deployed. Fix each:\n${lines.join("\n")}`);
}

/**
 * Turns the stack's raw config (keys without the `image-lifecycle:` prefix) into the typed estate of
 * `stack`, or throws one ValidationError listing every problem as `path: message`.
 */
export function parseConfig(raw: unknown, stack: StackName): Estate {
    const problems: Problem[] = [];
    if (!(STACKS as readonly string[]).includes(stack)) fail([{ path: "(stack)", message: `unknown stack "${stack}"; expected lyra or proxima` }]);
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail([{ path: "(root)", message: "the stack config is not a mapping; check Pulumi.<stack>.yaml" }]);
    const input = raw as Record<string, unknown>;
    reservedKeys(problems, input, "");
    const fields: Record<string, z.ZodType> = stack === "proxima" ? proximaFields : lyraFields;
    for (const key of Object.keys(input)) {
        if (!(key in fields)) problems.push({ path: key, message: `unknown key for the ${stack} stack; remove it or check its spelling (see docs/program.md)` });
    }
    const parsed: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(fields)) {
        const r = schema.safeParse(input[key]);
        if (r.success) parsed[key] = r.data;
        else if (input[key] === undefined) problems.push({ path: key, message: "required; see docs/program.md" });
        else collect(problems, key, r.error);
    }
    const common = parsed as Fields<typeof proximaFields>;
    const registry: RegistryConfig = {
        host: common.registry?.host ?? "",
        insecure: common.registry?.insecure ?? false,
        ...(common.registry?.username !== undefined ? { username: common.registry.username } : {}),
        ...(common.registryPassword !== undefined ? { password: common.registryPassword } : {}),
    };
    if (common.registry && !isRegistryHost(registry.host)) {
        problems.push({ path: "registry.host", message: "expected host or host:port without scheme or path, e.g. registry.example.org:5000" });
    }
    if (registry.password !== undefined && common.registry && registry.username === undefined) {
        problems.push({ path: "registry.username", message: "registryPassword is set but registry.username is not; set both or neither" });
    }
    const deployedBy = common.deployedBy !== undefined ? { deployedBy: common.deployedBy } : {};

    if (stack === "lyra") {
        const data = parsed as Fields<typeof lyraFields>;
        const workspace = data.lyra?.workspace;
        if (data.lyra) checkSshOpts(problems, "lyra.sshOpts", data.lyra.sshOpts);
        const devs = parseItems(problems, "devContainers", data.devContainers ?? {}, devContainerSchema).map(([name, d]): DevContainerConfig => {
            const at = `devContainers.${name}`;
            checkWorkspaceBinds(problems, at, d.volumes, workspace);
            const { image: _oldKey, ...rest } = d;
            return { name, ...rest, ...checkChoice(problems, at, d) };
        });
        checkPorts(problems, "lyra", devs.map((d) => ({ at: `devContainers.${d.name}`, ports: d.ports })));
        if (problems.length) fail(problems);
        return { stack: "lyra", registry, ...deployedBy, lyra: data.lyra!, devContainers: devs };
    }

    const data = parsed as Fields<typeof proximaFields>;
    const rawClasses = data.classes ?? {};
    const classes: Partial<Record<LxcClassName, ClassConfig>> = {};
    for (const [name, value] of Object.entries(rawClasses)) {
        if (!(CLASSES as readonly string[]).includes(name)) {
            problems.push({ path: `classes.${name}`, message: `unknown class; expected one of ${CLASSES.join(", ")}` });
            continue;
        }
        const parsed = classSchema.safeParse(value);
        if (parsed.success) {
            classes[name as LxcClassName] = { name: name as LxcClassName, ...parsed.data };
            checkSshOpts(problems, `classes.${name}.sshOpts`, parsed.data.sshOpts);
        }
        else collect(problems, `classes.${name}`, parsed.error);
    }
    const apps = parseItems(problems, "apps", data.apps ?? {}, appSchema).map(([name, a]): AppConfig | undefined => {
        const at = `apps.${name}`;
        const choice = checkChoice(problems, at, a);
        if (!(CLASSES as readonly string[]).includes(a.class)) {
            problems.push({ path: `${at}.class`, message: `expected one of ${CLASSES.join(", ")}` });
            return undefined;
        }
        if (data.classes !== undefined && !(a.class in rawClasses)) {
            problems.push({ path: `${at}.class`, message: `class "${a.class}" is not configured under classes; add it or choose another class` });
        }
        const { image: _oldKey, ...rest } = a;
        return { name, ...rest, ...choice, class: a.class as LxcClassName };
    }).filter((a): a is AppConfig => a !== undefined);

    checkBudgets(problems, apps, classes);
    checkVolumeNames(problems, apps);

    const releases = parseItems(problems, "releases", data.releases ?? {}, releaseSchema).map(([name, r]): ReleaseConfig => {
        const at = `releases.${name}`;
        const repository = checkRelease(problems, at, r);
        // The stack's digest is seed 004's 64 hex; inside, the spec's `sha256:<hex>`.
        const { image: _oldKey, repository: _key, digest, ...rest } = r;
        return { name, repository, digest: fullDigest(digest), ...rest };
    });
    checkSigning(problems, input, releases.filter((r) => r.sign === true).map((r) => `releases.${r.name}`));

    if (problems.length) fail(problems);
    const signing = data.cosignPublicKey !== undefined
        ? {
            publicKey: normalisePem(data.cosignPublicKey),
            ...(data.cosignKey !== undefined ? { privateKey: normalisePem(data.cosignKey) } : {}),
            ...(data.cosignPassword !== undefined ? { password: data.cosignPassword } : {}),
        }
        : undefined;
    return {
        stack: "proxima",
        registry,
        ...deployedBy,
        org: data.org!,
        classes,
        apps,
        releases,
        ...(signing ? { signing } : {}),
        ...(data.releaseGate ? { releaseGate: data.releaseGate } : {}),
    };
}
