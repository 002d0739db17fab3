import * as assert from "node:assert/strict";
import { insideRoots } from "../../../policy/policies/lyra-host-binds-in-workspace";
import { expectMessages, violationsOf } from "../check";
import { lyraEstate } from "../../../harness/policy-fixtures";

const P = "lyra-host-binds-in-workspace";

describe(P, () => {
    it("insideRoots resolves .. and respects path boundaries", () => {
        assert.equal(insideRoots("/home/dev/src", ["/home"]), true);
        assert.equal(insideRoots("/home", ["/home/"]), true);
        assert.equal(insideRoots("/homework", ["/home"]), false);
        assert.equal(insideRoots("/home/../etc", ["/home"]), false);
        assert.equal(insideRoots("relative/path", ["/home"]), false);
    });
    it("accepts a bind inside the default workspace roots", async () => expectMessages(await violationsOf(P, lyraEstate()), []));
    it("refuses a bind of the Docker socket", async () => {
        const e = lyraEstate();
        (e.get("web-container").props.volumes as object[]).push({ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" });
        expectMessages(await violationsOf(P, e), [[`host bind "/var/run/docker.sock" is outside the workspace`]]);
    });
    it("refuses a bind mount (mounts[type=bind]) outside", async () => {
        const e = lyraEstate();
        e.get("web-container").props.mounts = [{ type: "bind", source: "/etc", target: "/host-etc" }];
        expectMessages(await violationsOf(P, e), [[`"/etc"`]]);
    });
    it("uses workspaceRoots from the policy config", async () => {
        const vs = await violationsOf(P, lyraEstate(), { config: { [P]: { workspaceRoots: ["/srv/workspace"] } } });
        expectMessages(vs, [[`"/home/dev/src/web"`, "/srv/workspace"]]);
    });
});
