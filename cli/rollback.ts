import * as path from "node:path";
import { AppConfig } from "../lib/config";
import { shortDigest } from "../lib/rules/digest";
import { formatCreated, imageLine, truncate } from "../lib/format/overview";
import { printable } from "../lib/format/text";
import { displayWidth, padEndToWidth } from "../lib/format/text-width";
import { CliIO, Command, EXIT, OUTPUT_OPTIONS, REGISTRY_OPTIONS, usageError } from "./io";
import { defineCommand } from "./run";
import { appImages, Candidate, findApp, switchApp } from "./switch";
import { LoadedStack, loadProximaStack } from "./stack";
import { DeployHistoryEntry } from "../lib/contract";
import { digestsRan, previousVerified, RanDigest } from "../lib/rules/deploy-history";
import { gatherFacts } from "../lib/host/facts";
import { CommandFailed } from "./run";

// Kept importable from here: the Pulumi commands rollback prints began here.
export { configPath, pulumiCommands } from "./stack";

const USAGE = `Usage: image-lifecycle rollback <app> [options]

Lists the digests the app actually ran, from the deploy history on its class host (newest first,
when, by whom, and how each deploy ended; → on what runs now), then the other digests of its image
in the registry (newest first, → on the one the stack config runs now). With --to or --previous it
switches the app in the stack config to an earlier one. Rolling back is deploying an earlier digest
("image-lifecycle deploy" does the same in either direction).

  <app>                 an app under image-lifecycle:apps in the stack file
  --stack <name>        stack whose file to read and change (default: proxima)
  --file <path>         the stack file (default: ./Pulumi.<stack>.yaml)
  --to <tag|digest>     the image to roll back to: a tag, or a digest as sha256:<hex> or bare hex,
                        all 64 digits or at least 12 of them
  --previous            the last digest the host's history says was verified that is not what runs
                        now (read over ssh from the class host, as status does)
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
Exit codes: 0 ok (or already on that image), 1 the --to image is not in the registry, or --previous
finds no earlier verified deploy, 2 bad usage or stack config, 3 registry unreachable or answering
badly, or --previous cannot read the class host.
`;

/** The options of deploy, which rollback shares. */
export const SWITCH_OPTIONS = {
    stack: { type: "string" },
    file: { type: "string" },
    to: { type: "string" },
    yes: { type: "boolean" },
    ...REGISTRY_OPTIONS,
    ...OUTPUT_OPTIONS,
} as const;

/** Rollback's flags: deploy's, and --previous (the history knows what ran before; deploy goes anywhere). */
export const ROLLBACK_OPTIONS = { ...SWITCH_OPTIONS, previous: { type: "boolean" } } as const;

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

/** What the app's class host says it ran: its history (oldest first) and the digest running now. */
type HostHistory = { running?: string; entries: DeployHistoryEntry[] } | { unreachable: string };

/** Reads the app's history and running digest from its class host, in one ssh connection. */
async function hostHistory(loaded: LoadedStack, app: AppConfig): Promise<HostHistory> {
    const cls = loaded.estate.classes[app.class];
    if (!cls) return { unreachable: `class ${app.class} has no host in ${loaded.file}` };
    const facts = await gatherFacts({ endpoint: cls.host, sshOpts: cls.sshOpts }, loaded.estate.org);
    if ("unreachable" in facts) return facts;
    const container = facts.containers.find((c) => c.name === app.name);
    const rec = facts.records[app.name];
    const running = container?.digest ?? (rec && "record" in rec ? rec.record.digest : undefined);
    return { ...(running ? { running } : {}), entries: facts.histories[app.name]?.entries ?? [] };
}

/** The digests the app ran, newest first: when, by whom, how it ended, its tags now. */
function formatHistory(ran: RanDigest[], running: string | undefined, candidates: Candidate[], cls: string): string {
    if (ran.length === 0) return `RAN ON ${cls}: no deploy history on the host yet\n\n`;
    const rows = ran.map((r) => ({
        mark: r.digest === running ? "→" : " ",
        digest: shortDigest(r.digest),
        tags: (candidates.find((c) => c.digest === r.digest)?.tags.join(",") || r.last.tag) ?? "-",
        at: formatCreated(r.last.at),
        by: printable(r.last.by),
        outcome: `${r.last.outcome}${r.times > 1 ? ` (${r.times} deploys)` : ""}${r.last.detail ? `: ${printable(r.last.detail)}` : ""}`,
    }));
    const w = {
        digest: Math.max(6, ...rows.map((r) => r.digest.length)),
        tags: Math.max(4, ...rows.map((r) => displayWidth(r.tags))),
        at: Math.max(8, ...rows.map((r) => r.at.length)),
        by: Math.max(2, ...rows.map((r) => displayWidth(r.by))),
    };
    const line = (m: string, d: string, t: string, a: string, b: string, o: string) => `${m} ${d.padEnd(w.digest)}  ${padEndToWidth(t, w.tags)}  ${a.padEnd(w.at)}  ${padEndToWidth(b, w.by)}  ${o}`.trimEnd();
    return [
        `RAN ON ${cls} (the host's deploy history, newest first; → runs now)`,
        line(" ", "DIGEST", "TAGS", "DEPLOYED", "BY", "OUTCOME"),
        line(" ", "------", "----", "--------", "--", "-------"),
        ...rows.map((r) => line(r.mark, r.digest, r.tags, r.at, r.by, r.outcome)),
        "",
        "",
    ].join("\n");
}

