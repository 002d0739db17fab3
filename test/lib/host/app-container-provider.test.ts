import * as assert from "node:assert/strict";
import { KINDS } from "../../../lib/contract";
import { specHash } from "../../../lib/host/app-container";
import { type AppContainerInputs, type AppContainerOutputs, createAppContainerProvider, failureMessage, specOf } from "../../../lib/host/app-container-provider";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function inputs(over: Partial<AppContainerInputs> = {}): AppContainerInputs {
    const base = {
        kind: KINDS.appContainer,
        // Nothing listens on port 1: the host gives no opinion, so only the state decides.
        endpoint: "ssh://deploy@127.0.0.1:1",
        sshOpts: ["-o", "ConnectTimeout=2"],
        name: "web",
        image: `reg/team/web@sha256:${"a".repeat(64)}`,
        labels: [{ label: "image-lifecycle.digest", value: `sha256:${"a".repeat(64)}` }],
        envs: ["A=1"],
        ports: [],
        volumes: [],
        networksAdvanced: [{ name: "proxima-core" }],
        memory: 64,
        memorySwap: 64,
        cpus: "0.5",
        restart: "unless-stopped",
        logDriver: "json-file",
        logOpts: { "max-size": "10m", "max-file": "3" },
        privileged: false,
        recordPath: "/opt/o/web/deploy-info.yml",
        record: "app: \"web\"\n",
        history: { verified: "{}", failed: "{}", restored: "{}" },
        waitSeconds: 120,
        ...over,
    } as Omit<AppContainerInputs, "spec">;
    return { ...base, spec: specHash(specOf(base)) } as AppContainerInputs;
}

function state(i: AppContainerInputs, over: Partial<AppContainerOutputs> = {}): AppContainerOutputs {
    const running = { id: "c", digest: `sha256:${"a".repeat(64)}`, spec: i.spec, tag: "", status: "running", health: "", startedAt: "t" };
    return { ...i, running, runningDigest: running.digest, failure: "", ...over };
}

describe("lib/host/app-container-provider: diff", function () {
    this.timeout(30000);
    const provider = createAppContainerProvider({ unknown: UNKNOWN });

    it("sees no change when only the order of keys differs between the state and the program", async () => {
        // The serialized provider carries the unknown sentinel in its source text; it is not an unknown input.
        const news = { ...inputs(), __provider: `exports.handler = { unknown: "${UNKNOWN}" }` } as AppContainerInputs;
        const olds = state({ ...news, history: { restored: "{}", failed: "{}", verified: "{}" }, logOpts: { "max-file": "3", "max-size": "10m" } });
        assert.deepEqual(await provider.diff("web", olds, news), { changes: false });
    });

    it("deploys when a setting changes, when the last deploy failed, or when the host ran something else", async () => {
        const news = inputs();
        assert.equal((await provider.diff("web", state(inputs({ envs: ["A=2"] })), news)).changes, true);
        assert.equal((await provider.diff("web", state(news, { failure: "web: failed verification" }), news)).changes, true);
        assert.equal((await provider.diff("web", state(news, { running: undefined }), news)).changes, true);
        assert.equal((await provider.diff("web", state(news), { ...news, image: UNKNOWN })).changes, true);
    });

    it("names the app, the digest that failed, why, and what runs now", () => {
        const i = inputs();
        assert.match(failureMessage(i, "state running, unhealthy", `sha256:${"b".repeat(64)}`, undefined), /^web: sha256:a{64} failed verification on ssh:\/\/deploy@127\.0\.0\.1:1 \(state running, unhealthy\)\. The previous digest sha256:b{64} runs again/);
        assert.match(failureMessage(i, "exit 3", undefined, undefined), /No previous container existed, so nothing runs for web now/);
    });
});
