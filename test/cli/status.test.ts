import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CliIO, EXIT } from "../../cli/io";
import { status } from "../../cli/status";
import { renderDeployRecord } from "../../lib/rules/deploy-record";
import { OCI } from "../../lib/contract";
import { displayWidth } from "../../lib/format/text-width";
import { RegistryClient } from "../../lib/registry/client";
import { runProgramFull, seedImage, seedRegistryFor, testLabels, verifiedDeploy } from "../../harness/program";

function capture(opts: { tty?: boolean; columns?: number; env?: NodeJS.ProcessEnv } = {}) {
    let out = "";
    let err = "";
    const io: CliIO = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, isTTY: opts.tty ?? false, stderrIsTTY: false, env: opts.env ?? { PATH: "/usr/bin:/bin" }, ...(opts.columns ? { columns: opts.columns } : {}) };
    return { io, out: () => out, err: () => err };
}

const SHIPPED = fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.proxima.yaml"), "utf8");
const LONG = "bump nginx to 1.27 and rewrite the proxy header handling so that upstream hosts are kept";

describe("cli/status (real registry, the real program's deployments output, real deploy records)", function () {
    this.timeout(300000);
    let host: string;
    const d: Record<string, string> = {};
    let dir: string;
    let file: string;
    let record: string;
    let deployments: string;

    before(async () => {
        host = await seedRegistryFor("proxima");
        const at = (tag: string, created: string, description: string) => seedImage("status/web", tag, { ...testLabels("status/web", tag, description), [OCI.created]: created });
        d.old = await at("eb53023", "2026-01-25T01:01:00Z", "initial deploy");
        d.running = await at("6350192", "2026-01-25T01:10:00Z", "add healthcheck + fix nginx proxy header");
        d.newer = await at("a7c3e11", "2026-01-26T09:00:00Z", LONG);
        d.newest = await at("f00ba47", "2026-01-27T10:30:00Z", "fix: 健康检查 ✅ timeout");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-status-"));
        file = path.join(dir, "Pulumi.proxima.yaml");
        fs.writeFileSync(file, SHIPPED.replace("host: registry.example.org", `host: ${host}`).replace("repository: rednaw/hello-world\n", "repository: status/web\n"));
        // What `pulumi stack output --json deployments` prints: the real program's output for this stack file.
        // The deployments output as after a verified up (the app containers' provider reports what runs).
        const run = await runProgramFull("proxima", undefined, { stackFile: file, registry: new RegistryClient({ registry: host }), create: verifiedDeploy });
        deployments = path.join(dir, "deployments.json");
        fs.writeFileSync(deployments, JSON.stringify(run.outputs.deployments));
        // The record the program writes on the class host, as the real renderer writes it.
        record = path.join(dir, "deploy-info.yml");
        fs.writeFileSync(record, renderDeployRecord({ app: "hello-world", image: `${host}/status/web`, digest: d.running, tag: "6350192", description: "add healthcheck + fix nginx proxy header", deployed_at: "2026-01-25T01:20:00Z", deployed_by: "alice" }));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("shows every app by class with tag, digest, created, description, when/by, and newer images newest first", async () => {
        const c = capture();
        assert.equal(await status(["--file", file, "--deployed", deployments, "--deployed", record], c.io), EXIT.ok, c.err());
        const out = c.out();
        const lines = out.split("\n");
        assert.equal(lines[0], `STACK: proxima (registry ${host}; offline: what runs is read from the deployed files given)`);
        const order = ["CORE", "MONITORING", "EXPERIMENTAL"].map((h) => lines.indexOf(h));
        assert.ok(order.every((i) => i > 0) && order[0] < order[1] && order[1] < order[2], out);
        const web = lines.findIndex((l) => l.startsWith("  hello-world "));
        assert.match(lines[web], new RegExp(`^  hello-world\\s+6350192\\s+${d.running.slice(0, 19)}\\s+2026-01-25 01:10\\s+add healthcheck \\+ fix nginx proxy header$`));
        assert.match(lines[web + 1], /^\s+deployed 2026-01-25 01:20 by alice \(deploy record\)$/);
        assert.match(lines[web + 2], new RegExp(`^\\s+newer: f00ba47\\s+${d.newest.slice(0, 19)}\\s+2026-01-27 10:30\\s+fix: 健康检查 ✅ timeout$`));
        assert.match(lines[web + 3], new RegExp(`^\\s+a7c3e11\\s+${d.newer.slice(0, 19)}\\s+2026-01-26 09:00\\s+${LONG}$`), "not cut off a terminal");
        assert.ok(!out.includes("eb53023"), "an older image is not offered as newer");
        const api = lines.findIndex((l) => l.startsWith("  giftfinder-api "));
        assert.match(lines[api + 1], /deployed \(deployments output; no deploy record given for when and by whom\)/);
        assert.match(out, /1 app\(s\) have newer images: image-lifecycle deploy <app> --to <tag>/);
        assert.ok(!out.includes("\x1b["));
    });

    it("--json: the same facts by class, each with where it came from", async () => {
        const c = capture();
        assert.equal(await status(["--file", file, "--deployed", deployments, "--deployed", record, "--json"], c.io), EXIT.ok, c.err());
        const json = JSON.parse(c.out());
        assert.deepEqual(Object.keys(json.classes), ["core", "monitoring", "experimental"]);
        const web = json.classes.core.find((a: any) => a.app === "hello-world");
        // One vocabulary (ADR 0054): image is registry plus repository, as in the record read beside it.
        assert.equal(web.image, `${host}/status/web`);
        assert.equal(web.repository, "status/web");
        assert.deepEqual(web.running, { tag: "6350192", digest: d.running, created: "2026-01-25T01:10:00Z", description: "add healthcheck + fix nginx proxy header", source: "deploy record" });
        assert.deepEqual(web.deployed, { at: "2026-01-25T01:20:00Z", by: "alice", source: record });
        assert.deepEqual(web.newer.map((n: any) => [n.tags, n.digest]), [[["f00ba47"], d.newest], [["a7c3e11"], d.newer]]);
        assert.equal(web.pending, false);
        const metrics = json.classes.monitoring.find((a: any) => a.app === "metrics");
        assert.equal(metrics.running.source, "deployments output");
        assert.equal(metrics.deployed, null);
    });

    it("without deployed files asks the class hosts: unreachable ones say so on each app, exit 3, and the configured images still show", async () => {
        // The fixture's hosts are the shipped stack's (proxima-*.lan), which do not resolve here.
        const c = capture();
        assert.equal(await status(["--file", file, "--json"], c.io), EXIT.unavailable, c.err());
        const json = JSON.parse(c.out());
        assert.equal(json.source, "hosts");
        assert.deepEqual(json.hosts.map((h: any) => [h.classes, h.endpoint, h.reachable]), [
            [["core"], "ssh://deploy@proxima-core.lan", false], [["monitoring"], "ssh://deploy@proxima-monitoring.lan", false], [["experimental"], "ssh://deploy@proxima-experimental.lan:2222", false],
        ]);
        const web = json.classes.core.find((a: any) => a.app === "hello-world");
        assert.match(web.unreachable, /ssh:\/\/deploy@proxima-core\.lan did not answer: .*Check that the host is up/);
        assert.equal(web.running.source, "configured");
        assert.equal(web.running.digest, d.running);
        assert.deepEqual(web.drift, []);
        assert.match(c.err(), /could not read 3 class hosts/);
        const t = capture();
        assert.equal(await status(["--file", file], t.io), EXIT.unavailable);
        assert.match(t.out(), /^  hello-world .*\n\s+host unreachable: ssh:\/\/deploy@proxima-core\.lan did not answer/m);
        assert.match(t.out(), /5 app\(s\) could not be checked: their host did not answer\./);
    });

    it("offline (--deployed) marks a pending change after deploy --yes, and --check fails on it", async () => {
        const moved = path.join(dir, "moved.yaml");
        fs.writeFileSync(moved, fs.readFileSync(file, "utf8").replace('tag: "6350192"', 'tag: "f00ba47"'));
        const p = capture();
        assert.equal(await status(["--file", moved, "--deployed", record], p.io), EXIT.ok, p.err());
        assert.match(p.out(), /pending: the stack file now says f00ba47; run pulumi up/);
        const c = capture();
        assert.equal(await status(["--file", moved, "--deployed", record, "--check"], c.io), EXIT.failed, c.err());
        const ok = capture();
        assert.equal(await status(["--file", file, "--deployed", record, "--check"], ok.io), EXIT.ok, ok.err());
    });

    it("cuts descriptions by display width only on a terminal or with --width", async () => {
        const c = capture({ tty: true, columns: 100 });
        assert.equal(await status(["--file", file, "--deployed", record], c.io), EXIT.ok, c.err());
        const row = c.out().split("\n").find((l) => l.includes("a7c3e11"))!;
        assert.ok(row.endsWith("…"), row);
        assert.ok(displayWidth(row) <= 100, `${displayWidth(row)}: ${row}`);
        const w = capture();
        assert.equal(await status(["--file", file, "--deployed", record, "--width", "88"], w.io), EXIT.ok);
        const cjk = w.out().split("\n").find((l) => l.includes("f00ba47"))!;
        // Two columns per CJK character and emoji: cut to 88 columns, not 88 code points.
        assert.ok(cjk.endsWith("…") && displayWidth(cjk) <= 88 && displayWidth(cjk) >= 86, `${displayWidth(cjk)}: ${cjk}`);
    });

    it("says which repository the registry does not have, and fails clearly on bad input", async () => {
        const gone = path.join(dir, "gone.yaml");
        fs.writeFileSync(gone, fs.readFileSync(file, "utf8").replace("repository: giftfinder/playground", "repository: status/not-pushed"));
        const c = capture();
        assert.equal(await status(["--file", gone, "--deployed", record], c.io), EXIT.ok, c.err());
        assert.match(c.out(), /registry: .*status\/not-pushed/);
        let b = capture();
        assert.equal(await status(["--file", file, "--jsn"], b.io), EXIT.usage);
        assert.match(b.err(), /^status: Unknown option --jsn\. Did you mean --json\?\n/);
        b = capture();
        assert.equal(await status(["--file", file, "--deployed", path.join(dir, "nope.yml")], b.io), EXIT.usage);
        assert.match(b.err(), /Cannot read deployed file .*nope\.yml \(ENOENT\)/);
        const bad = path.join(dir, "bad.yml");
        fs.writeFileSync(bad, "app: hello-world\ndescription: fix: header\n");
        b = capture();
        assert.equal(await status(["--file", file, "--deployed", bad], b.io), EXIT.usage);
        assert.match(b.err(), /bad\.yml is not valid YAML at line 2, column 14: .*Quote a value/);
    });
});
