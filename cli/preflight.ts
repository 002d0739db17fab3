import * as fs from "node:fs";
import { RegistryError } from "../lib/errors";
import { CheckResult } from "../lib/release/checks";
import { preflight as runPreflight } from "../lib/release/promotion";
import { ReleaseInput } from "../lib/release/spec";
import { parseReference } from "../lib/rules/reference";
import { clientFromEnv } from "../lib/registry/access";
import { isRegistryAddress } from "../lib/registry/client";
import { digestHex, normaliseDigest } from "../lib/rules/digest";
import { CliIO, Command, EXIT, OUTPUT_OPTIONS, REGISTRY_OPTIONS, usageError, useColor } from "./io";
import { CommandFailed, defineCommand } from "./run";

const USAGE = `Usage: image-lifecycle preflight --image <registry/repository> --digest <64 hex> --tag <tag> [options]

Runs the promotion checks: digest format, image reference, tag characters, tag policy, tag
immutability (the tag must not exist yet) and that the source digest is in the registry.
Writes nothing; "image-lifecycle promote" runs the same checks and then adds the release.

  --image <host[:port]/repository>  e.g. registry.example.com:5000/team/app (no tag, no digest)
  --digest <64 hex>                 the image digest: its 64 hex digits, without the sha256: prefix
  --tag <tag>                       vX.Y.Z, vX.Y.Z-rc.N, stable or latest
  --allow-non-semver                bypass the tag policy (needs --justification; recorded)
  --justification <text>            why the bypass is needed
  --insecure                        plain HTTP to a registry that is not on loopback
  --json                            print JSON for scripts
  -h, --help                        this help

Credentials: REGISTRY_USERNAME and REGISTRY_PASSWORD.
Exit codes: 0 all checks pass, 1 a check failed, 2 bad usage, 3 registry unreachable or answering badly.
`;

/** Splits `host/repo` even when it is invalid, so the image-reference check can report it. */
function splitImage(image: string): { registry: string; repository: string } {
    try {
        const ref = parseReference(image);
        if (ref.tag === undefined && ref.digest === undefined) return { registry: ref.registry, repository: ref.repository };
    } catch {
        // fall through: the check reports why
    }
    const slash = image.indexOf("/");
    return slash < 0 ? { registry: "", repository: image } : { registry: image.slice(0, slash), repository: image.slice(slash + 1) };
}

function line(c: CheckResult, io: CliIO): string {
    const mark = c.ok ? "✓" : c.skipped ? "-" : "✗";
    const colour = useColor(io);
    const color = !colour ? "" : c.ok ? "\x1b[32m" : c.skipped ? "\x1b[2m" : "\x1b[31m";
    const reset = colour ? "\x1b[0m" : "";
    const head = `${color}${mark}${reset} ${c.name}`;
    if (c.ok) return `${head}\n`;
    return `${head}: ${c.message}\n    ${c.fix}\n`;
}

function summaryMarkdown(image: string, tag: string, checks: CheckResult[]): string {
    const rows = checks.map((c) => `| ${c.ok ? "✅" : c.skipped ? "⏭️" : "❌"} | ${c.name} | ${c.ok ? "" : `${c.message}. ${c.fix}`.replace(/\|/g, "\\|")} |`);
    return `### Promotion preflight: \`${image}:${tag}\`\n\n| | Check | Detail |\n|---|---|---|\n${rows.join("\n")}\n\n`;
}

/** The promotion inputs as given on the command line (`--image`, `--digest`, `--tag`, bypass). */
export interface PromotionArgs {
    image: string;
    digest: string;
    tag: string;
    allowNonSemver?: boolean;
    justification?: string;
    insecure?: boolean;
}

/** The outcome of the checks: every result, the spec they ran on, and how to show the digest. */
export interface PreflightRun {
    spec: ReleaseInput;
    checks: CheckResult[];
    ok: boolean;
    /** `sha256:<64 hex>` when the input is a digest in either form, else the input as given. */
    shownDigest: string;
}

/** The flags preflight and promote share, as parsed. */
type PromotionValues = { image?: string; digest?: string; tag?: string; "allow-non-semver"?: boolean; justification?: string };

/**
 * Checks the promotion flags preflight and promote both require (--image, --digest, --tag;
 * --justification only with --allow-non-semver): the usage error's exit code, or undefined.
 */
export function promotionUsageError(command: string, values: PromotionValues, usage: string, io: CliIO): number | undefined {
    const missing = (["image", "digest", "tag"] as const).filter((k) => values[k] === undefined);
    if (missing.length) return usageError(command, `missing ${missing.map((m) => `--${m}`).join(", ")}.`, usage, io);
    if (values.justification !== undefined && !values["allow-non-semver"]) {
        return usageError(command, "--justification only applies with --allow-non-semver. Add --allow-non-semver or drop --justification.", usage, io);
    }
    return undefined;
}

