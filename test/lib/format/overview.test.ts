import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { OCI } from "../../../lib/contract";
import { buildOverview, formatCreated, formatOverview, overviewJson, truncate } from "../../../lib/format/overview";
import { ImageInfo, TagInfo } from "../../../lib/registry/types";

const golden = (name: string) => fs.readFileSync(path.join(__dirname, "..", "..", "golden", name), "utf8");

function info(digestChar: string, created: string | undefined, description?: string): ImageInfo {
    const labels: Record<string, string> = {};
    if (created !== undefined) labels[OCI.created] = created;
    if (description !== undefined) labels[OCI.description] = description;
    return { digest: `sha256:${digestChar.repeat(64)}`, mediaType: "application/vnd.oci.image.manifest.v1+json", labels, ...(created ? { created } : {}), platforms: ["linux/amd64"], layers: [], size: 0 };
}

describe("lib/format/overview", () => {
    const seedRows: TagInfo[] = [
        { tag: "eb53023", info: info("e", "2026-01-25T01:01:00Z", "initial deploy") },
        { tag: "6350192", info: info("6", "2026-01-25T01:10:00Z", "add healthcheck + fix nginx proxy header") },
    ];

    it("renders seed 002's table exactly", () => {
        const o = buildOverview("127.0.0.1:5000", "rednaw/hello-world", seedRows, new Set([`sha256:${"6".repeat(64)}`]));
        assert.equal(formatOverview(o), golden("overview-seed-002.txt"));
    });

    it("orders newest first whatever order the registry lists tags in; unknown dates last; ties by digest then tag", () => {
        const rows: TagInfo[] = [
            { tag: "zzz", info: info("b", "2026-01-02T00:00:00Z") },
            { tag: "undated", info: info("c", undefined) },
            { tag: "garbage-date", info: info("d", "not a date") },
            { tag: "aaa", info: info("b", "2026-01-02T00:00:00Z") },
            { tag: "older", info: info("a", "2025-12-31T23:59:00Z") },
            { tag: "same-time-other-digest", info: info("0", "2026-01-02T00:00:00Z") },
        ];
        const expected = ["same-time-other-digest", "aaa", "zzz", "older", "undated", "garbage-date"];
        for (const order of [rows, [...rows].reverse()]) {
            assert.deepEqual(buildOverview("r", "x/y", order, new Set()).rows.map((r) => r.tag), expected);
        }
    });

    it("marks every tag whose digest is deployed, and lists deployed digests that lost their tags", () => {
        const rows: TagInfo[] = [
            { tag: "6350192", info: info("6", "2026-01-25T01:10:00Z") },
            { tag: "stable", info: info("6", "2026-01-25T01:10:00Z") },
            { tag: "eb53023", info: info("e", "2026-01-25T01:01:00Z") },
        ];
        const gone = `sha256:${"f".repeat(64)}`;
        const o = buildOverview("r", "x/y", rows, new Set([`sha256:${"6".repeat(64)}`, gone]));
        assert.deepEqual(o.rows.map((r) => [r.tag, r.deployed]), [["6350192", true], ["stable", true], ["eb53023", false]]);
        assert.deepEqual(o.deployedWithoutTag, [gone]);
        const lines = formatOverview(o).split("\n");
        assert.ok(lines[4].startsWith("→ 6350192") && lines[5].startsWith("→ stable") && lines[6].startsWith("  eb53023"));
    });

    it("widens the tag column for long tags and keeps the other columns aligned", () => {
        const o = buildOverview("r", "x/y", [{ tag: "v1.0.0-rc.1", info: info("1", "2026-02-01T10:00:00Z", "rc") }, { tag: "abc", info: info("2", "2026-01-01T10:00:00Z", "b") }], new Set());
        const lines = formatOverview(o).split("\n");
        const col = lines[2].indexOf("CREATED");
        assert.equal(col, "  v1.0.0-rc.1  ".length);
        assert.equal(lines[4].indexOf("2026-02-01"), col);
        assert.equal(lines[5].indexOf("2026-01-01"), col);
        assert.equal(lines[3].indexOf("-------"), col);
    });

    it("cuts long descriptions with … so rows fit the width, and strips control characters", () => {
        const long = "a very long commit subject that goes on and on\nwith a newline and \u001b[31mred\u001b[0m escapes";
        const o = buildOverview("r", "x/y", [{ tag: "6350192", info: info("6", "2026-01-25T01:10:00Z", long) }], new Set());
        const row = formatOverview(o, { width: 60 }).split("\n")[4];
        assert.equal(Array.from(row).length, 60);
        assert.ok(row.endsWith("…"));
        const full = formatOverview(o).split("\n")[4];
        assert.ok(!/[\u0000-\u001f]/.test(full), JSON.stringify(full));
        assert.match(full, /goes on and on with a newline and red escapes$/);
    });

    it("formats created as UTC minutes, '-' when missing", () => {
        assert.equal(formatCreated("2026-01-25T02:10:59+01:00"), "2026-01-25 01:10");
        assert.equal(formatCreated(undefined), "-");
        assert.equal(formatCreated("yesterday"), "-");
        assert.equal(truncate("abcdef", 4), "abc…");
        assert.equal(truncate("abc", 4), "abc");
    });

    it("gives scripts JSON with digest, labels and the deployed flag per tag", () => {
        const o = buildOverview("127.0.0.1:5000", "rednaw/hello-world", seedRows, new Set([`sha256:${"6".repeat(64)}`]));
        const json = overviewJson(o) as { image: string; tags: { tag: string; digest: string; deployed: boolean; created: string | null; description: string | null }[] };
        assert.equal(json.image, "127.0.0.1:5000/rednaw/hello-world");
        assert.deepEqual(json.tags.map((t) => [t.tag, t.deployed, t.created]), [["6350192", true, "2026-01-25T01:10:00Z"], ["eb53023", false, "2026-01-25T01:01:00Z"]]);
        assert.equal(json.tags[1].description, "initial deploy");
    });
});
