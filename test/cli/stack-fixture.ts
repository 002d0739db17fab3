/**
 * What the CLI tests that read and edit the proxima stack file share (deploy, rollback, promote): an
 * in-process CliIO that captures what a command prints, the shipped stack file, and a fresh copy of
 * it per test in a temp directory.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CliIO } from "../../cli/io";

/** A PATH with the usual tools but no Pulumi CLI. */
export const NO_PULUMI: NodeJS.ProcessEnv = { PATH: "/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin" };

/** The shipped `Pulumi.proxima.yaml`: the fixture the commands edit. */
export const SHIPPED = fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.proxima.yaml"), "utf8");

/** The comment lines of a stack file, to check an edit kept them. */
export const comments = (text: string) => text.split("\n").filter((l) => l.trim().startsWith("#"));

/** A non-terminal CliIO that keeps what the command writes. */
export function capture(env: NodeJS.ProcessEnv = { PATH: "/usr/bin:/bin" }) {
    let out = "";
    let err = "";
    const io: CliIO = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, isTTY: false, stderrIsTTY: false, env };
    return { io, out: () => out, err: () => err };
}

/**
 * Registers hooks that give each test a fresh `Pulumi.proxima.yaml` holding `text()` (the shipped file
 * with the test registry's host, typically) in its own temp directory, removed afterwards.
 */
export function freshStackFilePerTest(prefix: string, text: () => string): { readonly dir: string; readonly file: string } {
    const current = { dir: "", file: "" };
    beforeEach(() => {
        current.dir = fs.mkdtempSync(path.join(os.tmpdir(), `image-lifecycle-${prefix}-`));
        current.file = path.join(current.dir, "Pulumi.proxima.yaml");
        fs.writeFileSync(current.file, text());
    });
    afterEach(() => fs.rmSync(current.dir, { recursive: true, force: true }));
    return current;
}

/** The shipped stack file pointed at the test registry `host`. */
export function shippedWithHost(host: string): string {
    return SHIPPED.replace("host: registry.example.org", `host: ${host}`);
}
