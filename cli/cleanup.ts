import { applyCleanup, KeptAtApply, planCleanup } from "../lib/registry/cleanup";
import { readDeployedFiles } from "../lib/rules/deploy-record";
import { RegistryError, ValidationError } from "../lib/errors";
import { formatCreated, imageLine } from "../lib/format/overview";
import { parseReference } from "../lib/rules/reference";
import { clientFromEnv } from "../lib/registry/access";
import { DEFAULT_KEEP_LAST, describeReason, parseAge, PlannedDigest, RetentionPlan } from "../lib/rules/retention";
import { printable, safeJson } from "../lib/format/text";
import { readDeployedText } from "./deployed";
import { Command, EXIT, OUTPUT_OPTIONS, REGISTRY_OPTIONS } from "./io";
import { defineCommand } from "./run";
import { DEFAULT_REGISTRY } from "./overview";

const USAGE = `Usage: image-lifecycle cleanup <repository> [options]

Plans which images of one repository may be deleted, and deletes them only with --apply.
Kept: every deployed digest, every digest with a semver release tag (vX.Y.Z[-pre]) or a channel tag
(stable, latest), the last N builds by created label, with --min-age anything younger, and every
manifest a kept image refers to (the platform manifests of a kept multi-arch index).
Nothing is planned or deleted while the registry fails to serve a tag it lists; before each delete the
tags and --deployed files are read again, and a digest that gained a tag or a reason to stay is kept.

  <repository>              e.g. team/app or registry.example.com:5000/team/app
  --registry <host[:port]>  registry (default: $IMAGE_LIFECYCLE_REGISTRY, then ${DEFAULT_REGISTRY})
  --deployed <file>         deploy-info.yml or the program's deployments JSON; repeatable; required with --apply
  --keep-last <N>           keep the newest N builds (default ${DEFAULT_KEEP_LAST})
  --min-age <age>           also keep anything younger, e.g. 7d, 12h, 2w
  --apply                   delete the planned digests (default: print the plan only)
  --json                    print the plan as JSON
  --insecure                plain HTTP to a registry that is not on loopback
  -h, --help                this help

Deleting a digest removes every tag on it; the registry frees the space at its next garbage collection.
Credentials: REGISTRY_USERNAME and REGISTRY_PASSWORD.
Created dates are the images' org.opencontainers.image.created labels, shown in UTC.
Exit codes: 0 ok (a plan, or every planned deletion done), 1 the repository is not in the registry
or a deletion failed, 2 bad usage or input (e.g. --keep-last -1, --apply without --deployed, a
--deployed entry that cannot be read), 3 registry unreachable or answering badly (nothing is deleted
when the read is incomplete).
`;

function short(digest: string): string {
    return digest.slice(0, 19);
}

function row(p: PlannedDigest): string {
    const created = p.created ? formatCreated(p.created) : "unknown";
    return `${short(p.digest)}  ${created.padEnd(16)}  ${p.tags.join(", ") || "(untagged)"}`;
}

/** `sha256:abc… (v1.0.0)`: a referring digest with its tags, for the "referenced by" reason. */
function named(plan: RetentionPlan, digest: string): string {
    const p = [...plan.keep, ...plan.delete].find((x) => x.digest === digest);
    return p?.tags.length ? `${short(digest)} (${p.tags.join(", ")})` : short(digest);
}

function reasons(plan: RetentionPlan, p: { reasons: PlannedDigest["reasons"]; referencedBy?: string[] }, rules: { keepLast: number; minAge?: string }): string {
    return p.reasons.map((r) => describeReason(r, rules, (p.referencedBy ?? []).map((d) => named(plan, d)))).join("; ");
}

function formatPlan(registry: string, repository: string, plan: RetentionPlan, rules: { keepLast: number; minAge?: string }, apply: boolean): string {
    const out = [imageLine(printable(repository)), `REGISTRY: ${printable(registry)}`, "", `DELETE (${plan.delete.length})${apply ? "" : " — dry run, add --apply to delete"}`];
    if (plan.delete.length === 0) out.push("  nothing");
    for (const p of plan.delete) out.push(`  ${row(p)}`);
    out.push("", `KEEP (${plan.keep.length})`);
    for (const p of plan.keep) out.push(`  ${row(p)}`, `      kept: ${reasons(plan, p, rules)}`);
    return `${out.join("\n")}\n`;
}

/** The options of `cleanup` (also what shell completion offers). */
export const CLEANUP_OPTIONS = {
    ...REGISTRY_OPTIONS,
    deployed: { type: "string", multiple: true },
    "keep-last": { type: "string" },
    "min-age": { type: "string" },
    apply: { type: "boolean" },
    ...OUTPUT_OPTIONS,
} as const;

/**
 * `image-lifecycle cleanup`: the retention plan of one repository; deletes only with --apply. Everything
 * it prints passes the one sanitiser: registry-supplied tags and labels are data.
 */
