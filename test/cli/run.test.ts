import * as assert from "node:assert/strict";
import { CliIO, EXIT } from "../../cli/io";
import { CommandFailed, CommandSpec, Options, Parsed, runCommand } from "../../cli/run";
import { FIELD, RegistryError, RegistryErrorCode, RegistrySetting, StackEditRefused, ValidationError } from "../../lib/errors";

function capture() {
    let out = "";
    let err = "";
    const io: CliIO = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, isTTY: false, stderrIsTTY: false, env: {} };
    return { io, out: () => out, err: () => err };
}

type Body = (args: Parsed<Options>, io: CliIO) => Promise<number>;
const withRegistryFlags: CommandSpec = { name: "overview", usage: "Usage: image-lifecycle overview <repository> [options]\n", options: { registry: { type: "string" }, insecure: { type: "boolean" }, json: { type: "boolean" }, help: { type: "boolean" } } };
const withoutFlags: CommandSpec = { name: "completion", usage: "Usage: image-lifecycle completion <bash|zsh>\n", options: {} };
const throwing = (e: unknown): Body => async () => { throw e; };
const registryError = (code: RegistryErrorCode, setting?: RegistrySetting) =>
    new RegistryError(code, { registry: "127.0.0.1:5000", repository: "team/app" }, "The registry said no", setting);

async function run(spec: CommandSpec, e: unknown, argv: string[] = []) {
    const c = capture();
    const code = await runCommand(spec, throwing(e), argv, c.io);
    return { code, err: c.err(), out: c.out() };
}

describe("cli/run: the one path from an error to its line and exit code", () => {
    it("maps each typed error to its exit code and prints one line prefixed with the command", async () => {
        const cases: [unknown, number][] = [
            [new ValidationError("digest", "Digest must be 64 hex characters."), EXIT.usage],
            [registryError("NAME_UNKNOWN"), EXIT.failed],
            [registryError("MANIFEST_UNKNOWN"), EXIT.failed],
            [registryError("UNREACHABLE"), EXIT.unavailable],
            [registryError("BAD_RESPONSE"), EXIT.unavailable],
            [new StackEditRefused("The stack file uses YAML anchors. Nothing was written."), EXIT.pulumi],
            [new CommandFailed(EXIT.failed, "said in the command's own words"), EXIT.failed],
        ];
        for (const [e, expected] of cases) {
            const r = await run(withoutFlags, e);
            assert.equal(r.code, expected, (e as Error).message);
            assert.equal(r.err, `completion: ${(e as Error).message}\n`);
        }
    });

    it("adds the flag that fixes what a library error names, only when the command has that flag", async () => {
        let r = await run(withRegistryFlags, registryError("NAME_UNKNOWN", "address"));
        assert.match(r.err, /^overview: The registry said no \(registry 127\.0\.0\.1:5000, repository team\/app\) To ask another registry, pass --registry <host\[:port\]>\.\n$/);
        r = await run(withRegistryFlags, registryError("INSECURE_REFUSED", "plain-http"));
        assert.match(r.err, /Pass --insecure to allow plain HTTP to it\.\n$/);
        assert.equal(r.code, EXIT.unavailable);
        r = await run(withoutFlags, registryError("NAME_UNKNOWN", "address"));
        assert.doesNotMatch(r.err, /--registry/);
        r = await run({ ...withoutFlags, hints: { address: "The registry is the host part of --image." } }, registryError("NAME_UNKNOWN", "address"));
        assert.match(r.err, /\) The registry is the host part of --image\.\n$/);
        r = await run({ name: "promote", usage: "", options: { name: { type: "string" } } }, new ValidationError(FIELD.entryName, `Release "x" is already in the stack file.`));
        assert.equal(r.err, `promote: Release "x" is already in the stack file. Give another --name.\n`);
        r = await run(withRegistryFlags, new CommandFailed(EXIT.unavailable, "could not ask the registry: no. Check it.", registryError("NOT_FOUND", "address")));
        assert.match(r.err, /^overview: could not ask the registry: no\. Check it\. To ask another registry, pass --registry/);
    });

    it("under --json prints one JSON object with the hint in its message", async () => {
        const r = await run(withRegistryFlags, registryError("NAME_UNKNOWN", "address"), ["--json"]);
        const parsed = JSON.parse(r.err) as { error: { command: string; message: string; exitCode: number; meaning: string } };
        assert.equal(parsed.error.command, "overview");
        assert.equal(parsed.error.exitCode, EXIT.failed);
        assert.match(parsed.error.message, /^The registry said no .* To ask another registry, pass --registry/);
    });

    it("lets anything else (a bug) go up with its stack, after what the command printed", async () => {
        const c = capture();
        const body: Body = async (_args, io) => {
            io.stderr("note: started\n");
            throw new TypeError("a bug");
        };
        await assert.rejects(runCommand(withRegistryFlags, body, ["--json"], c.io), TypeError);
        assert.equal(c.err(), "note: started\n");
    });

    it("parses the argv first: a usage error or --help never reaches the body", async () => {
        let c = capture();
        assert.equal(await runCommand(withRegistryFlags, throwing(new Error("must not run")), ["--regsitry", "x"], c.io), EXIT.usage);
        assert.match(c.err(), /^overview: Unknown option --regsitry\. Did you mean --registry\?\nUsage: image-lifecycle overview <repository> \[options\]\n/);
        c = capture();
        assert.equal(await runCommand(withRegistryFlags, throwing(new Error("must not run")), ["--help"], c.io), EXIT.ok);
        assert.equal(c.out(), withRegistryFlags.usage);
        c = capture();
        const seen: Parsed<Options>[] = [];
        await runCommand({ ...withRegistryFlags, positional: "repository" }, async (args) => { seen.push(args); return EXIT.ok; }, ["team/app", "--registry", "r:5000"], c.io);
        assert.deepEqual(seen.map((a) => [a.positionals, a.values.registry]), [[["team/app"], "r:5000"]]);
    });

    it("sanitises everything a command prints when asked, and nothing otherwise", async () => {
        const body: Body = async (_args, io) => {
            io.stdout("tag \x1b[31mred\x1b[0m\n");
            return EXIT.ok;
        };
        let c = capture();
        await runCommand({ ...withoutFlags, sanitise: true }, body, [], c.io);
        assert.equal(c.out(), "tag red\n");
        c = capture();
        await runCommand(withoutFlags, body, [], c.io);
        assert.equal(c.out(), "tag \x1b[31mred\x1b[0m\n");
    });
});
