/**
 * A real PostgreSQL server for tests (Debian's `postgresql` package): its own cluster made by `initdb` in
 * a temp folder, run by `pg_ctl` as the `postgres` user (PostgreSQL refuses to run as root), listening on
 * 127.0.0.1 on a free port with TLS only (a CA and a server certificate made here with openssl), stopped
 * at the end of the run. The admin connects over the cluster's own unix socket.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { freePort, requireBinary, tempDir } from "./services";

const run = promisify(execFile);

export interface Postgres {
    host: string;
    port: number;
    /** The CA that signed the server's certificate (for `sslrootcert`). */
    caFile: string;
    /** Runs SQL as the cluster's superuser `postgres` over the unix socket; returns psql's unaligned output. */
    psql(sql: string, database?: string): Promise<string>;
    /** Runs a psql script file as `postgres`, with `-v name=value` variables. */
    psqlFile(file: string, vars: Record<string, string>, database?: string): Promise<string>;
    /** Stops the server (fast shutdown); idempotent. */
    stop(): Promise<void>;
}

/** The folder of Debian's PostgreSQL programs (initdb, pg_ctl are not on PATH): the newest major installed. */
export function postgresBin(): string {
    const base = "/usr/lib/postgresql";
    const majors = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a)) : [];
    if (majors.length === 0) {
        throw new Error(`PostgreSQL is not installed (no ${base}/<major>/bin/initdb): the team-state tests need the Debian package postgresql. Run "apt-get install -y postgresql" (or "bash .ci/run", which installs everything).`);
    }
    return path.join(base, majors[0], "bin");
}

const started: Postgres[] = [];

/** Starts a fresh cluster. As root it runs as the `postgres` user through runuser; otherwise as this user. */
export async function startPostgres(): Promise<Postgres> {
    const bin = postgresBin();
    requireBinary("openssl", "openssl");
    requireBinary("psql", "postgresql-client");
    const root = process.getuid?.() === 0;
    const dir = tempDir("postgres");
    fs.chmodSync(dir, 0o755);
    const data = path.join(dir, "data");
    const as = (cmd: string, args: string[]) => (root ? run("runuser", ["-u", "postgres", "--", cmd, ...args], { cwd: dir }) : run(cmd, args, { cwd: dir }));
    if (root) execFileSync("chown", ["postgres:postgres", dir]);

    // TLS: a CA, and a server certificate for 127.0.0.1 and localhost that it signed.
    const ssl = (args: string[]) => run("openssl", args, { cwd: dir });
    await ssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=image-lifecycle test CA", "-keyout", "ca.key", "-out", "ca.crt"]);
    await ssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"]);
    fs.writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    await ssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt"]);
    fs.chmodSync(path.join(dir, "server.key"), 0o600);
    fs.chmodSync(path.join(dir, "ca.crt"), 0o644);
    if (root) execFileSync("chown", ["postgres:postgres", path.join(dir, "server.key"), path.join(dir, "server.crt")]);

    await as(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-instructions"]);
    const port = await freePort();
    fs.appendFileSync(path.join(data, "postgresql.conf"), [
        "",
        "listen_addresses = '127.0.0.1'",
        `port = ${port}`,
        `unix_socket_directories = '${dir}'`,
        "ssl = on",
        `ssl_cert_file = '${path.join(dir, "server.crt")}'`,
        `ssl_key_file = '${path.join(dir, "server.key")}'`,
        "",
    ].join("\n"));
    // Only TLS over TCP (hostssl), with a password; the admin's unix socket needs none.
    fs.writeFileSync(path.join(data, "pg_hba.conf"), [
        "local all postgres trust",
        "hostssl all all 127.0.0.1/32 scram-sha-256",
        "",
    ].join("\n"));
    const log = path.join(dir, "postgres.log");
    try {
        await as(path.join(bin, "pg_ctl"), ["-D", data, "-l", log, "-w", "-t", "60", "start"]);
    } catch (e) {
        throw new Error(`PostgreSQL did not start: ${(e as Error).message}\n--- ${log} ---\n${fs.existsSync(log) ? fs.readFileSync(log, "utf8").slice(-2000) : ""}`);
    }
    let stopped = false;
    const psqlArgs = (database: string) => ["-h", dir, "-p", String(port), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-X", "-q", "-At"];
    // Queries may return whole checkpoints: the backend keeps a copy of the stack's state for every update
    // (.pulumi/history/…) and a backup (.bak), base64-encoded, so a few updates already pass execFile's
    // default 1 MB of output (which fails the query with "stdout maxBuffer length exceeded").
    const output = { maxBuffer: 256 * 1024 * 1024 };
    const pg: Postgres = {
        host: "127.0.0.1",
        port,
        caFile: path.join(dir, "ca.crt"),
        psql: async (sql, database = "postgres") => (await run("psql", [...psqlArgs(database), "-c", sql], output)).stdout,
        psqlFile: async (file, vars, database = "postgres") =>
            (await run("psql", [...psqlArgs(database), ...Object.entries(vars).flatMap(([k, v]) => ["-v", `${k}=${v}`]), "-f", file], output)).stdout,
        async stop() {
            if (stopped) return;
            stopped = true;
            await as(path.join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]).catch(() => undefined);
        },
    };
    started.push(pg);
    return pg;
}

/** Stops every server this run started (the root hook calls it before the temp folders go). */
export async function stopAllPostgres(): Promise<void> {
    await Promise.all(started.splice(0).map((pg) => pg.stop()));
}