export const rollback: Command = defineCommand({ name: "rollback", options: ROLLBACK_OPTIONS, usage: USAGE, positional: "app", sanitise: true }, async ({ values, positionals }, io) => {
    if (values.to && values.previous) return usageError("rollback", "--to and --previous both say which image: give one.", USAGE, io);
    if (values.yes && !values.to && !values.previous) return usageError("rollback", "--yes needs --to <tag|digest> or --previous: say which image to roll back to.", USAGE, io);
    const loaded = loadProximaStack({ stack: values.stack, file: values.file });
    const app = findApp(loaded, positionals[0]);
    const [images, history] = await Promise.all([
        appImages(loaded, app, io, { registry: values.registry, insecure: values.insecure }),
        values.to ? undefined : hostHistory(loaded, app),
    ]);
    const fileArgs = loaded.file === path.resolve(`Pulumi.${loaded.stack}.yaml`) ? "" : ` --file ${loaded.file}`;

    if (values.previous) {
        if (!history || "unreachable" in history) throw new CommandFailed(EXIT.unavailable, `Cannot read ${app.name}'s deploy history from its ${app.class} host: ${history?.unreachable}`);
        const running = history.running ?? images.current;
        const back = previousVerified(history.entries, running);
        if (!back) {
            io.stderr(`rollback: ${app.name}'s deploy history on its ${app.class} host has no verified deploy other than what runs now (${running ? shortDigest(running) : "nothing"}). Run "image-lifecycle rollback ${app.name}${fileArgs}" to list the registry's builds, then pass --to.\n`);
            return EXIT.failed;
        }
        if (!values.json) io.stdout(`The last verified deploy before ${running ? shortDigest(running) : "what runs now"}: ${back.digest}${back.tag ? ` (tag ${back.tag})` : ""}, deployed ${formatCreated(back.at)} by ${printable(back.by)}.\n`);
        return switchApp({ command: "rollback", loaded, app, images, to: back.digest, yes: values.yes === true, json: values.json === true }, io);
    }
    if (!values.to) {
        const known = history && !("unreachable" in history) ? history : undefined;
        if (history && "unreachable" in history) io.stderr(`note: the deploy history of ${app.name} could not be read from its ${app.class} host (${history.unreachable}); listing the registry's builds only.\n`);
        const ran = digestsRan(known?.entries ?? []);
        const others = images.candidates.filter((c) => !ran.some((r) => r.digest === c.digest));
        if (values.json) {
            const ranJson = ran.map((r) => ({ digest: r.digest, tags: images.candidates.find((c) => c.digest === r.digest)?.tags ?? [], tag: r.last.tag ?? null, at: r.last.at, by: r.last.by, outcome: r.last.outcome, detail: r.last.detail ?? null, description: r.last.description ?? null, deploys: r.times, running: r.digest === known?.running }));
            io.stdout(`${JSON.stringify({ app: app.name, stack: loaded.stack, image: images.image, current: images.current ?? null, running: known?.running ?? null, history: known ? ranJson : null, candidates: images.candidates }, null, 2)}\n`);
        } else {
            const head = formatTable(app, images.registry, others, io);
            const [title, ...rest] = head.split("\n");
            const registryPart = rest.slice(2).join("\n");
            io.stdout(`${title}\n${rest[0]}\n\n${known ? formatHistory(ran, known.running, images.candidates, app.class) : ""}${ran.length ? "OTHER BUILDS IN THE REGISTRY (newest first; → the stack config's)\n" : ""}${registryPart}\nRoll back with: image-lifecycle rollback ${app.name} --to <tag|digest> --yes${fileArgs}${ran.length ? `, or --previous --yes for the last verified deploy` : ""}\n`);
        }
        return EXIT.ok;
    }
    return switchApp({ command: "rollback", loaded, app, images, to: values.to, yes: values.yes === true, json: values.json === true }, io);
});
