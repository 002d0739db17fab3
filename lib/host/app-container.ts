/**
 * A Proxima app's container as the product runs it on its class host: every setting in one spec, the
 * spec's hash (a label on the container, so the host says which settings it runs), the `docker create`
 * arguments, and the one script that makes the host run the spec — replacing the container only after
 * setting the old one aside, and putting the old one back when the new one fails verification (ADR 0055).
 * Engine-free: the component and its tests use it alike.
 */
import { createHash } from "node:crypto";
import { LIFECYCLE, NAMES } from "../contract";
import { shellLine } from "../release/notes";
import { durationSeconds } from "../rules/docker-values";

/** Everything a container is created with. A change to any of it replaces the container. */
export interface AppContainerSpec {
    /** Container name: the app's name. */
    name: string;
    /** `host[:port]/repository@sha256:…`. */
    image: string;
    /** Labels, sorted by key when hashed. */
    labels: Record<string, string>;
    env: string[];
    /** Sent explicitly (the configured command, else the image's `Cmd`); none leaves the image's. */
    command?: string[];
    ports: { internal: number; external: number; protocol: string }[];
    volumes: { volumeName: string; containerPath: string; readOnly: boolean }[];
    network: string;
    memoryMb: number;
    /** CPUs as a decimal string (`"0.5"`, `"1.0"`). */
    cpus: string;
    restart: string;
    healthcheck?: { test: string[]; interval: string; timeout: string; retries: number; startPeriod: string };
    logOpts: Record<string, string>;
}

/** The short hash of a spec that goes on the container as `image-lifecycle.spec`. */
export function specHash(spec: AppContainerSpec): string {
    return createHash("sha256").update(canonicalJson(spec)).digest("hex").slice(0, 24);
}

/**
 * JSON with every object's keys sorted and undefined fields left out: the engine hands inputs back as
 * protobuf structs, whose keys come sorted, so the hash must not depend on key order.
 */
export function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/** `docker create` arguments for the spec (the spec's hash among the labels). */
export function dockerCreateArgs(spec: AppContainerSpec): string[] {
    if (!NAME.test(spec.name)) throw new Error(`Refusing container name "${spec.name}": expected lowercase letters, digits and dashes.`);
    const args = ["create", "--name", spec.name, "--pull", "never", "--network", spec.network];
    const labels: Record<string, string> = { ...spec.labels, [LIFECYCLE.spec]: specHash(spec) };
    for (const key of Object.keys(labels).sort()) args.push("--label", `${key}=${labels[key]}`);
    for (const e of spec.env) args.push("--env", e);
    for (const p of spec.ports) args.push("--publish", `${p.external}:${p.internal}/${p.protocol}`);
    for (const v of spec.volumes) args.push("--mount", `type=volume,source=${v.volumeName},target=${v.containerPath}${v.readOnly ? ",readonly" : ""}`);
    // Swap capped at the limit: no swap on top of the memory limit.
    args.push("--memory", `${spec.memoryMb}m`, "--memory-swap", `${spec.memoryMb}m`, "--cpus", spec.cpus);
    args.push("--restart", spec.restart, "--log-driver", "json-file");
    for (const key of Object.keys(spec.logOpts).sort()) args.push("--log-opt", `${key}=${spec.logOpts[key]}`);
    const hc = spec.healthcheck;
    if (hc && hc.test[0] === "NONE") args.push("--no-healthcheck");
    else if (hc) {
        // CMD form cannot be given to `docker create` as an array; CMD-SHELL is its native form.
        const cmd = hc.test[0] === "CMD-SHELL" ? hc.test.slice(1).join(" ") : shellLine(hc.test.slice(1));
        args.push("--health-cmd", cmd, "--health-interval", hc.interval, "--health-timeout", hc.timeout, "--health-retries", String(hc.retries), "--health-start-period", hc.startPeriod);
    }
    args.push(spec.image);
    if (spec.command) args.push(...spec.command);
    return args;
}

/** The shortest verification wait, and the whole wait of a container without a healthcheck. */
export const VERIFY_MIN_SECONDS = 120;

