import { strict as assert } from "node:assert";
import { isPrintable, mdCode, mdFence, mdWord, printable, quoteValue, safeJson } from "../../../lib/format/text";

describe("lib/text: registry content is data", () => {
    it("removes escape sequences and replaces other controls; keeps newlines and tabs only when asked", () => {
        assert.equal(printable("a\u001b[31mred\u001b[0m b"), "ared b");
        assert.equal(printable("title\u001b]0;owned\u0007 here"), "title here");
        assert.equal(printable("link\u001b]8;;https://evil.example/\u001b\\x"), "linkx");
        assert.equal(printable("c1\u009b31m csi"), "c1 csi");
        assert.equal(printable("a\u0000b\u0007c\u007fd\u0085e"), "a b c d e");
        assert.equal(printable("line1\r\nline2\rline3\tend"), "line1 line2 line3 end");
        assert.equal(printable("line1\r\nline2\tend", { multiline: true }), "line1\nline2\tend");
        assert.equal(printable("abc\u202edcba\u2066x\u2069\u200f"), "abcdcbax", "bidi overrides, isolates and marks removed");
        assert.equal(printable("漢字 🚀 é"), "漢字 🚀 é", "ordinary Unicode stays");
        assert.equal(printable(undefined), "undefined");
    });

    it("cuts long values with a count, by code points", () => {
        assert.equal(quoteValue("x".repeat(5000)), `${"x".repeat(200)}… (4800 more characters)`);
        assert.equal(printable("🚀🚀🚀", { max: 2 }), "🚀🚀… (1 more characters)");
        assert.ok(isPrintable("plain\ttext\n"));
        assert.ok(!isPrintable("bad\u001b[2J"));
    });

    it("fences Markdown so no value can close its span or block", () => {
        assert.equal(mdCode("v1.0.0"), "`v1.0.0`");
        assert.equal(mdCode("a`b"), "``a`b``");
        assert.equal(mdCode("`x`"), "`` `x` ``");
        assert.equal(mdCode("x\n# heading"), "`x # heading`");
        assert.equal(mdWord("linux/arm64/v8"), "linux/arm64/v8");
        assert.equal(mdWord("[x](http://e)"), "`[x](http://e)`");
        assert.equal(mdWord("__bold__"), "`__bold__`");
        assert.equal(mdFence("no fences"), "```");
        assert.equal(mdFence("a\n````\nb"), "`````");
    });

    it("safeJson keeps the data for a JSON reader and leaves nothing raw for a terminal", () => {
        const value = { d: "a\u001b[31m\u0085\u202e\u2028b" };
        const text = safeJson(value);
        assert.deepEqual(JSON.parse(text), value);
        assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/.test(text), text);
    });
});
