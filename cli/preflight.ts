import * as fs from "node:fs";
import { RegistryError, ValidationError } from "../lib/errors";
import { CheckResult, preflight as runPreflight, PromotionSpec } from "../lib/promotion";
import { parseReference } from "../lib/reference";
import { clientFromEnv, isRegistryAddress } from "../lib/registry/client";
import { CliIO, Command, EXIT, parseCommandArgs } from "./io";

const USAGE = `Usage: image-lifecycle preflight --image <registry/repository> --digest <64 hex> --tag <tag> [options]

Runs seed 004's promotion preflight: digest format, image reference, tag characters, tag policy,
tag immutability (the tag must not exist) and source digest existence. Writes nothing.

  --image <host[:port]/repository>  e.g. registry.example.com:5000/team/app (no tag, no digest)
  --digest <64 hex>                 the image digest without the sha256: prefix
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
    const color = !io.isTTY ? "" : c.ok ? "\x1b[32m" : c.skipped ? "\x1b[2m" : "\x1b[31m";
    const reset = io.isTTY ? "\x1b[0m" : "";
    const head = `${color}${mark}${reset} ${c.name}`;
    if (c.ok) return `${head}\n`;
    return `${head}: ${c.message}\n    ${c.fix}\n`;
}

function summaryMarkdown(image: string, tag: string, checks: CheckResult[]): string {
    const rows = checks.map((c) => `| ${c.ok ? "✅" : c.skipped ? "⏭️" : "❌"} | ${c.name} | ${c.ok ? "" : `${c.message}. ${c.fix}`.replace(/\|/g, "\\|")} |`);
    return `### Promotion preflight: \`${image}:${tag}\`\n\n| | Check | Detail |\n|---|---|---|\n${rows.join("\n")}\n\n`;
}

/** `image-lifecycle preflight`: exit 0 when every check passes, 1 when one fails. */
export const preflight: Command = async (argv, io) => {
    const parsed = parseCommandArgs("preflight", {
        args: argv,
        options: {
            image: { type: "string" },
            digest: { type: "string" },
            tag: { type: "string" },
            "allow-non-semver": { type: "boolean" },
            justification: { type: "string" },
            insecure: { type: "boolean" },
            json: { type: "boolean" },
            help: { type: "boolean", short: "h" },
        },
    }, USAGE, io);
    if (typeof parsed === "number") return parsed;
    const { values } = parsed;
    const missing = (["image", "digest", "tag"] as const).filter((k) => values[k] === undefined);
    if (missing.length) {
        io.stderr(`preflight: missing ${missing.map((m) => `--${m}`).join(", ")}.\n\n${USAGE}`);
        return EXIT.usage;
    }
    if (values.justification !== undefined && !values["allow-non-semver"]) {
        io.stderr(`preflight: --justification only applies with --allow-non-semver. Add --allow-non-semver or drop --justification.\n`);
        return EXIT.usage;
    }
    const image = values.image!;
    const spec: PromotionSpec = {
        ...splitImage(image),
        digest: values.digest!,
        tag: values.tag!,
        ...(values["allow-non-semver"] ? { allowNonSemver: true } : {}),
        ...(values.justification !== undefined ? { justification: values.justification } : {}),
    };
    let checks: CheckResult[];
    try {
        // A client can only be built for a plausible host; for anything else the image check fails first.
        const client = isRegistryAddress(spec.registry)
            ? clientFromEnv(spec.registry, io.env, { insecure: values.insecure === true })
            : undefined;
        checks = await runPreflight(client, spec);
    } catch (e) {
        if (e instanceof RegistryError) {
            io.stderr(`preflight: could not ask the registry: ${e.message}. Check that it is running and reachable, and the credentials.\n`);
            return EXIT.unavailable;
        }
        if (e instanceof ValidationError) {
            io.stderr(`preflight: ${e.message}\n`);
            return EXIT.usage;
        }
        throw e;
    }
    const ok = checks.every((c) => c.ok);
    if (values.json) {
        io.stdout(`${JSON.stringify({ image, tag: spec.tag, digest: spec.digest, ok, checks }, null, 2)}\n`);
    } else {
        io.stdout(`Preflight for ${image}:${spec.tag} ← sha256:${spec.digest}\n`);
        for (const c of checks) io.stdout(line(c, io));
        io.stdout(ok ? "All checks passed: ready for approval.\n" : `Preflight failed: ${checks.filter((c) => !c.ok && !c.skipped).length} check(s) failed. Nothing was written.\n`);
    }
    if (io.env.GITHUB_STEP_SUMMARY) {
        try {
            fs.appendFileSync(io.env.GITHUB_STEP_SUMMARY, summaryMarkdown(image, spec.tag, checks));
        } catch (e) {
            io.stderr(`note: could not write the job summary (${(e as Error).message}).\n`);
        }
    }
    return ok ? EXIT.ok : EXIT.failed;
};
