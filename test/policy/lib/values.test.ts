import * as assert from "node:assert/strict";
import { describe as describeValue, field, label, labelsOf, list, path, positiveNumber, raw, UNKNOWN } from "../../../policy/lib/values";
import { UNKNOWN_ARRAY, UNKNOWN_NUMBER, UNKNOWN_STRING } from "../../../harness/policy";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy<T>(v: T): T };

describe("policy/lib/values", () => {
    const props = unknownCheckingProxy({ image: UNKNOWN_STRING, memory: 256, nested: { a: { b: "c" } }, labels: [{ label: "k", value: "v" }, { label: "u", value: UNKNOWN_STRING }, { label: 1, value: "x" }] });

    it("reads through the SDK proxy without throwing, turning sentinels into UNKNOWN", () => {
        assert.throws(() => (props as { image: string }).image, /can't be known during preview/);
        assert.equal(field(props, "image"), UNKNOWN);
        assert.equal(field(props, "memory"), 256);
        assert.equal(field(props, "missing"), undefined);
        assert.equal(path(props, "nested", "a", "b"), "c");
        assert.equal(path(props, "image", "x"), UNKNOWN);
        assert.ok(typeof raw(props) === "object");
    });
    it("lists: array, UNKNOWN, or undefined for non-arrays", () => {
        assert.equal(list(UNKNOWN_ARRAY), UNKNOWN);
        assert.equal(list("nope"), undefined);
        assert.deepEqual(list([1, UNKNOWN_NUMBER]), [1, UNKNOWN]);
    });
    it("labels: list or map form, unknown values kept, malformed entries counted", () => {
        const l = labelsOf(field(props, "labels"));
        assert.equal(label(l, "k"), "v");
        assert.equal(label(l, "u"), UNKNOWN);
        assert.equal(l.malformed, 1);
        assert.equal(label(labelsOf({ a: "b" }), "a"), "b");
        const unknown = labelsOf(UNKNOWN_ARRAY);
        assert.equal(unknown.unknown, true);
        assert.equal(label(unknown, "anything"), UNKNOWN);
    });
    it("positive numbers from numbers and numeric strings only", () => {
        assert.equal(positiveNumber("0.5"), 0.5);
        assert.equal(positiveNumber(2), 2);
        assert.equal(positiveNumber(0), undefined);
        assert.equal(positiveNumber("lots"), undefined);
        assert.equal(positiveNumber(UNKNOWN_NUMBER), UNKNOWN);
    });
    it("describes values for messages", () => {
        assert.equal(describeValue(UNKNOWN), "unknown during preview");
        assert.equal(describeValue(undefined), "missing");
        assert.equal(describeValue("x"), `"x"`);
        assert.equal(describeValue(3), "number 3");
        assert.equal(describeValue([]), "an array");
    });
});
