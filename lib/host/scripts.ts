/**
 * Scripts the program runs on a class host over SSH (the deploy record, the verification), the inputs
 * of the resource that runs them (which the policy pack reads), and how an endpoint becomes an `ssh`
 * destination. Engine-free, shared by both sides.
 */

import { HostScriptRole, KINDS } from "../contract";

/** Inputs of a host script resource, as policies see them in `props`. */
export interface HostScriptInputs {
    kind: typeof KINDS.hostScript;
    role: HostScriptRole;
    /** The host's Docker endpoint, `ssh://user@host[:port]`: the script runs there. */
    endpoint: string;
    /** Options for the `ssh` client, as the class's Docker endpoint uses them. */
    sshOpts: string[];
    /** POSIX shell script run with `sh -c` on the host. */
    script: string;
    /** Standard input of the script (the record's content), never interpolated into the script. */
    stdin?: string;
    /** The path a deploy record writes. */
    recordPath?: string;
    /** Values whose change reruns the script (a new container, a new digest). */
    triggers: string[];
}

/** `ssh` arguments for an endpoint `ssh://user@host[:port]`, or an error that says what to write instead. */
export function sshTarget(endpoint: string): { destination: string; port: number } {
    let url: URL;
    try {
        url = new URL(endpoint);
    } catch {
        throw new Error(`Cannot reach host "${endpoint}": not a URL. Use ssh://user@host[:port] as the class host.`);
    }
    if (url.protocol !== "ssh:" || !url.hostname || !url.username || url.pathname.replace(/^\/+/, "") !== "") {
        throw new Error(`Cannot derive an SSH connection from "${endpoint}". Use ssh://user@host[:port] as the class host.`);
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    return { destination: `${decodeURIComponent(url.username)}@${host}`, port: url.port ? Number(url.port) : 22 };
}

/** Stand-in for the deploy time in the rendered record; the host replaces it when it writes the file. */
export const DEPLOYED_AT_PLACEHOLDER = "@DEPLOYED_AT@";

const SAFE_PATH = /^\/[A-Za-z0-9._/-]+$/;

/**
 * The shell script that writes the deploy record: content on stdin (never interpolated into the
 * script, so a commit subject is never executed), written to a temp file beside the target and
 * renamed over it, so readers see the old or the new record, never half of one.
 */
export function deployRecordScript(recordPath: string): string {
    if (!SAFE_PATH.test(recordPath) || recordPath.includes("..")) {
        throw new Error(`Refusing deploy record path "${recordPath}": expected an absolute path of letters, digits, . _ - and /.`);
    }
    const dir = recordPath.slice(0, recordPath.lastIndexOf("/"));
    return [
        "set -eu",
        `dir='${dir}'`,
        `target='${recordPath}'`,
        'mkdir -p "$dir"',
        'tmp=$(mktemp "$dir/.deploy-info.yml.XXXXXX")',
        "trap 'rm -f \"$tmp\"' EXIT",
        "now=$(date -u +%Y-%m-%dT%H:%M:%SZ)",
        `sed "s/^deployed_at: \\"${DEPLOYED_AT_PLACEHOLDER}\\"\\$/deployed_at: \\"$now\\"/" > "$tmp"`,
        'chmod 0644 "$tmp"',
        'mv -f "$tmp" "$target"',
        "trap - EXIT",
    ].join("\n") + "\n";
}

/** The shortest wait of the verification, and the whole wait of a container without a healthcheck. */
export const VERIFY_MIN_SECONDS = 120;

const DURATION_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Seconds of a stack duration such as `30s`, `500ms`, `5m` (the config accepts only these forms). */
function durationSeconds(text: string): number {
    const m = /^([0-9]+)(ms|s|m|h)$/.exec(text);
    if (!m) throw new Error(`Refusing duration "${text}": expected a number and ms, s, m or h.`);
    return Number(m[1]) * DURATION_SECONDS[m[2]];
}

/**
 * How long the verification waits: long enough for Docker to call a healthy container healthy, or an
 * unhealthy one unhealthy — the start period, then every retry (interval plus timeout each) — plus the
 * three steady checks, and never less than {@link VERIFY_MIN_SECONDS}. A fixed 120 s failed every app
 * whose healthcheck needs longer, however healthy it was.
 */
export function verifyWaitSeconds(healthcheck?: { interval: string; timeout: string; retries: number; startPeriod: string }): number {
    if (!healthcheck) return VERIFY_MIN_SECONDS;
    const needed = durationSeconds(healthcheck.startPeriod) + healthcheck.retries * (durationSeconds(healthcheck.interval) + durationSeconds(healthcheck.timeout)) + 3;
    return Math.max(VERIFY_MIN_SECONDS, Math.ceil(needed));
}

/**
 * The verification: the container runs, and is healthy when it has a healthcheck, and stays so for
 * `steady` consecutive checks a second apart with the same start time — a container in a restart loop
 * is "running" for moments between crashes and must not pass. Waits up to `seconds`.
 */
export function verifyScript(containerName: string, healthcheck: boolean, seconds = VERIFY_MIN_SECONDS, steady = 3): string {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(containerName)) throw new Error(`Refusing container name "${containerName}" in a shell script.`);
    // An image may bring its own HEALTHCHECK; without one configured, "healthy" is accepted too.
    const accept = healthcheck ? `"running healthy"` : `"running healthy"|"running "`;
    return [
        "set -u",
        `name='${containerName}'`,
        "got=''",
        "seen=''",
        "same=0",
        "i=0",
        `while [ "$i" -lt ${seconds} ]; do`,
        `  out=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.State.StartedAt}} {{.RestartCount}}' "$name" 2>/dev/null || true)`,
        `  got=\${out%%|*}`,
        `  case "$got" in`,
        `    ${accept})`,
        `      if [ "\${out#*|}" = "$seen" ]; then same=$((same+1)); else same=1; seen=\${out#*|}; fi`,
        `      if [ "$same" -ge ${steady} ]; then echo "$name: $got"; exit 0; fi ;;`,
        `    *) same=0; seen='' ;;`,
        `  esac`,
        "  i=$((i+1)); sleep 1",
        "done",
        `echo "$name is not ${healthcheck ? "running and healthy" : "steadily running"} after ${seconds}s (state: $got). Check: docker logs $name" >&2`,
        "exit 1",
    ].join("\n") + "\n";
}
