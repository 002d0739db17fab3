/**
 * A stack's configuration in: parse (parse.ts: each key against its schema) → normalise (normalise.ts:
 * the estate's shape and forms) → validate (validate.ts: the named rules). Every stage runs, so one
 * run reports every problem; the estate comes out only when there is none.
 */
import type { StackName } from "../contract";
import { ValidationError } from "../errors";
import { normalise } from "./normalise";
import { parseStack } from "./parse";
import type { Problem } from "./rules";
import type { Estate } from "./types";
import { validate } from "./validate";

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
    const written = parseStack(problems, raw, stack);
    if (written === undefined) fail(problems);
    const estate = normalise(written);
    validate(problems, { written, estate });
    if (problems.length) fail(problems);
    return estate;
}
