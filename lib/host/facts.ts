/**
 * What a class host says about itself, gathered in one SSH connection per host: every container its
 * engine has (inspected: labels, state, health, start time, restarts, image and its repo digests), and
 * every app's deploy record and deploy history under `/opt/<org>/`. The script is built here, run with
 * the same OpenSSH client and options the stack uses for that host (host keys always checked), and its
 * output parsed into {@link HostFacts} for lib/rules/drift.ts.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { NAMES } from "../contract";
import { parseDeployRecord } from "../rules/deploy-record";
import { parseDeployHistory } from "../rules/deploy-history";
import { HostFacts } from "../rules/drift";
import { isFullDigest } from "../rules/reference";
import { shellLine } from "../release/notes";
import { FORCED_SSH_OPTIONS, sshTarget } from "./ssh";

/** How many history lines are read per app: the newest ones; the file is bounded by its writer too. */
export const HISTORY_LINES = 500;

const SAFE_ORG = /^[A-Za-z0-9._-]+$/;

/**
 * The one script that gathers a host's facts. Sections start with `marker` lines (a fresh random
 * marker per run, so no file content can fake a section); docker's own failure is its own section.
 */
export function factsScript(org: string, marker: string): string {
    if (!SAFE_ORG.test(org) || org.startsWith(".")) throw new Error(`Refusing org "${org}" in a host path: expected letters, digits, . _ and -.`);
    if (!/^@@[0-9a-f]{16,}$/.test(marker)) throw new Error("The section marker must be @@ and hex digits.");
    const [dir, record, history] = [NAMES.orgDir(org), NAMES.deployRecordFile, NAMES.deployHistoryFile];
    return [
        "set -u",
        `m='${marker}'`,
        `printf '%s now %s\\n' "$m" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"`,
        "if ids=$(docker ps -aq --no-trunc 2>&1); then",
        `  printf '%s containers\\n' "$m"`,
        // IDs are hex: splitting them into words is what is wanted.
        "  if [ -n \"$ids\" ]; then docker inspect $ids 2>/dev/null; else echo '[]'; fi",
        `  printf '%s images\\n' "$m"`,
        "  if [ -n \"$ids\" ]; then",
        "    imgs=$(docker inspect -f '{{.Image}}' $ids 2>/dev/null | sort -u)",
        "    if [ -n \"$imgs\" ]; then docker image inspect -f '{{.Id}} {{range .RepoDigests}}{{.}} {{end}}' $imgs 2>/dev/null; fi",
        "  fi",
        "else",
        `  printf '%s docker-error\\n' "$m"`,
        `  printf '%s\\n' "$ids"`,
        "fi",
        `for d in '${dir}'/*/; do`,
        '  app=$(basename "$d")',
        `  if [ -f "\${d}${record}" ]; then printf '%s record %s\\n' "$m" "$app"; cat "\${d}${record}"; echo; fi`,
        `  if [ -f "\${d}${history}" ]; then printf '%s history %s\\n' "$m" "$app"; tail -n ${HISTORY_LINES} "\${d}${history}"; echo; fi`,
        "done",
        `printf '%s end\\n' "$m"`,
    ].join("\n") + "\n";
}

/** A fresh section marker. */
export function newMarker(): string {
    return `@@${randomBytes(12).toString("hex")}`;
}

interface Inspected {
    Id?: string;
    Name?: string;
    Image?: string;
    Created?: string;
    RestartCount?: number;
    State?: { Status?: string; StartedAt?: string; Health?: { Status?: string } };
    Config?: { Image?: string; Labels?: Record<string, string> | null };
}