/**
 * How long the verification waits: long enough for Docker to call a healthy container healthy, or an
 * unhealthy one unhealthy (start period, then every retry's interval and timeout), plus the steady
 * checks; never less than {@link VERIFY_MIN_SECONDS}.
 */
export function verifyWaitSeconds(healthcheck?: { test: string[]; interval: string; timeout: string; retries: number; startPeriod: string }): number {
    if (!healthcheck || healthcheck.test[0] === "NONE") return VERIFY_MIN_SECONDS;
    const needed = durationSeconds(healthcheck.startPeriod) + healthcheck.retries * (durationSeconds(healthcheck.interval) + durationSeconds(healthcheck.timeout)) + 3;
    return Math.max(VERIFY_MIN_SECONDS, Math.ceil(needed));
}

/**
 * How long the SSH client waits for the deploy script: the new container's verification and, after a
 * failure, the previous one's, plus stopping, creating and the record.
 */
export function deployTimeoutMs(waitSeconds: number): number {
    return (2 * waitSeconds + 120) * 1000;
}

/** Placeholders the host fills in the history lines it appends (its clock; the failure it saw). */
export const HISTORY_AT = "@@AT@@";
export const HISTORY_DETAIL = "@@DETAIL@@";
/** Placeholders of the `rolled-back` line: the digest and tag of the container that runs again. */
export const HISTORY_PREVIOUS_DIGEST = "@@PREVIOUS_DIGEST@@";
export const HISTORY_PREVIOUS_TAG = "@@PREVIOUS_TAG@@";
/** Stand-in for the deploy time in the rendered record; the host replaces it when it writes the file. */
export const DEPLOYED_AT_PLACEHOLDER = "@DEPLOYED_AT@";

/** What the deploy script reports on its last line (`RESULT <json>`). */
export interface DeployResult {
    /** `unchanged`: the container already ran the spec; `deployed`: a new container was verified; `failed`: it was not. */
    outcome: "unchanged" | "deployed" | "failed";
    /** The container that runs now, as the host reports it; absent when none does. */
    running?: RunningContainer;
    /** Why the new container failed (state, last health output, last log lines). */
    why?: string;
    /** The digest of the container that runs again after a failure. */
    restored?: string;
    /** True when the deploy record was written by this run. */
    recordWritten: boolean;
    /** From the inspect script: the digest the record on the host names (empty when there is none). */
    recordDigest?: string;
}

/** The container on the host, read back after the script. */
export interface RunningContainer {
    id: string;
    digest: string;
    spec: string;
    tag: string;
    status: string;
    health: string;
    startedAt: string;
}

const SAFE_PATH = /^\/[A-Za-z0-9._/-]+$/;

/** The part of every script that reads a container: `inspect NAME` prints one line of facts or nothing. */
function inspectFunctions(): string[] {
    return [
        `inspect() { docker inspect -f '{{.Id}}|{{index .Config.Labels "${LIFECYCLE.digest}"}}|{{index .Config.Labels "${LIFECYCLE.spec}"}}|{{index .Config.Labels "${LIFECYCLE.tag}"}}|{{.State.Status}}|{{with index .State \"Health\"}}{{.Status}}{{end}}|{{.State.StartedAt}}|{{.RestartCount}}' "$1" 2>/dev/null | sed 's/<no value>//g'; }`,
        `json_of() { echo "$1" | awk -F'|' '{ printf "{\\"id\\":\\"%s\\",\\"digest\\":\\"%s\\",\\"spec\\":\\"%s\\",\\"tag\\":\\"%s\\",\\"status\\":\\"%s\\",\\"health\\":\\"%s\\",\\"startedAt\\":\\"%s\\"}", $1, $2, $3, $4, $5, $6, $7 }'; }`,
    ];
}

/**
 * A script that prints `RESULT <json>` with the container called `name` (`running` absent when there is
 * none) and, given the record's path, the digest the deploy record names (`recordDigest`, empty without one).
 */
