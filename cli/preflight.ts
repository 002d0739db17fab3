import * as fs from "node:fs";
import { RegistryError, ValidationError } from "../lib/errors";
import { CheckResult, preflight as runPreflight } from "../lib/release/promotion";
import { ReleaseInput } from "../lib/release/spec";
import { parseReference } from "../lib/rules/reference";
import { clientFromEnv } from "../lib/registry/access";
import { isRegistryAddress } from "../lib/registry/client";
import { digestHex, normaliseDigest } from "../lib/rules/digest";
import { CliIO, Command, EXIT, parseCommandArgs, usageError, useColor } from "./io";

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

/**
 * Runs the promotion checks. The digest must be the 64 hex digits (the promotion contract); when a
 * whole digest was given in another form the failed check's fix names the exact value to pass.
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
    const checks = await runPreflight(client, spec);
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
    insecure: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
} as const;

/** Maps a registry failure during the checks to exit 3 with one line; other errors go up. */
export function preflightError(command: string, e: unknown, io: CliIO): number {
    if (e instanceof RegistryError) {
        io.stderr(`${command}: could not ask the registry: ${e.message}. Check that it is running and reachable, and the credentials.\n`);
        return EXIT.unavailable;
    }
    if (e instanceof ValidationError) {
        io.stderr(`${command}: ${e.message}\n`);
        return EXIT.usage;
    }
    throw e;
}

/** `image-lifecycle preflight`: exit 0 when every check passes, 1 when one fails. */
export const preflight: Command = async (argv, io) => {
    const parsed = parseCommandArgs("preflight", { args: argv, options: PROMOTION_OPTIONS }, USAGE, io);
    if (typeof parsed === "number") return parsed;
    const { values } = parsed;
    const missing = (["image", "digest", "tag"] as const).filter((k) => values[k] === undefined);
    if (missing.length) return usageError("preflight", `missing ${missing.map((m) => `--${m}`).join(", ")}.`, USAGE, io);
    if (values.justification !== undefined && !values["allow-non-semver"]) {
        return usageError("preflight", "--justification only applies with --allow-non-semver. Add --allow-non-semver or drop --justification.", USAGE, io);
    }
    const image = values.image!;
    let run: PreflightRun;
    try {
        run = await runPromotionChecks({
            image,
            digest: values.digest!,
            tag: values.tag!,
            ...(values["allow-non-semver"] ? { allowNonSemver: true } : {}),
            ...(values.justification !== undefined ? { justification: values.justification } : {}),
            insecure: values.insecure === true,
        }, io);
    } catch (e) {
        return preflightError("preflight", e, io);
    }
    if (values.json) {
        io.stdout(`${JSON.stringify({ image, tag: run.spec.tag, digest: run.spec.digest, ok: run.ok, checks: run.checks }, null, 2)}\n`);
    } else {
        io.stdout(formatChecks(run, image, io));
        io.stdout(run.ok ? "All checks passed: ready for approval.\n" : `Preflight failed: ${run.checks.filter((c) => !c.ok && !c.skipped).length} check(s) failed. Nothing was written.\n`);
    }
    writeJobSummary(run, image, io);
    return run.ok ? EXIT.ok : EXIT.failed;
};