/** The repository of an image reference (`host/repo:tag`, `host/repo@sha256:…`), without tag or digest. */
function repositoryOf(ref: string): string {
    const noDigest = ref.split("@")[0];
    const slash = noDigest.lastIndexOf("/");
    const colon = noDigest.lastIndexOf(":");
    return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** The digest a container runs: its pinned reference's, else the repo digest of its image in the same repository. */
function runningDigest(configImage: string, repoDigests: readonly string[]): string | undefined {
    const pinned = configImage.split("@")[1];
    if (pinned && isFullDigest(pinned)) return pinned;
    const repo = repositoryOf(configImage);
    const same = repoDigests.find((r) => repositoryOf(r) === repo) ?? (repoDigests.length === 1 ? repoDigests[0] : undefined);
    const d = same?.split("@")[1];
    return d && isFullDigest(d) ? d : undefined;
}

/** Parses the script's output; a host whose docker failed is reported as not answering. */
export function parseFacts(output: string, marker: string, where: string): HostFacts | { unreachable: string } {
    const sections: { head: string; body: string[] }[] = [];
    for (const line of output.split("\n")) {
        if (line.startsWith(`${marker} `)) sections.push({ head: line.slice(marker.length + 1), body: [] });
        else sections.at(-1)?.body.push(line);
    }
    if (!sections.some((s) => s.head === "end")) return { unreachable: `the facts script on ${where} stopped before its end` };
    const docker = sections.find((s) => s.head === "docker-error");
    if (docker) return { unreachable: `docker on ${where} failed: ${docker.body.join(" ").trim().slice(0, 300)}` };
    const facts: HostFacts = { containers: [], records: {}, histories: {} };
    const repoDigests = new Map<string, string[]>();
    for (const line of sections.find((s) => s.head === "images")?.body ?? []) {
        const [id, ...digests] = line.trim().split(/\s+/);
        if (id) repoDigests.set(id, digests);
    }
    for (const s of sections) {
        const [kind, app] = [s.head.split(" ")[0], s.head.slice(s.head.indexOf(" ") + 1)];
        const text = s.body.join("\n");
        if (kind === "now") facts.now = app;
        else if (kind === "containers") {
            let list: Inspected[];
            try {
                list = JSON.parse(text.trim() || "[]") as Inspected[];
            } catch {
                return { unreachable: `docker inspect on ${where} printed something that is not JSON` };
            }
            for (const c of list) {
                const image = c.Config?.Image ?? "";
                const digest = runningDigest(image, repoDigests.get(c.Image ?? "") ?? []);
                const health = c.State?.Health?.Status;
                facts.containers.push({
                    id: c.Id ?? "",
                    name: (c.Name ?? "").replace(/^\//, ""),
                    image,
                    ...(digest ? { digest } : {}),
                    labels: c.Config?.Labels ?? {},
                    state: c.State?.Status ?? "unknown",
                    ...(health ? { health } : {}),
                    ...(c.State?.StartedAt && !c.State.StartedAt.startsWith("0001-") ? { startedAt: c.State.StartedAt } : {}),
                    restartCount: c.RestartCount ?? 0,
                });
            }
        } else if (kind === "record") {
            try {
                facts.records[app] = { record: parseDeployRecord(text, `${where}:${app}/deploy-info.yml`) };
            } catch (e) {
                facts.records[app] = { error: (e as Error).message };
            }
        } else if (kind === "history") {
            const h = parseDeployHistory(text);
            facts.histories[app] = { entries: h.entries, skipped: h.skipped.length };
        }
    }
    return facts;
}

/** A host of the stack as the CLI reaches it: the class endpoint and its ssh options. */
export interface HostAddress {
    endpoint: string;
    sshOpts: readonly string[];
}

/**
 * Runs the facts script on one host in one `ssh` connection (BatchMode; the host key always checked,
 * whatever the options or ~/.ssh/config say). Resolves to the facts, or to why the host did not answer.
 */
export function gatherFacts(host: HostAddress, org: string, timeoutMs = 60000): Promise<HostFacts | { unreachable: string }> {
    const marker = newMarker();
    let destination: string;
    let port: number;
    try {
        ({ destination, port } = sshTarget(host.endpoint));
    } catch (e) {
        return Promise.resolve({ unreachable: (e as Error).message });
    }
    const args = [...FORCED_SSH_OPTIONS, ...host.sshOpts, "-o", "ConnectTimeout=10", "-p", String(port), destination, "--", shellLine(["sh", "-c", factsScript(org, marker)])];
    return new Promise((resolve) => {
        const child = spawn("ssh", args, { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.stdout.on("data", (d: Buffer) => { stdout += d.toString("utf8"); });
        child.stderr.on("data", (d: Buffer) => { stderr += d.toString("utf8"); });
        child.on("error", (e) => {
            clearTimeout(timer);
            resolve({ unreachable: `cannot run ssh (${e.message}). Install the OpenSSH client.` });
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            if (code === 0) return resolve(parseFacts(stdout, marker, host.endpoint));
            const why = stderr.trim().split("\n").slice(-3).join(" ").trim() || (signal ? `killed after ${timeoutMs / 1000}s` : `ssh exit ${code}`);
            resolve({ unreachable: `${host.endpoint} did not answer: ${why}. Check that the host is up, that its host key is in known_hosts and that the key in sshOpts may log in.` });
        });
    });
}
