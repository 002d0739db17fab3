/**
 * The audit record of one release (stack output `releases.<name>` and the JSON record file beside its
 * release notes): its shape, how it is built from a promotion's outcome, and where and how it is written.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CheckId } from "./checks";
import type { PromotionOutcome } from "./promotion";
import type { ReleaseSpec, SignatureRecord } from "./spec";

/** Who is promoting: GitHub's actor in Actions, else the login name. */
export function promotedBy(env: NodeJS.ProcessEnv): string {
    return env.GITHUB_ACTOR || env.USER || env.LOGNAME || "unknown";
}

/** The audit record of one release (stack output `releases.<name>` and the JSON record file). */
export interface ReleaseRecord {
    image: string;
    tag: string;
    /** `sha256:…`. */
    digest: string;
    mediaType: string;
    promotedBy: string;
    /** ISO 8601. */
    promotedAt: string;
    preflight: { check: CheckId; ok: boolean; message?: string }[];
    sanity: { ran: boolean; ok: boolean; reason?: string; output?: string; command?: string };
    /** Set when the tag policy was bypassed. */
    bypass?: { allowNonSemver: true; justification: string };
    /** Set when destroy may delete the tag. */
    breakGlass?: { deleteTagOnDestroy: true; reason: string };
    /** GitHub Actions run URL when known. */
    run?: string;
    /** Set when this run found the tag already on the digest (an earlier run wrote it) and finished the promotion. */
    resumed?: true;
    /** Set when the release was signed (and the signature verified on tag and digest). */
    signature?: SignatureRecord;
}

/** Builds the record; pure. */
export function buildRecord(input: {
    spec: Pick<ReleaseSpec, "registry" | "repository" | "tag" | "allowNonSemver" | "justification">;
    outcome: Pick<PromotionOutcome, "digest" | "mediaType" | "checks" | "sanity"> & { resumed?: boolean };
    env: NodeJS.ProcessEnv;
    at: Date;
    smokeCommand?: string;
    deleteTagOnDestroy?: { reason: string };
}): ReleaseRecord {
    const { spec, outcome, env } = input;
    const record: ReleaseRecord = {
        image: `${spec.registry}/${spec.repository}`,
        tag: spec.tag,
        digest: outcome.digest,
        mediaType: outcome.mediaType,
        promotedBy: promotedBy(env),
        promotedAt: input.at.toISOString(),
        preflight: outcome.checks.map((c) => ({ check: c.id, ok: c.ok, ...(c.message ? { message: c.message } : {}) })),
        sanity: outcome.sanity
            ? {
                  ran: !outcome.sanity.skipped,
                  ok: outcome.sanity.ok,
                  ...(outcome.sanity.reason ? { reason: outcome.sanity.reason } : {}),
                  ...(outcome.sanity.output !== undefined ? { output: outcome.sanity.output } : {}),
                  ...(input.smokeCommand ? { command: input.smokeCommand } : {}),
              }
            : { ran: false, ok: true, reason: "no smokeCommand configured" },
    };
    if (input.outcome.resumed) record.resumed = true;
    if (spec.allowNonSemver && spec.justification) record.bypass = { allowNonSemver: true, justification: spec.justification };
    if (input.deleteTagOnDestroy) record.breakGlass = { deleteTagOnDestroy: true, reason: input.deleteTagOnDestroy.reason };
    if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
        record.run = `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
    }
    return record;
}

/** `<root>/<registry with ":" as "_">/<repository>/<tag>.json`: one file per promoted tag. */
export function recordPath(root: string, spec: Pick<ReleaseSpec, "registry" | "repository" | "tag">, suffix = ""): string {
    return `${root.replace(/\/+$/, "")}/${spec.registry.replace(/:/g, "_")}/${spec.repository}/${spec.tag}${suffix}.json`;
}

/** Writes JSON atomically (temp file + rename), creating directories. */
export function writeRecordFile(file: string, value: unknown): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n");
    fs.renameSync(tmp, file);
}

/** Where the notes of the record file `file` go: beside it, `.md` for `.json`. */
export function notesPath(file: string): string {
    return file.replace(/\.json$/, ".md");
}

/** Writes the release notes beside the record file `recordFile`. */
export function writeNotesFile(recordFile: string, notes: string): void {
    fs.writeFileSync(notesPath(recordFile), notes);
}

/** Where records go: IMAGE_LIFECYCLE_RECORDS_DIR, default `records/promotions` under the program directory. */
export function recordsRoot(env: NodeJS.ProcessEnv): string {
    return env.IMAGE_LIFECYCLE_RECORDS_DIR || "records/promotions";
}