export const cleanup: Command = defineCommand({ name: "cleanup", options: CLEANUP_OPTIONS, usage: USAGE, positional: "repository", sanitise: true }, async ({ values, positionals }, io) => {
    const keepLast = values["keep-last"] === undefined ? DEFAULT_KEEP_LAST : Number(values["keep-last"]);
    if (!Number.isInteger(keepLast) || keepLast < 0) {
        io.stderr(`cleanup: --keep-last is how many of the newest builds to keep: a whole number, 0 or more; got "${values["keep-last"]}".\n`);
        return EXIT.usage;
    }
    let minAgeMs: number | undefined;
    try {
        if (values["min-age"] !== undefined) minAgeMs = parseAge(values["min-age"]);
    } catch (e) {
        io.stderr(`cleanup: --min-age: ${(e as Error).message}\n`);
        return EXIT.usage;
    }
    if (values.apply && !values.deployed?.length) {
        io.stderr("cleanup: --apply needs at least one --deployed file (deploy-info.yml or `pulumi stack output --json deployments`), so nothing deployed is deleted. Pass an empty JSON object {} if truly nothing is deployed.\n");
        return EXIT.usage;
    }

    const ref = parseReference(positionals[0], values.registry ?? (io.env.IMAGE_LIFECYCLE_REGISTRY || DEFAULT_REGISTRY), "repository");
    if (values.registry && ref.registry !== values.registry) {
        throw new ValidationError("repository", `The repository names registry ${ref.registry} but --registry says ${values.registry}. Give the registry once.`);
    }
    if (ref.tag !== undefined || ref.digest !== undefined) {
        throw new ValidationError("repository", `cleanup takes a repository, not one image: drop the ${ref.digest ? "digest" : "tag"} from "${positionals[0]}".`);
    }
    const target = { registry: ref.registry, repository: ref.repository, anyRegistry: true, strict: true };
    const readDeployed = (note: (m: string) => void) => readDeployedFiles((values.deployed ?? []).map(readDeployedText), target, note);
    const deployed = readDeployed((m) => io.stderr(`note: ${m}\n`));
    const client = clientFromEnv(ref.registry, io.env, { insecure: values.insecure === true });
    const retention = { keepLast, ...(minAgeMs !== undefined ? { minAgeMs } : {}) };
    const { plan, reader } = await planCleanup(client, ref.repository, deployed, retention);
    const rules = { keepLast, ...(values["min-age"] ? { minAge: values["min-age"] } : {}) };
    const image = `${ref.registry}/${ref.repository}`;

    let applied: Awaited<ReturnType<typeof applyCleanup>> | undefined;
    let stopped: RegistryError | undefined;
    const keptLine = (k: KeptAtApply) => {
        const why = k.newTags.length ? `it gained tag(s) ${k.newTags.join(", ")} since the plan` : reasons(plan, k, rules);
        return `kept ${k.digest} (${k.tags.join(", ") || "untagged"}): ${why}\n`;
    };
    if (values.apply) {
        const progress = { deleted: [] as PlannedDigest[], kept: [] as KeptAtApply[] };
        try {
            applied = await applyCleanup(client, reader, ref.repository, plan, {
                rules: retention,
                readDeployed: () => readDeployed(() => undefined),
                onDeleted: (p) => {
                    progress.deleted.push(p);
                    if (!values.json) io.stderr(`deleted ${p.digest} (${p.tags.join(", ")})\n`);
                },
                onKept: (k) => {
                    progress.kept.push(k);
                    if (!values.json) io.stderr(keptLine(k));
                },
            });
        } catch (e) {
            if (!(e instanceof RegistryError)) throw e;
            // A fresh read failed part-way: report what was done, then the registry error.
            stopped = e;
            applied = { deleted: progress.deleted, kept: progress.kept, gone: [], failed: [] };
        }
        for (const f of applied.failed) io.stderr(`cleanup: could not delete ${f.digest}: ${f.error}\n`);
    }
    if (values.json) {
        const j = (p: PlannedDigest) => ({ digest: p.digest, tags: p.tags, created: p.created ?? null });
        io.stdout(`${safeJson({
            image,
            applied: values.apply === true,
            rules: { keepLast, minAge: values["min-age"] ?? null },
            delete: plan.delete.map(j),
            keep: plan.keep.map((p) => ({ ...j(p), reasons: p.reasons, ...(p.referencedBy ? { referencedBy: p.referencedBy } : {}) })),
            ...(applied
                ? {
                      deleted: applied.deleted.map((p) => p.digest),
                      keptAtApply: applied.kept,
                      alreadyGone: applied.gone.map((p) => p.digest),
                      failed: applied.failed,
                      ...(stopped ? { stopped: stopped.message } : {}),
                  }
                : {}),
        })}\n`);
    } else {
        io.stdout(formatPlan(ref.registry, ref.repository, plan, rules, values.apply === true));
        if (applied) {
            const extra = [
                applied.kept.length ? `${applied.kept.length} kept after a fresh check` : "",
                applied.gone.length ? `${applied.gone.length} already gone` : "",
            ].filter(Boolean).join(", ");
            io.stdout(`Deleted ${applied.deleted.length} of ${plan.delete.length}${extra ? ` (${extra})` : ""}. Run the registry's garbage collection to free the space.\n`);
        }
    }
    if (stopped) {
        io.stderr(`cleanup: stopped before the next delete: ${stopped.message}\n`);
        return EXIT.unavailable;
    }
    return applied?.failed.length ? EXIT.failed : EXIT.ok;
});
