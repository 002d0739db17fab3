import { strict as assert } from "node:assert";
import { ValidationError } from "../../../lib/errors";
import { formatReference, isFullDigest, isLoopbackRegistry, parseReference, pinnedReference } from "../../../lib/rules/reference";

const D = `sha256:${"ab".repeat(32)}`;

describe("lib/reference", () => {
    describe("parseReference accepts", () => {
        const valid: [string, string | undefined, object][] = [
            ["127.0.0.1:5000/rednaw/hello-world", undefined, { registry: "127.0.0.1:5000", repository: "rednaw/hello-world" }],
            ["127.0.0.1:5000/rednaw/hello-world:6350192", undefined, { registry: "127.0.0.1:5000", repository: "rednaw/hello-world", tag: "6350192" }],
            [`registry.example.com/app@${D}`, undefined, { registry: "registry.example.com", repository: "app", digest: D }],
            [`registry.example.com:443/a/b/c:v1.0.0-rc.1@${D}`, undefined, { registry: "registry.example.com:443", repository: "a/b/c", tag: "v1.0.0-rc.1", digest: D }],
            ["localhost/app:latest", undefined, { registry: "localhost", repository: "app", tag: "latest" }],
            ["[::1]:5000/app", undefined, { registry: "[::1]:5000", repository: "app" }],
            ["rednaw/hello-world", "127.0.0.1:5000", { registry: "127.0.0.1:5000", repository: "rednaw/hello-world" }],
            ["app:v1", "reg.local:5000", { registry: "reg.local:5000", repository: "app", tag: "v1" }],
            ["ghcr.io/afewell-hh/hoss/hhfab", undefined, { registry: "ghcr.io", repository: "afewell-hh/hoss/hhfab" }],
            ["reg.io/a__b/c.d/e-f--g", undefined, { registry: "reg.io", repository: "a__b/c.d/e-f--g" }],
        ];
        for (const [text, def, expected] of valid) {
            it(`${text}${def ? ` (default ${def})` : ""}`, () => assert.deepEqual(parseReference(text, def), expected));
        }
    });

    describe("parseReference refuses, saying why", () => {
        const invalid: [string, RegExp][] = [
            ["", /it is empty/],
            [" reg.io/app", /white space/],
            ["reg.io/my app", /white space/],
            ["rednaw/hello-world", /names no registry host/],
            ["reg.io/App", /lowercase path components/],
            ["reg.io/app:", /tag ""/],
            ["reg.io/app:bad!tag", /tag "bad!tag"/],
            ["reg.io/app:-x", /tag "-x"/],
            [`reg.io/app:${"a".repeat(129)}`, /longer than 128/],
            ["reg.io/app@sha256:abc", /digest "sha256:abc" is not sha256: followed by 64/],
            [`reg.io/app@${"ab".repeat(32)}`, /is not sha256:/],
            [`reg.io/app@sha256:${"AB".repeat(32)}`, /lowercase hex/],
            ["reg.io//app", /lowercase path components/],
            ["reg.io/app/", /lowercase path components/],
            ["bad_host.io:99999x/app", /registry "bad_host.io:99999x"/],
            [`reg.io/${"a".repeat(256)}`, /longer than 255/],
        ];
        for (const [text, message] of invalid) {
            it(JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text), () => {
                assert.throws(() => parseReference(text), (e: unknown) => {
                    assert.ok(e instanceof ValidationError);
                    assert.equal(e.field, "image");
                    assert.match(e.message, message);
                    assert.match(e.message, /Use host\[:port\]\/path/);
                    return true;
                });
            });
        }
        it("names the field it was given", () => {
            assert.throws(() => parseReference("x", undefined, "apps.web.image"), (e: unknown) => e instanceof ValidationError && e.field === "apps.web.image");
        });
    });

    it("formats references back, round-tripping what it parsed", () => {
        for (const text of ["127.0.0.1:5000/a/b", "reg.io/a:v1", `reg.io/a@${D}`, `reg.io/a:v1@${D}`]) {
            assert.equal(formatReference(parseReference(text)), text);
        }
        assert.equal(formatReference(parseReference(`reg.io/a:v1@${D}`), { pinned: true }), `reg.io/a@${D}`);
        assert.throws(() => formatReference(parseReference("reg.io/a:v1"), { pinned: true }), /Resolve the tag first/);
        assert.equal(pinnedReference("reg.io", "a/b", D), `reg.io/a/b@${D}`);
    });

    it("recognises full digests only", () => {
        assert.ok(isFullDigest(D));
        for (const bad of ["ab".repeat(32), `sha256:${"ab".repeat(31)}`, `sha512:${"ab".repeat(32)}`, `sha256:${"AB".repeat(32)}`, undefined, 42]) {
            assert.equal(isFullDigest(bad), false, String(bad));
        }
    });

    it("treats only loopback hosts as loopback", () => {
        for (const r of ["127.0.0.1", "127.0.0.1:5000", "127.1.2.3:80", "localhost", "localhost:5000", "[::1]:5000"]) assert.ok(isLoopbackRegistry(r), r);
        for (const r of ["registry.example.com", "10.0.0.1:5000", "localhost.example.com", "127.0.0.1.nip.io", "[::2]:5000", "128.0.0.1"]) assert.equal(isLoopbackRegistry(r), false, r);
    });
});