export function inspectScript(name: string, recordPath?: string): string {
    if (!NAME.test(name)) throw new Error(`Refusing container name "${name}" in a shell script.`);
    if (recordPath !== undefined && (!SAFE_PATH.test(recordPath) || recordPath.includes(".."))) throw new Error(`Refusing deploy record path "${recordPath}".`);
    return [
        "set -u",
        ...inspectFunctions(),
        `c=$(inspect '${name}')`,
        recordPath ? `rd=$(sed -n 's/^digest: "\\(sha256:[0-9a-f]*\\)"$/\\1/p' '${recordPath}' 2>/dev/null)` : "rd=''",
        `if [ -n "$c" ]; then echo "RESULT {\\"outcome\\":\\"unchanged\\",\\"recordWritten\\":false,\\"recordDigest\\":\\"$rd\\",\\"running\\":$(json_of "$c")}"; else echo "RESULT {\\"outcome\\":\\"unchanged\\",\\"recordWritten\\":false,\\"recordDigest\\":\\"$rd\\"}"; fi`,
    ].join("\n") + "\n";
}

export interface DeployScriptInput {
    spec: AppContainerSpec;
    /** `/opt/<org>/<app>/deploy-info.yml`. */
    recordPath: string;
    /** Seconds the verification waits ({@link verifyWaitSeconds}). */
    waitSeconds: number;
}

/**
 * The script that makes the class host run `spec`, under a lock per app, and prints `RESULT <json>`.
 *
 * 1. A container set aside by an interrupted run (`<app>.previous`) is put back first.
 * 2. A container that already runs the spec (same spec label) and passes verification is left alone,
 *    and nothing is written (a record changes only when what runs changes).
 * 3. Otherwise the running container is stopped and set aside, the new one created and started, and
 *    verified: running, healthy where a healthcheck exists, and steady (same start, no restarts) for
 *    three checks. Verified: the old one is removed, the record rewritten and history appended.
 *    Not verified: the new one is removed, the old one started again and verified, history records
 *    both, and the script says why.
 *
 * Standard input: the `verified`, `failed` and `rolled-back` history lines, then the record. None of it
 * is interpolated into the script. SIGHUP and SIGPIPE are ignored and docker's output goes to a log
 * beside the record, so a client that goes away mid-run does not cut a replacement in half.
 */
