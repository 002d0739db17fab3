import * as path from "node:path";
import { parseDocument } from "yaml";
import { configFromStackFile, parseConfig, ProximaEstate } from "../lib/config";
import { PROJECT, TYPES } from "../lib/contract";
import { ValidationError } from "../lib/errors";
import { shellLine } from "../lib/release/notes";
import { digestHex } from "../lib/rules/digest";
import { Command, EXIT } from "./io";
import { failedCount, formatChecks, promotionArgs, promotionUsageError, PROMOTION_OPTIONS, runPromotionChecks, writeJobSummary } from "./preflight";
import { defineCommand } from "./run";
import { formatNextSteps, nextSteps } from "./pulumi";
import { addReleaseToStackFile, loadProximaStack, releaseName, ReleaseEntry, writeAtomically } from "./stack";

const USAGE = `Usage: image-lifecycle promote --image <repository> --digest <64 hex> --tag <tag> [options]

Gives a verified digest an immutable release tag: runs the promotion checks (as preflight does),
then adds the release to image-lifecycle:releases in the proxima stack file, without touching any
other line. A dry run unless --yes. The tag itself is written by pulumi up of that release (a
server-side retag after a sandboxed smoke test), or by the promote-release workflow in CI behind
the production approval; the command prints both next steps.

  --image <repository>      e.g. rednaw/hello-world, or with the stack's registry host in front
  --digest <64 hex>         the image digest: its 64 hex digits, without the sha256: prefix
  --tag <tag>               vX.Y.Z, vX.Y.Z-rc.N, stable or latest
  --allow-non-semver        bypass the tag policy (needs --justification; recorded)
  --justification <text>    why the bypass is needed
  --smoke-command <cmd>     shell command the sanity check runs in the image (e.g. "nginx -v")
  --name <name>             the release's name in the stack file (default: <image name>-<tag>,
                            as the promote-release workflow names it, e.g. hello-world-v1-2-0)
  --yes                     write the stack file; without it, show the entry and the next steps
  --stack <name>            stack whose file to change (default: proxima)
  --file <path>             the stack file (default: ./Pulumi.<stack>.yaml)
  --insecure                plain HTTP to a registry that is not on loopback
  --json                    print JSON for scripts
  -h, --help                this help

Credentials: REGISTRY_USERNAME and REGISTRY_PASSWORD.
Exit codes: 0 ok, 1 a check failed (nothing written), 2 bad usage, input or stack file,
3 registry unreachable or answering badly.
`;

/** The `gh workflow run` line that asks CI to do the same promotion behind the approval gate. */
function workflowDispatch(image: string, entry: ReleaseEntry): string {
    return shellLine([
        "gh", "workflow", "run", "promote-release.yml", "--ref", "main",
        "-f", `image=${image}`, "-f", `digest=${entry.digest}`, "-f", `tag=${entry.tag}`,
        ...(entry.allowNonSemver ? ["-f", "allow_non_semver=true", "-f", `justification=${entry.justification ?? ""}`] : []),
    ]);
}

/** The release's URN in the proxima stack, for a targeted preview and up. */
function releaseUrn(stack: string, name: string): string {
    return `urn:pulumi:${stack}::${PROJECT}::${TYPES.release}::${name}`;
}

/** The options of `promote` (also what shell completion offers). */
export const PROMOTE_OPTIONS = {
    ...PROMOTION_OPTIONS,
    "smoke-command": { type: "string" },
    name: { type: "string" },
    yes: { type: "boolean" },
    stack: { type: "string" },
    file: { type: "string" },
} as const;

/** `image-lifecycle promote`: preflight, then the release entry in the stack file. */
export const promote: Command = defineCommand({ name: "promote", options: PROMOTE_OPTIONS, usage: USAGE, sanitise: true, hints: { address: "The registry is the proxima stack's registry.host." } }, async ({ values }, io) => {
    const bad = promotionUsageError("promote", values, USAGE, io);
    if (bad !== undefined) return bad;
    const loaded = loadProximaStack({ stack: values.stack, file: values.file });
    const host = loaded.estate.registry.host;
    // A bare repository is in the stack's registry; a named host must be that registry.
    const given = values.image!;
    const first = given.split("/")[0];
    const named = given.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
    if (named && first !== host) {
        throw new ValidationError("--image", `The image's registry ${first} is not the proxima stack's registry ${host}. Promote images of ${host} only (or give just the repository).`);
    }
    const image = named ? given : `${host}/${given}`;
    const repository = image.slice(host.length + 1);

    const run = await runPromotionChecks(promotionArgs(values, image, values.insecure === true || loaded.estate.registry.insecure), io);
    writeJobSummary(run, image, io);
    if (!run.ok) {
        if (values.json) io.stdout(`${JSON.stringify({ image, tag: run.spec.tag, digest: run.spec.digest, ok: false, checks: run.checks, written: false }, null, 2)}\n`);
        else {
            io.stdout(formatChecks(run, image, io));
            io.stdout(`Promotion stopped: ${failedCount(run)} check(s) failed. Nothing was written.\n`);
        }
        return EXIT.failed;
    }

    const entry: ReleaseEntry = {
        repository,
        digest: run.spec.digest,
        tag: run.spec.tag,
        ...(values["allow-non-semver"] ? { allowNonSemver: true } : {}),
        ...(values.justification !== undefined ? { justification: values.justification } : {}),
        ...(values["smoke-command"] !== undefined ? { smokeCommand: values["smoke-command"] } : {}),
    };
    const name = values.name ?? releaseName(repository, entry.tag);
    const same = loaded.estate.releases.find((r) => r.repository === repository && r.tag === entry.tag);
    if (same) {
        io.stderr(`promote: the stack file already has release "${same.name}" for ${image}:${entry.tag} (digest ${digestHex(same.digest)}). A tag is promoted once; choose a new tag.\n`);
        return EXIT.failed;
    }
    const { text: out, added } = addReleaseToStackFile(loaded.text, name, entry);
    // The edited file must still be a valid proxima stack (the same parser the program runs).
    parseConfig(configFromStackFile(parseDocument(out).toJS()), "proxima") as ProximaEstate;
    const urn = releaseUrn(loaded.stack, name);
    const dispatch = workflowDispatch(image, entry);
    if (values.yes) writeAtomically(loaded.file, out);
    if (values.json) {
        io.stdout(`${JSON.stringify({
            image, tag: entry.tag, digest: entry.digest, ok: true, checks: run.checks, name, entry, file: loaded.file, written: values.yes === true,
            next: nextSteps(loaded.stack, loaded.root, io.env, { target: urn }), ci: dispatch,
        }, null, 2)}\n`);
        return EXIT.ok;
    }
    io.stdout(formatChecks(run, image, io));
    const base = path.basename(loaded.file);
    io.stdout(values.yes ? `\nAdded release ${name} to ${base}:\n` : `\nWould add release ${name} to ${base} (re-run with --yes to write it):\n`);
    io.stdout(`${added}\n\n`);
    io.stdout(formatNextSteps(loaded.stack, loaded.root, io.env, { target: urn }));
    io.stdout(`Or in CI, behind the production approval (the workflow adds the same entry itself):\n  ${dispatch}\n`);
    return EXIT.ok;
});
