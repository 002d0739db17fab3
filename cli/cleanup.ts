import { RegistryError, ValidationError } from "../lib/errors";
import { gatherOverview, imageLine } from "../lib/overview";
import { parseReference } from "../lib/reference";
import { clientFromEnv } from "../lib/registry/client";
import { DEFAULT_KEEP_LAST, DigestFacts, describeReason, parseAge, planRetention, PlannedDigest, RetentionPlan } from "../lib/retention";
import { Command, EXIT, parseCommandArgs } from "./io";
import { deployedDigests } from "./deployed";
import { DEFAULT_REGISTRY } from "./overview";

const USAGE = `Usage: image-lifecycle cleanup <repository> [options]

Plans which images of one repository may be deleted, and deletes them only with --apply.
Kept: every deployed digest, every digest with a semver release tag (vX.Y.Z[-pre]) or a channel tag
(stable, latest), the last N builds by created label, and with --min-age anything younger.

  <repository>              e.g. team/app or registry.example.com:5000/team/app
  --registry <host[:port]>  registry (default: $IMAGE_LIFECYCLE_REGISTRY, then ${DEFAULT_REGISTRY})
  --deployed <file>         deploy-info.yml or the program's deployments JSON; repeatable; required with --apply
                            (a record counts whatever spelling of the registry host it uses)
  --keep-last <N>           keep the newest N builds (default ${DEFAULT_KEEP_LAST})
  --min-age <age>           also keep anything younger, e.g. 7d, 12h, 2w
  --apply                   delete the planned digests (default: print the plan only)
  --json                    print the plan as JSON
  --insecure                plain HTTP to a registry that is not on loopback
  -h, --help                this help

Deleting a digest removes every tag on it; the registry frees the space at its next garbage collection.
Created dates are the images' org.opencontainers.image.created labels, shown in UTC.
Credentials: REGISTRY_USERNAME and REGISTRY_PASSWORD.
Exit codes: 0 ok (a plan, or every planned deletion done), 1 the repository is not in the registry
or a deletion failed, 2 bad usage or input (e.g. --keep-last -1, --apply without --deployed),
3 registry unreachable or answering badly.
`;

function row(p: PlannedDigest): string {
    const created = p.created ? p.created.replace("T", " ").slice(0, 16) : "unknown";
    return `${p.digest.slice(0, 19)}  ${created.padEnd(16)}  ${p.tags.join(", ")}`;
}

function formatPlan(registry: string, repository: string, plan: RetentionPlan, rules: { keepLast: number; minAge?: string }, apply: boolean): string {
    const out = [imageLine(repository), `REGISTRY: ${registry}`, "", `DELETE (${plan.delete.length})${apply ? "" : " — dry run, add --apply to delete"}`];
    if (plan.delete.length === 0) out.push("  nothing");
    for (const p of plan.delete) out.push(`  ${row(p)}`);
    out.push("", `KEEP (${plan.keep.length})`);
    for (const p of plan.keep) out.push(`  ${row(p)}`, `      kept: ${p.reasons.map((r) => describeReason(r, rules)).join("; ")}`);
    return `${out.join("\n")}\n`;
}

/** `image-lifecycle cleanup`: the retention plan of one repository; deletes only with --apply. */
/** The options of `cleanup` (also what shell completion offers). */
export const CLEANUP_OPTIONS = {
    registry: { type: "string" },
    deployed: { type: "string", multiple: true },
    "keep-last": { type: "string" },
    "min-age": { type: "string" },
    apply: { type: "boolean" },
    json: { type: "boolean" },
    insecure: { type: "boolean" },
    help: { type: "boolean", short: "h" },
} as const;

export const cleanup: Command = async (argv, io) => {
    const parsed = parseCommandArgs("cleanup", {
        args: argv,
        allowPositionals: true,
        options: CLEANUP_OPTIONS,
    }, USAGE, io, "repository");
    if (typeof parsed === "number") return parsed;
    const { values, positionals } = parsed;
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

    try {
        const ref = parseReference(positionals[0], values.registry ?? (io.env.IMAGE_LIFECYCLE_REGISTRY || DEFAULT_REGISTRY), "repository");
        if (values.registry && ref.registry !== values.registry) {
            throw new ValidationError("repository", `The repository names registry ${ref.registry} but --registry says ${values.registry}. Give the registry once.`);
        }
        if (ref.tag !== undefined || ref.digest !== undefined) {
            throw new ValidationError("repository", `cleanup takes a repository, not one image: drop the ${ref.digest ? "digest" : "tag"} from "${positionals[0]}".`);
        }
        const deployed = await deployedDigests(values.deployed ?? [], ref.registry, ref.repository, io);
        const client = clientFromEnv(ref.registry, io.env, { insecure: values.insecure === true });
        const tags = await gatherOverview(client, ref.repository);
        const facts: DigestFacts[] = tags.map(({ tag, info }) => ({ digest: info.digest, tags: [tag], ...(info.created ? { created: info.created } : {}) }));
        const plan = planRetention(facts, deployed, { keepLast, now: new Date(), ...(minAgeMs !== undefined ? { minAgeMs } : {}) });
        const rules = { keepLast, ...(values["min-age"] ? { minAge: values["min-age"] } : {}) };
        const image = `${ref.registry}/${ref.repository}`;

        const deleted: string[] = [];
        const failed: { digest: string; error: string }[] = [];
        if (values.apply) {
            for (const p of plan.delete) {
                try {
                    await client.deleteManifest(ref.repository, p.digest);
                    deleted.push(p.digest);
                    if (!values.json) io.stderr(`deleted ${p.digest} (${p.tags.join(", ")})\n`);
                } catch (e) {
                    failed.push({ digest: p.digest, error: (e as Error).message });
                    io.stderr(`cleanup: could not delete ${p.digest}: ${(e as Error).message}\n`);
                }
            }
        }
        if (values.json) {
            const j = (p: PlannedDigest) => ({ digest: p.digest, tags: p.tags, created: p.created ?? null });
            io.stdout(`${JSON.stringify({
                image,
                applied: values.apply === true,
                rules: { keepLast, minAge: values["min-age"] ?? null },
                delete: plan.delete.map(j),
                keep: plan.keep.map((p) => ({ ...j(p), reasons: p.reasons })),
                ...(values.apply ? { deleted, failed } : {}),
            }, null, 2)}\n`);
        } else {
            io.stdout(formatPlan(ref.registry, ref.repository, plan, rules, values.apply === true));
            if (values.apply) io.stdout(`Deleted ${deleted.length} of ${plan.delete.length}. Run the registry's garbage collection to free the space.\n`);
        }
        return failed.length ? EXIT.failed : EXIT.ok;
    } catch (e) {
        if (e instanceof ValidationError) {
            io.stderr(`cleanup: ${e.message}\n`);
            return EXIT.usage;
        }
        if (e instanceof RegistryError) {
            io.stderr(`cleanup: ${e.message}\n`);
            return e.code === "NAME_UNKNOWN" ? EXIT.failed : EXIT.unavailable;
        }
        throw e;
    }
};
