import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { NAMES } from "../../../lib/contract";
import { DeployRecord, parseDeployRecord, readDeployed, readDeployedFiles, renderDeployRecord } from "../../../lib/rules/deploy-record";
import { ValidationError } from "../../../lib/errors";

const D1 = `sha256:${"a".repeat(64)}`;
const D2 = `sha256:${"b".repeat(64)}`;

const record: DeployRecord = {
    app: "hello-world",
    image: "registry.example.org/rednaw/hello-world",
    digest: D1,
    tag: "6350192",
    description: "add healthcheck + fix nginx proxy header",
    deployed_at: "2026-01-25T01:12:03Z",
    deployed_by: "alice",
};

describe("lib/deploy-record", () => {
    it("puts the record under /opt/<org>/<app>/", () => {
        assert.equal(NAMES.deployRecord("giftfinder", "hello-world"), "/opt/giftfinder/hello-world/deploy-info.yml");
    });

    it("renders the fields in seed 002's order and parses back to the same record", () => {
        const text = renderDeployRecord(record);
        assert.deepEqual(text.split("\n").filter(Boolean).map((l) => l.split(":")[0]), ["app", "image", "digest", "tag", "description", "deployed_at", "deployed_by"]);
        assert.deepEqual(parseDeployRecord(text), record);
    });

    it("keeps a hostile commit subject as data: quotes, $(…), backticks, colons, a newline", () => {
        const description = `fix "quoted": $(rm -rf /) \`id\` it's\nsecond line # not a comment`;
        const text = renderDeployRecord({ ...record, description });
        assert.equal((parseYaml(text) as DeployRecord).description, description);
        assert.equal(parseDeployRecord(text).description, description);
    });

    it("leaves out tag and description when there are none", () => {
        const { tag: _t, description: _d, ...bare } = record;
        const text = renderDeployRecord(bare);
        assert.doesNotMatch(text, /^tag:|^description:/m);
        assert.deepEqual(parseDeployRecord(text), bare);
    });

    it("takes a hand-written numeric-looking tag exactly as written, and names a YAML error's line, column and fix", () => {
        const hand = `app: web\nimage: reg:5000/team/web\ndigest: ${record.digest}\ntag: 0123456\ndeployed_at: 2026-01-25T01:20:00Z\ndeployed_by: ada\n`;
        assert.equal(parseDeployRecord(hand).tag, "0123456");
        assert.equal(parseDeployRecord(hand.replace("0123456", "6350192")).tag, "6350192");
        assert.throws(
            () => parseDeployRecord(hand.replace("deployed_by: ada", "description: fix: proxy header\ndeployed_by: ada"), "h.yml"),
            (e: Error) => e instanceof ValidationError && /^h\.yml is not valid YAML at line 6, column 14: .*Quote a value that contains ": "/.test(e.message),
        );
    });

    it("refuses what is not a deploy record, naming the file and each bad field", () => {
        assert.throws(() => parseDeployRecord("app: [", "x.yml"), (e: Error) => e instanceof ValidationError && /x\.yml is not valid YAML/.test(e.message));
        assert.throws(
            () => parseDeployRecord(renderDeployRecord({ ...record, digest: "a".repeat(64) }), "y.yml"),
            (e: Error) => /y\.yml is not a deploy record: digest: expected sha256:/.test(e.message),
        );
        assert.throws(() => parseDeployRecord("app: web\n", "z.yml"), (e: Error) => /image: .*digest: .*deployed_at: .*deployed_by: /.test(e.message));
    });

    it("reads what is deployed from a record or from the deployments output, bare or wrapped", () => {
        assert.deepEqual(readDeployed(renderDeployRecord(record), "r.yml"), new Map([[record.image, new Set([D1])]]));
        const deployments = {
            web: { class: "core", image: "reg:5000/team/web", digest: D1, host: "ssh://a@b" },
            api: { class: "core", image: "reg:5000/team/web", digest: D2, tag: "v1.0.0", host: "ssh://a@b" },
        };
        const expected = new Map([["reg:5000/team/web", new Set([D1, D2])]]);
        assert.deepEqual(readDeployed(JSON.stringify(deployments), "d.json"), expected);
        assert.deepEqual(readDeployed(JSON.stringify({ deployments }), "d.json"), expected);
        assert.throws(
            () => readDeployed(JSON.stringify({ web: { image: "reg:5000/team/web", digest: "latest" } }), "bad.json"),
            (e: Error) => /bad\.json is not a deployments output: web: .*digest/.test(e.message),
        );
    });

    describe("readDeployedFiles", () => {
        let dir: string;
        before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "deployed-")); });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("collects the target's digests; another registry counts only with anyRegistry", () => {
            const here = path.join(dir, "here.yml");
            const elsewhere = path.join(dir, "elsewhere.json");
            fs.writeFileSync(here, renderDeployRecord({ ...record, image: "reg:5000/rednaw/hello-world" }));
            fs.writeFileSync(elsewhere, JSON.stringify({ web: { class: "core", image: "registry.lan/rednaw/hello-world", digest: D2, host: "h" } }));
            const notes: string[] = [];
            const files = [here, elsewhere].map((file) => ({ file, text: fs.readFileSync(file, "utf8") }));
            const exact = readDeployedFiles(files, { registry: "reg:5000", repository: "rednaw/hello-world" }, (m) => notes.push(m));
            assert.deepEqual(exact, new Set([D1]));
            assert.deepEqual(notes, [`${elsewhere} records nothing deployed from reg:5000/rednaw/hello-world.`]);

            const any = readDeployedFiles(files, { registry: "reg:5000", repository: "rednaw/hello-world", anyRegistry: true }, () => assert.fail("no note expected"));
            assert.deepEqual(any, new Set([D1, D2]));
        });
    });
});
