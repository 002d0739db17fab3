import { strict as assert } from "node:assert";
import { digestHex, normaliseDigest, parseDigestQuery, shortDigest, tooShortMessage } from "../../../lib/rules/digest";

const HEX = "4f".repeat(32);

describe("lib/digest (the CLI's one digest vocabulary)", () => {
    it("reads sha256:<hex> and bare hex, whole or a prefix of at least 12, any case", () => {
        assert.deepEqual(parseDigestQuery(`sha256:${HEX}`), { kind: "full", digest: `sha256:${HEX}` });
        assert.deepEqual(parseDigestQuery(HEX), { kind: "full", digest: `sha256:${HEX}` });
        assert.deepEqual(parseDigestQuery(HEX.toUpperCase()), { kind: "full", digest: `sha256:${HEX}` });
        assert.deepEqual(parseDigestQuery(HEX.slice(0, 12)), { kind: "prefix", hex: HEX.slice(0, 12) });
        assert.deepEqual(parseDigestQuery(`sha256:${HEX.slice(0, 20)}`), { kind: "prefix", hex: HEX.slice(0, 20) });
        assert.deepEqual(parseDigestQuery("6350192"), { kind: "short", hex: "6350192", prefixed: false });
        assert.deepEqual(parseDigestQuery("sha256:ab"), { kind: "short", hex: "ab", prefixed: true });
        for (const none of ["v1.2.3", "latest", `${HEX}0`, "sha256:xyz", `sha256:sha256:${HEX}`]) assert.deepEqual(parseDigestQuery(none), { kind: "none" }, none);
    });

    it("normalises, shortens and strips without ever doubling the prefix", () => {
        assert.equal(normaliseDigest(HEX), `sha256:${HEX}`);
        assert.equal(normaliseDigest(HEX.slice(1)), undefined);
        assert.equal(digestHex(`sha256:${HEX}`), HEX);
        assert.equal(digestHex(HEX), HEX);
        assert.equal(shortDigest(HEX), `sha256:${HEX.slice(0, 12)}`);
        assert.equal(shortDigest(`sha256:${HEX}`), `sha256:${HEX.slice(0, 12)}`);
        assert.equal(tooShortMessage("abc", "abc"), `"abc" has 3 hex digits; a digest needs at least 12 (or all 64) to pick one image.`);
    });
});
