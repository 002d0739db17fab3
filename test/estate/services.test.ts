import { strict as assert } from "node:assert";
import { buildAndPush, dockerEngine, sharedTestRegistry } from "../../estate/services";

describe("test services (real docker.io engine and Distribution v3 registry)", () => {
    it("builds a labelled image, pushes it and the registry serves its manifest by digest", async () => {
        const reg = await sharedTestRegistry();
        const digest = await buildAndPush({ repository: `${reg.registry}/selftest/app`, tags: ["a1"], labels: { "x.y": "z" } });
        assert.match(digest, /^sha256:[0-9a-f]{64}$/);
        const res = await fetch(`${reg.url}/v2/selftest/app/manifests/${digest}`, {
            method: "HEAD",
            headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("docker-content-digest"), digest);
        const { docker } = await dockerEngine();
        const { stdout } = await docker(["run", "--rm", "--network=none", `${reg.registry}/selftest/app@${digest}`]);
        assert.match(stdout, /selftest\/app/);
    });
});
