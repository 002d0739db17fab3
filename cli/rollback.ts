import * as path from "node:path";
import { AppConfig } from "../lib/config";
import { shortDigest } from "../lib/rules/digest";
import { formatCreated, imageLine, truncate } from "../lib/format/overview";
import { printable } from "../lib/format/text";
import { displayWidth, padEndToWidth } from "../lib/format/text-width";
import { CliIO, Command, EXIT, OUTPUT_OPTIONS, REGISTRY_OPTIONS, usageError } from "./io";
import { defineCommand } from "./run";
import { appImages, Candidate, findApp, switchApp } from "./switch";
import { loadProximaStack } from "./stack";

// Kept importable from here: the Pulumi commands rollback prints began here.
export { configPath, pulumiCommands } from "./stack";

const USAGE = `Usage: image-lifecycle rollback <app> [options]

Lists the digests of an app's image (newest first, → on the one the stack config runs now) and,
with --to, switches the app in the stack config to an earlier one. Rolling back is deploying an
earlier digest ("image-lifecycle deploy" does the same in either direction).

  <app>                 an app under image-lifecycle:apps in the stack file
  --stack <name>        stack whose file to read and change (default: proxima)
  --file <path>         the stack file (default: ./Pulumi.<stack>.yaml)
  --to <tag|digest>     the image to roll back to: a tag, or a digest as sha256:<hex> or bare hex,
                        all 64 digits or at least 12 of them
  --yes                 make the change; without it, show what would change and the commands
  --registry <host[:port]>  ask this registry instead of the stack's registry.host
  --insecure            plain HTTP to a registry that is not on loopback
  --json                print JSON for scripts instead of the table
  -h, --help            this help

Making the change: --yes replaces only the app's digest: and tag: lines of the stack file (comments
and layout kept; the file is replaced atomically) and prints the equivalent Pulumi CLI commands, e.g.
  pulumi config set --stack <stack> --path --type string 'apps.<app>.digest' <digest>
(which would also reformat the file). Then it prints the next step: pulumi preview and pulumi up with
--policy-pack policy, on npm start's state (PULUMI_BACKEND_URL, default file://<project>/.pulumi-state;
empty passphrase unless PULUMI_CONFIG_PASSPHRASE is set).

CREATED is the image's org.opencontainers.image.created label, shown in UTC.
Credentials: REGISTRY_USERNAME and REGISTRY_PASSWORD.
Exit codes: 0 ok (or already on that image), 1 the --to image is not in the registry, 2 bad usage
or stack config, 3 registry unreachable or answering badly.
`;

/** Rollback's own options; deploy takes the same. */
export const SWITCH_OPTIONS = {
    stack: { type: "string" },
    file: { type: "string" },
    to: { type: "string" },
    yes: { type: "boolean" },
    ...REGISTRY_OPTIONS,
    ...OUTPUT_OPTIONS,
} as const;

/** The digests of one app's image; descriptions are cut to the terminal's width only on a terminal. */
function formatTable(app: AppConfig, registry: string, candidates: Candidate[], io: CliIO): string {
    const rows = candidates.map((c) => ({
        mark: c.current ? "→" : " ",
        digest: shortDigest(c.digest),
        tags: c.tags.join(",") || "-",
        created: formatCreated(c.created),
        description: printable(c.description ?? ""),
    }));
    const w = {
        digest: Math.max(6, ...rows.map((r) => r.digest.length)),
        tags: Math.max(4, ...rows.map((r) => displayWidth(r.tags))),
        created: Math.max(7, ...rows.map((r) => r.created.length)),
    };
    const fixed = 2 + w.digest + 2 + w.tags + 2 + w.created + 2;
    const room = io.isTTY && io.columns ? Math.max(10, io.columns - fixed) : Infinity;
    const line = (mark: string, d: string, t: string, c: string, desc: string) =>
        `${mark} ${d.padEnd(w.digest)}  ${padEndToWidth(t, w.tags)}  ${c.padEnd(w.created)}  ${truncate(desc, room)}`.trimEnd();
    return [
        imageLine(app.repository),
        `APP: ${app.name} (class ${app.class}), registry ${registry}`,
        "",
        line(" ", "DIGEST", "TAGS", "CREATED", "DESCRIPTION"),
        line(" ", "------", "----", "-------", "-----------"),
        ...rows.map((r) => line(r.mark, r.digest, r.tags, r.created, r.description)),
        "",
    ].join("\n");
}

export const rollback: Command = defineCommand({ name: "rollback", options: SWITCH_OPTIONS, usage: USAGE, positional: "app", sanitise: true }, async ({ values, positionals }, io) => {
    if (values.yes && !values.to) return usageError("rollback", "--yes needs --to <tag|digest>: say which image to roll back to.", USAGE, io);
    const loaded = loadProximaStack({ stack: values.stack, file: values.file });
    const app = findApp(loaded, positionals[0]);
    const images = await appImages(loaded, app, io, { registry: values.registry, insecure: values.insecure });

    if (!values.to) {
        if (values.json) io.stdout(`${JSON.stringify({ app: app.name, stack: loaded.stack, image: images.image, current: images.current ?? null, candidates: images.candidates }, null, 2)}\n`);
        else io.stdout(`${formatTable(app, images.registry, images.candidates, io)}\nRoll back with: image-lifecycle rollback ${app.name} --to <tag|digest> --yes${loaded.file === path.resolve(`Pulumi.${loaded.stack}.yaml`) ? "" : ` --file ${loaded.file}`}\n`);
        return EXIT.ok;
    }
    return switchApp({ command: "rollback", loaded, app, images, to: values.to, yes: values.yes === true, json: values.json === true }, io);
});