export function deployScript(input: DeployScriptInput): string {
    const { spec, recordPath } = input;
    if (!SAFE_PATH.test(recordPath) || recordPath.includes("..")) {
        throw new Error(`Refusing deploy record path "${recordPath}": expected an absolute path of letters, digits, . _ - and /.`);
    }
    const dir = recordPath.slice(0, recordPath.lastIndexOf("/"));
    const history = `${dir}/${NAMES.deployHistoryFile}`;
    const hash = specHash(spec);
    return [
        "set -u",
        "trap '' HUP PIPE",
        `name='${spec.name}'`,
        `prev='${NAMES.previousContainer(spec.name)}'`,
        `spec='${hash}'`,
        `dir='${dir}'`,
        `record='${recordPath}'`,
        `history='${history}'`,
        'mkdir -p "$dir" || { echo "Cannot create $dir on the host." >&2; exit 3; }',
        'log="$dir/.deploy.log"',
        ': > "$log"',
        "IFS= read -r line_verified || true",
        "IFS= read -r line_failed || true",
        "IFS= read -r line_restored || true",
        'body=$(mktemp "$dir/.deploy-info.yml.XXXXXX")',
        "trap 'rm -f \"$body\"' EXIT",
        'cat > "$body"',
        'exec 9>"$dir/.deploy.lock"',
        `command -v flock >/dev/null 2>&1 && { flock -w 900 9 || { echo "Another deploy of $name holds $dir/.deploy.lock for over 15 minutes." >&2; exit 3; }; }`,
        ...inspectFunctions(),
        'd() { docker "$@" >>"$log" 2>&1; }',
        // Verification: the facts after "|" (start time, restarts) must hold still for three checks.
        "verify() {",
        "  i=0; same=0; seen=''; got=''",
        `  while [ "$i" -lt "$2" ]; do`,
        '    c=$(inspect "$1")',
        '    got=$(echo "$c" | awk -F"|" \'{ print $5 " " $6 }\')',
        '    facts=$(echo "$c" | awk -F"|" \'{ print $7 " " $8 }\')',
        '    case "$got" in',
        // No health status at all means the container has no healthcheck (not even the image's): running suffices.
        `      "running healthy"|"running ") if [ "$facts" = "$seen" ]; then same=$((same+1)); else same=1; seen=$facts; fi; [ "$same" -ge 3 ] && return 0 ;;`,
        // Docker's own verdict ends the wait: unhealthy after every retry, or exited for three checks.
        '      "running unhealthy") return 1 ;;',
        '      "exited "*|"dead "*) [ "$i" -ge 3 ] && return 1; same=0; seen="" ;;',
        "      *) same=0; seen='' ;;",
        "    esac",
        "    i=$((i+1)); sleep 1",
        "  done",
        "  return 1",
        "}",
        // Why a container failed, as one line of safe characters (it goes into JSON and a history line).
        "why_of() {",
        '  c=$(inspect "$1"); st=$(echo "$c" | awk -F"|" \'{ print $5 }\'); he=$(echo "$c" | awk -F"|" \'{ print $6 }\')',
        `  hl=$(docker inspect -f '{{with index .State "Health"}}{{range .Log}}{{.Output}}{{end}}{{end}}' "$1" 2>/dev/null | grep -v '^ *$' | tail -n 1)`,
        '  ex=$(docker inspect -f \'{{.State.ExitCode}}\' "$1" 2>/dev/null)',
        '  lg=$(docker logs --tail 2 "$1" 2>&1 | tail -n 2 | tr "\\n" " ")',
        '  out="state ${st:-absent}${he:+, $he}, exit code ${ex:-?}"',
        '  [ -n "$hl" ] && out="$out; last health check: $hl"',
        '  [ -n "$lg" ] && out="$out; last log lines: $lg"',
        "  printf '%s' \"$out\" | tr -c 'A-Za-z0-9 ._:/()=,;+-' ' ' | cut -c1-400",
        "}",
        // Appends one history line (placeholders filled), through a copy renamed over the file, at most 200 lines.
        "append() {",
        '  [ -n "$1" ] || return 0',
        '  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)',
        '  t=$(mktemp "$dir/.history.XXXXXX")',
        '  { [ -f "$history" ] && tail -n 199 "$history"; printf \'%s\\n\' "$1" | sed "s|' + HISTORY_AT + '|$now|; s|' + HISTORY_DETAIL + '|$2|"; } > "$t" && chmod 0644 "$t" && mv -f "$t" "$history"',
        "}",
        "write_record() {",
        '  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)',
        '  t=$(mktemp "$dir/.deploy-info.yml.XXXXXX")',
        `  sed "s/^deployed_at: \\"${DEPLOYED_AT_PLACEHOLDER}\\"$/deployed_at: \\"$now\\"/" "$body" > "$t" && chmod 0644 "$t" && mv -f "$t" "$record"`,
        "}",
        "result() {",
        '  c=$(inspect "$name")',
        '  run=""; [ -n "$c" ] && run=",\\"running\\":$(json_of "$c")"',
        '  echo "RESULT {\\"outcome\\":\\"$1\\",\\"recordWritten\\":$2$run$3}"',
        "}",
        // The record is rewritten only when it does not already say what now runs (who and when aside).
        `record_same() { [ -f "$record" ] && [ "$(grep -v '^deployed_[ab][ty]: ' "$record")" = "$(grep -v '^deployed_[ab][ty]: ' "$body")" ]; }`,
        // 1. A container set aside by an interrupted run comes back.
        'if [ -n "$(inspect "$prev")" ]; then',
        '  [ -n "$(inspect "$name")" ] && d rm -f "$name"',
        '  d rename "$prev" "$name"',
        "fi",
        // 2. Already running this spec: verify it (starting it if an engine restart stopped it), write nothing new.
        'cur=$(inspect "$name")',
        'if [ -n "$cur" ] && [ "$(echo "$cur" | awk -F"|" \'{ print $3 }\')" = "$spec" ]; then',
        '  case "$(echo "$cur" | awk -F"|" \'{ print $5 }\')" in running|restarting) ;; *) d start "$name" ;; esac',
        `  if verify "$name" ${input.waitSeconds}; then`,
        '    w=false',
        '    if ! record_same; then write_record; append "$line_verified" ""; w=true; fi',
        '    result unchanged $w ""; exit 0',
        "  fi",
        "fi",
        // 3. Replace: set the old one aside, start the new one.
        'old_digest=""; old_tag=""',
        'if [ -n "$cur" ]; then',
        '  old_digest=$(echo "$cur" | awk -F"|" \'{ print $2 }\'); old_tag=$(echo "$cur" | awk -F"|" \'{ print $4 }\')',
        '  d stop -t 10 "$name"',
        '  d rename "$name" "$prev" || { echo "Cannot set $name aside on the host: $(tail -n 1 "$log")" >&2; exit 3; }',
        "fi",
        // Docker's first complaint after this point is the one that explains a refused create or start.
        'mark=$(($(wc -l < "$log") + 1))',
        `if d ${shellLine(dockerCreateArgs(spec))} && d start "$name" && verify "$name" ${input.waitSeconds}; then`,
        '  [ -n "$(inspect "$prev")" ] && d rm -f "$prev"',
        '  write_record',
        '  append "$line_verified" ""',
        '  result deployed true ""; exit 0',
        "fi",
        // The new container failed: remove it, put the previous one back.
        'why=$(why_of "$name")',
        '[ -n "$(inspect "$name")" ] || why="docker refused to create it"',
        // What docker itself said (a refused create or start) goes with it.
        'err=$(tail -n "+$mark" "$log" | grep -i "error" | head -n 1 | tr -c \'A-Za-z0-9 ._:/()=,;+-\' \' \' | cut -c1-300)',
        '[ -n "$err" ] && why="$why; docker: $err"',
        'd rm -f "$name"',
        'append "$line_failed" "$why"',
        'restored=""',
        'if [ -n "$(inspect "$prev")" ]; then',
        '  d rename "$prev" "$name" && d start "$name"',
        `  if verify "$name" ${input.waitSeconds}; then restored=$old_digest; fi`,
        '  [ -n "$restored" ] && append "$(printf \'%s\' "$line_restored" | sed "s|' + HISTORY_PREVIOUS_DIGEST + '|$old_digest|; s|' + HISTORY_PREVIOUS_TAG + '|$old_tag|")" ""',
        "fi",
        'result failed false ",\\"why\\":\\"$why\\",\\"restored\\":\\"$restored\\""',
        "exit 0",
    ].join("\n") + "\n";
}

