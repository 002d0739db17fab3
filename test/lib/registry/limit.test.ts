import { strict as assert } from "node:assert";
import { mapLimit } from "../../../lib/registry/limit";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("lib/registry/limit mapLimit", () => {
    it("keeps input order and never runs more than the limit at once", async () => {
        let running = 0;
        let peak = 0;
        const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (n, i) => {
            running++;
            peak = Math.max(peak, running);
            await tick(n * 3);
            running--;
            return `${i}:${n * 10}`;
        });
        assert.deepEqual(out, ["0:50", "1:10", "2:40", "3:20", "4:30", "5:0", "6:60"]);
        assert.equal(peak, 3);
    });

    it("stops starting new work after the first failure and rejects with it", async () => {
        const started: number[] = [];
        await assert.rejects(
            mapLimit([0, 1, 2, 3, 4, 5, 6, 7], 2, async (n) => {
                started.push(n);
                await tick(2);
                if (n === 1) throw new Error("boom 1");
                return n;
            }),
            /boom 1/,
        );
        assert.ok(started.length < 8, `started ${started.join(",")}`);
    });

    it("handles an empty list and refuses a bad limit", async () => {
        assert.deepEqual(await mapLimit([], 4, async () => 1), []);
        await assert.rejects(mapLimit([1], 0, async (n) => n), RangeError);
    });
});
