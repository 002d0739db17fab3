import { strict as assert } from "node:assert";
import { ValidationError } from "../../../lib/errors";
import { assertRule, checkDigestInput, checkTagCharset, checkTagPolicy, isChannelTag, isSemverReleaseTag, MESSAGES, toFullDigest } from "../../../lib/rules/tags";

const HEX = "a1b2c3d4e5f6789012345678901234567890abcdef1234567890abcdef123456";

describe("lib/rules (seed 004)", () => {
    it("uses seed 004's exact messages", () => {
        assert.deepEqual(MESSAGES, {
            digest: "Digest must be 64 hex characters",
            tagCharset: "Tag contains invalid characters",
            tagPolicy: "Tag does not match required patterns",
            tagExists: "Tag already exists",
            digestMissing: "Source digest not found",
        });
    });

    describe("checkDigestInput", () => {
        it("accepts exactly 64 lowercase hex characters (the seed's example)", () => {
            assert.deepEqual(checkDigestInput(HEX), { ok: true });
        });
        const invalid: [unknown, RegExp][] = [
            [`sha256:${HEX}`, /Remove the sha256: prefix/],
            [HEX.slice(1), /64 lowercase hex/],
            [`${HEX}0`, /64 lowercase hex/],
            [HEX.toUpperCase(), /64 lowercase hex/],
            [`${HEX.slice(1)}g`, /64 lowercase hex/],
            ["", /64 lowercase hex/],
            [` ${HEX.slice(1)}`, /64 lowercase hex/],
            [undefined, /64 lowercase hex/],
            [1234, /64 lowercase hex/],
        ];
        for (const [input, fix] of invalid) {
            it(`refuses ${JSON.stringify(input)?.slice(0, 30) ?? "undefined"} with "Digest must be 64 hex characters"`, () => {
                const r = checkDigestInput(input);
                assert.equal(r.ok, false);
                if (!r.ok) {
                    assert.equal(r.message, "Digest must be 64 hex characters");
                    assert.match(r.fix, fix);
                }
            });
        }
        it("toFullDigest prefixes a valid input and throws a ValidationError naming the field otherwise", () => {
            assert.equal(toFullDigest(HEX), `sha256:${HEX}`);
            assert.throws(() => toFullDigest(`sha256:${HEX}`), (e: unknown) => e instanceof ValidationError && e.field === "digest" && e.message.startsWith("Digest must be 64 hex characters."));
        });
    });

    describe("checkTagCharset", () => {
        for (const tag of ["v1.0.0", "stable", "my_feature-1.2", "6350192", "A", "a".repeat(128)]) {
            it(`accepts ${tag.slice(0, 20)}`, () => assert.deepEqual(checkTagCharset(tag), { ok: true }));
        }
        for (const tag of ["", "has space", "slash/tag", "colon:tag", "at@tag", ".dot", "-dash", "a".repeat(129), "ünïcode", "v1+build"]) {
            it(`refuses ${JSON.stringify(tag.slice(0, 20))} with "Tag contains invalid characters"`, () => {
                const r = checkTagCharset(tag);
                assert.equal(r.ok, false);
                if (!r.ok) assert.equal(r.message, "Tag contains invalid characters");
            });
        }
        it("refuses a non-string", () => assert.equal(checkTagCharset(7).ok, false));
    });

    describe("checkTagPolicy", () => {
        const allowed = ["v1.2.3", "v0.0.1", "v10.20.30", "v1.0.0-rc.1", "v2.3.4-beta.2", "v1.0.0-alpha", "stable", "latest"];
        for (const tag of allowed) {
            it(`accepts ${tag}`, () => assert.deepEqual(checkTagPolicy(tag), { ok: true }));
        }
        const refused = ["v1.2", "1.0.0", "my-feature", "test", "prod-candidate", "release-2024", "hotfix-friday", "v1", "V1.2.3", "v01.2.3", "v1.2.3.4", "Stable", "LATEST", "v1.0.0-"];
        for (const tag of refused) {
            it(`refuses ${tag} with "Tag does not match required patterns"`, () => {
                const r = checkTagPolicy(tag);
                assert.equal(r.ok, false);
                if (!r.ok) {
                    assert.equal(r.message, "Tag does not match required patterns");
                    assert.match(r.fix, /allowNonSemver with a justification/);
                }
            });
        }
        it("lets the bypass through only with a non-empty justification", () => {
            assert.deepEqual(checkTagPolicy("emergency-hotfix-2024-01-15", { allowNonSemver: true, justification: "CVE fix before v1.4.0 is ready, issue #12" }), { ok: true });
            for (const justification of [undefined, "", "   "]) {
                const r = checkTagPolicy("my-feature", { allowNonSemver: true, ...(justification !== undefined ? { justification } : {}) });
                assert.equal(r.ok, false, String(justification));
                if (!r.ok) assert.equal(r.message, "Tag does not match required patterns: allowNonSemver needs a justification");
            }
            const r = checkTagPolicy("my-feature", { allowNonSemver: false, justification: "reason given but no bypass" });
            assert.equal(r.ok, false);
        });
        it("classifies semver release and channel tags", () => {
            assert.ok(isSemverReleaseTag("v1.0.0-rc.1"));
            assert.equal(isSemverReleaseTag("1.0.0"), false);
            assert.ok(isChannelTag("stable") && isChannelTag("latest"));
            assert.equal(isChannelTag("edge"), false);
        });
    });

    it("assertRule throws the message and the fix, naming the field", () => {
        assert.doesNotThrow(() => assertRule("tag", checkTagPolicy("v1.0.0")));
        assert.throws(() => assertRule("tag", checkTagPolicy("v1.2")), (e: unknown) =>
            e instanceof ValidationError && e.field === "tag" && /^Tag does not match required patterns\. Use vX\.Y\.Z/.test(e.message));
    });
});