/** The script that removes the app's container (and a set-aside one), only when they are this app's. */
export function removeScript(name: string, stack: string): string {
    if (!NAME.test(name)) throw new Error(`Refusing container name "${name}" in a shell script.`);
    return [
        "set -u",
        `for c in '${name}' '${NAMES.previousContainer(name)}'; do`,
        `  app=$(docker inspect -f '{{index .Config.Labels "${LIFECYCLE.app}"}}|{{index .Config.Labels "${LIFECYCLE.stack}"}}' "$c" 2>/dev/null) || continue`,
        `  if [ "$app" = '${name}|${stack}' ]; then docker rm -f "$c" >/dev/null; else echo "Leaving container $c on the host: it is not this product's ${name} (labels: $app)." >&2; fi`,
        "done",
    ].join("\n") + "\n";
}

/** The `RESULT` line of a script's output, parsed; an error naming the output when there is none. */
export function parseDeployResult(stdout: string): DeployResult {
    const line = stdout.split("\n").reverse().find((l) => l.startsWith("RESULT "));
    if (!line) throw new Error(`The deploy script printed no result: ${stdout.trim().slice(-300) || "(nothing)"}`);
    const parsed = JSON.parse(line.slice("RESULT ".length)) as DeployResult;
    if (parsed.running && parsed.running.id === "") delete parsed.running;
    if (parsed.restored === "") delete parsed.restored;
    return parsed;
}