/** The promotion inputs from the flags, for `image` (the flag's value, or promote's full reference). */
export function promotionArgs(values: PromotionValues, image: string, insecure: boolean): PromotionArgs {
    return {
        image,
        digest: values.digest!,
        tag: values.tag!,
        ...(values["allow-non-semver"] ? { allowNonSemver: true } : {}),
        ...(values.justification !== undefined ? { justification: values.justification } : {}),
        insecure,
    };
}

/** How many checks failed (a skipped check did not run, so it did not fail). */
export function failedCount(run: PreflightRun): number {
    return run.checks.filter((c) => !c.ok && !c.skipped).length;
}

/**
 * Runs the promotion checks. The digest must be the 64 hex digits (the promotion contract); when a
 * whole digest was given in another form the failed check's fix names the exact value to pass. A
 * registry that cannot be asked stops the checks: CommandFailed with exit 3.
 */
export async function runPromotionChecks(args: PromotionArgs, io: CliIO): Promise<PreflightRun> {
    const spec: ReleaseInput = {
        ...splitImage(args.image),
        digest: args.digest,
        tag: args.tag,
        ...(args.allowNonSemver ? { allowNonSemver: true } : {}),
        ...(args.justification !== undefined ? { justification: args.justification } : {}),
    };
    // A client can only be built for a plausible host; for anything else the image check fails first.
    const client = isRegistryAddress(spec.registry) ? clientFromEnv(spec.registry, io.env, { insecure: args.insecure === true }) : undefined;
    let checks: CheckResult[];
    try {
        checks = await runPreflight(client, spec);
    } catch (e) {
        if (!(e instanceof RegistryError)) throw e;
        throw new CommandFailed(EXIT.unavailable, `could not ask the registry: ${e.message}. Check that it is running and reachable, and the credentials.`, e);
    }
    const full = normaliseDigest(args.digest);
    for (const c of checks) {
        if (c.id === "digest-format" && !c.ok && full) {
            c.fix = args.digest.toLowerCase().startsWith("sha256:")
                ? `Remove the sha256: prefix and pass the 64 hex digits: --digest ${digestHex(full)}`
                : `Write the hex digits in lowercase: --digest ${digestHex(full)}`;
        }
    }
    return { spec, checks, ok: checks.every((c) => c.ok), shownDigest: full ?? args.digest };
}

/** Prints the checks as lines (✓ / ✗ / -), under a header naming the promotion. */
export function formatChecks(run: PreflightRun, image: string, io: CliIO): string {
    return `Preflight for ${image}:${run.spec.tag} ← ${run.shownDigest}\n${run.checks.map((c) => line(c, io)).join("")}`;
}

/** Appends the checks to $GITHUB_STEP_SUMMARY when it is set (in a GitHub Actions job). */
export function writeJobSummary(run: PreflightRun, image: string, io: CliIO): void {
    if (!io.env.GITHUB_STEP_SUMMARY) return;
    try {
        fs.appendFileSync(io.env.GITHUB_STEP_SUMMARY, summaryMarkdown(image, run.spec.tag, run.checks));
    } catch (e) {
        io.stderr(`note: could not write the job summary (${(e as Error).message}).\n`);
    }
}

/** Options shared by preflight and promote. */
export const PROMOTION_OPTIONS = {
    image: { type: "string" },
    digest: { type: "string" },
    tag: { type: "string" },
    "allow-non-semver": { type: "boolean" },
    justification: { type: "string" },
    // The registry is the host part of --image: no --registry here.
    insecure: REGISTRY_OPTIONS.insecure,
    ...OUTPUT_OPTIONS,
} as const;

/**
 * `image-lifecycle preflight`: exit 0 when every check passes, 1 when one fails. Not sanitised as a
 * whole: the checks' marks are coloured on a terminal.
 */
export const preflight: Command = defineCommand({ name: "preflight", options: PROMOTION_OPTIONS, usage: USAGE, hints: { address: "The registry is the host part of --image." } }, async ({ values }, io) => {
    const bad = promotionUsageError("preflight", values, USAGE, io);
    if (bad !== undefined) return bad;
    const image = values.image!;
    const run = await runPromotionChecks(promotionArgs(values, image, values.insecure === true), io);
    if (values.json) {
        io.stdout(`${JSON.stringify({ image, tag: run.spec.tag, digest: run.spec.digest, ok: run.ok, checks: run.checks }, null, 2)}\n`);
    } else {
        io.stdout(formatChecks(run, image, io));
        io.stdout(run.ok ? "All checks passed: ready for approval.\n" : `Preflight failed: ${failedCount(run)} check(s) failed. Nothing was written.\n`);
    }
    writeJobSummary(run, image, io);
    return run.ok ? EXIT.ok : EXIT.failed;
});
