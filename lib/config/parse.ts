/**
 * Stage 1 of the config pipeline (pipeline.ts): the raw keys against the schema (schema.ts), key by key
 * and item by item, so one bad key or item does not hide the others' problems. What comes out is what
 * the stack file says, typed; normalise.ts then shapes it into the estate.
 */
import { z } from "zod";
import { CLASSES, LxcClassName, STACKS, StackName } from "../contract";
import { Problem, reservedKeys } from "./rules";
import { appSchema, classSchema, devContainerSchema, Fields, lyraFields, NAME, nameMessage, proximaFields, releaseSchema } from "./schema";

const UNKNOWN_KEY = "unknown key; remove it or check its spelling (see docs/program.md)";

/** The stack file's keys as written, each parsed by its schema (absent where it failed). */
interface ParsedCommon {
    /** The raw keys: some rules ask only whether a key is present (a secret read offline has no value). */
    input: Record<string, unknown>;
}

export interface ParsedProxima extends ParsedCommon {
    stack: "proxima";
    fields: Fields<typeof proximaFields>;
    /** The class names written under `classes`, known or not; undefined when `classes` is missing or not a mapping. */
    classNames?: string[];
    classes: [LxcClassName, z.output<typeof classSchema>][];
    apps: [string, z.output<typeof appSchema>][];
    releases: [string, z.output<typeof releaseSchema>][];
}

export interface ParsedLyra extends ParsedCommon {
    stack: "lyra";
    fields: Fields<typeof lyraFields>;
    devContainers: [string, z.output<typeof devContainerSchema>][];
}

export type Parsed = ParsedProxima | ParsedLyra;

function collect(problems: Problem[], prefix: string, error: z.ZodError): void {
    for (const issue of error.issues) {
        const keys = issue.code === "unrecognized_keys" ? issue.keys : [undefined];
        for (const key of keys) {
            const parts = [prefix, ...issue.path.map(String), ...(key !== undefined ? [key] : [])].filter((p) => p !== "");
            const message = key !== undefined ? UNKNOWN_KEY : issue.message;
            problems.push({ path: parts.join(".") || "(root)", message });
        }
    }
}

/**
 * Parses each named item on its own. Unknown keys are reported here rather than by the schema, so
 * an item with a typo still gets its other fields (and the rules across fields) checked.
 */
function parseItems<S extends z.ZodObject>(problems: Problem[], prefix: string, raw: Record<string, unknown>, schema: S): [string, z.infer<S>][] {
    const out: [string, z.infer<S>][] = [];
    const known = new Set(Object.keys(schema.shape));
    for (const [name, value] of Object.entries(raw)) {
        if (!NAME.test(name)) problems.push({ path: `${prefix}.${name}`, message: `the name ${nameMessage}` });
        if (typeof value === "object" && value !== null && !Array.isArray(value)) {
            for (const key of Object.keys(value)) {
                if (!known.has(key)) problems.push({ path: `${prefix}.${name}.${key}`, message: UNKNOWN_KEY });
            }
        }
        const parsed = schema.safeParse(value);
        if (parsed.success) out.push([name, parsed.data]);
        else collect(problems, `${prefix}.${name}`, parsed.error);
    }
    return out;
}

/** Only the known classes, each by its schema. */
function parseClasses(problems: Problem[], raw: Record<string, unknown>): [LxcClassName, z.output<typeof classSchema>][] {
    const out: [LxcClassName, z.output<typeof classSchema>][] = [];
    for (const [name, value] of Object.entries(raw)) {
        if (!(CLASSES as readonly string[]).includes(name)) {
            problems.push({ path: `classes.${name}`, message: `unknown class; expected one of ${CLASSES.join(", ")}` });
            continue;
        }
        const parsed = classSchema.safeParse(value);
        if (parsed.success) out.push([name as LxcClassName, parsed.data]);
        else collect(problems, `classes.${name}`, parsed.error);
    }
    return out;
}

/**
 * The stack's raw config (keys without the `image-lifecycle:` prefix) as written, typed, with every
 * problem of shape added to `problems`; undefined when there is nothing to read (an unknown stack, a
 * config that is not a mapping).
 */
export function parseStack(problems: Problem[], raw: unknown, stack: StackName): Parsed | undefined {
    if (!(STACKS as readonly string[]).includes(stack)) {
        problems.push({ path: "(stack)", message: `unknown stack "${stack}"; expected lyra or proxima` });
        return undefined;
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        problems.push({ path: "(root)", message: "the stack config is not a mapping; check Pulumi.<stack>.yaml" });
        return undefined;
    }
    const input = raw as Record<string, unknown>;
    reservedKeys(problems, input, "");
    const schemas: Record<string, z.ZodType> = stack === "proxima" ? proximaFields : lyraFields;
    for (const key of Object.keys(input)) {
        if (!(key in schemas)) problems.push({ path: key, message: `unknown key for the ${stack} stack; remove it or check its spelling (see docs/program.md)` });
    }
    const fields: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(schemas)) {
        const r = schema.safeParse(input[key]);
        if (r.success) fields[key] = r.data;
        else if (input[key] === undefined) problems.push({ path: key, message: "required; see docs/program.md" });
        else collect(problems, key, r.error);
    }

    if (stack === "lyra") {
        const lyra = fields as Fields<typeof lyraFields>;
        return { stack, input, fields: lyra, devContainers: parseItems(problems, "devContainers", lyra.devContainers ?? {}, devContainerSchema) };
    }
    const proxima = fields as Fields<typeof proximaFields>;
    return {
        stack,
        input,
        fields: proxima,
        ...(proxima.classes !== undefined ? { classNames: Object.keys(proxima.classes) } : {}),
        classes: parseClasses(problems, proxima.classes ?? {}),
        apps: parseItems(problems, "apps", proxima.apps ?? {}, appSchema),
        releases: parseItems(problems, "releases", proxima.releases ?? {}, releaseSchema),
    };
}
