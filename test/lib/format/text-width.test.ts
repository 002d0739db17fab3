import { strict as assert } from "node:assert";
import { displayWidth, padEndToWidth, truncateToWidth } from "../../../lib/format/text-width";

describe("lib/text-width", () => {
    it("counts CJK and emoji as two columns, combining marks and joiners as none", () => {
        assert.equal(displayWidth("abc"), 3);
        assert.equal(displayWidth("健康检查"), 8);
        assert.equal(displayWidth("✅ ok"), 5);
        assert.equal(displayWidth("🚀"), 2);
        assert.equal(displayWidth("e\u0301"), 1);
        assert.equal(displayWidth("ｆｕｌｌ"), 8);
    });

    it("cuts to columns with …, never splitting a wide character", () => {
        assert.equal(truncateToWidth("健康检查 timeout", 6), "健康…");
        assert.equal(truncateToWidth("健康检查", 8), "健康检查");
        assert.equal(truncateToWidth("健康检查", 4), "健…");
        assert.equal(truncateToWidth("abcdef", 4), "abc…");
        assert.equal(displayWidth(truncateToWidth("✅✅✅✅", 5)), 5);
        assert.equal(padEndToWidth("健康", 6), "健康  ");
    });
});
