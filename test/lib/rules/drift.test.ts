import * as assert from "node:assert/strict";
import { LIFECYCLE, NAMES } from "../../../lib/contract";
import { ContainerFact, DesiredApp, DriftCode, FixStep, HostFacts, HostObservation, joinHosts } from "../../../lib/rules/drift";
import { DeployRecord } from "../../../lib/rules/deploy-record";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const CORE = "ssh://deploy@core:22";
const MON = "ssh://deploy@monitoring:22";

function product(app: string, cls: string, digest: string, over: Partial<ContainerFact> = {}): ContainerFact {
    return {
        id: `id-${app}`, name: app, image: `reg/${app}@${digest}`, digest, state: "running", restartCount: 0, startedAt: "2026-12-01T10:00:00Z",
        labels: { [LIFECYCLE.stack]: "proxima", [LIFECYCLE.class]: cls, [LIFECYCLE.app]: app, [LIFECYCLE.digest]: digest, [LIFECYCLE.record]: NAMES.deployRecord("org", app) },
        ...over,
    };
}

function record(app: string, digest: string): { record: DeployRecord } {
    return { record: { app, image: `reg/${app}`, digest, deployed_at: "2026-12-01T10:00:05Z", deployed_by: "alice" } };
}

const APPS: DesiredApp[] = [
    { name: "web", class: "core", configuredDigest: D("a") },
    { name: "api", class: "core", configuredDigest: D("b") },
    { name: "metrics", class: "monitoring", configuredDigest: D("c") },
];

/** A clean estate: every app runs its configured digest, as its record says. */
function clean(): { core: HostFacts; monitoring: HostFacts } {
    return {
        core: { containers: [product("web", "core", D("a")), product("api", "core", D("b"))], records: { web: record("web", D("a")), api: record("api", D("b")) }, histories: {} },
        monitoring: { containers: [product("metrics", "monitoring", D("c"))], records: { metrics: record("metrics", D("c")) }, histories: {} },
    };
}

function observe(f: { core: HostFacts | { unreachable: string }; monitoring: HostFacts | { unreachable: string } }): HostObservation[] {
    return [{ endpoint: CORE, classes: ["core"], facts: f.core }, { endpoint: MON, classes: ["monitoring"], facts: f.monitoring }];
}

describe("lib/rules/drift: the stack joined with what its hosts say", () => {
    it("a clean estate has no drift, and each app is its container, digest and record", () => {
        const j = joinHosts(APPS, observe(clean()));
        assert.deepEqual(j.drift, []);
        const web = j.apps.find((a) => a.app === "web")!;
        assert.equal(web.runningDigest, D("a"));
        assert.equal(web.record?.deployed_by, "alice");
        assert.equal(web.endpoint, CORE);
    });

    const cases: { name: string; mutate: (f: ReturnType<typeof clean>) => void; want: { code: DriftCode; app?: string; container?: string; class: string; message: RegExp; fix: FixStep[] }[] }[] = [
        {
            name: "configured digest differs from the running one (a pending change)",
            mutate: (f) => { f.core.containers[0] = product("web", "core", D("9")); f.core.records.web = record("web", D("9")); },
            want: [{ code: "digest-differs", app: "web", container: "web", class: "core", message: /the stack asks for aaaaaaaaaaaa, web runs 999999999999/, fix: [{ kind: "up" }] }],
        },
        {
            name: "a record edited by hand (says another digest than the container runs)",
            mutate: (f) => { f.core.records.web = record("web", D("e")); },
            want: [{ code: "record-differs", app: "web", container: "web", class: "core", message: /record says eeeeeeeeeeee, its container runs aaaaaaaaaaaa/, fix: [{ kind: "up" }] }],
        },
        {
            name: "a record that is not a record",
            mutate: (f) => { f.core.records.web = { error: "deploy-info.yml is not a deploy record: digest: expected …" }; },
            want: [{ code: "record-differs", app: "web", container: "web", class: "core", message: /cannot be read: deploy-info\.yml is not a deploy record/, fix: [{ kind: "up" }] }],
        },
        {
            name: "no record beside a running container",
            mutate: (f) => { delete f.core.records.api; },
            want: [{ code: "record-missing", app: "api", container: "api", class: "core", message: /api runs without a deploy record \(\/opt\/org\/api\/deploy-info\.yml\)/, fix: [{ kind: "up" }] }],
        },
        {
            name: "a stopped container",
            mutate: (f) => { f.core.containers[1].state = "exited"; },
            want: [{ code: "not-running", app: "api", container: "api", class: "core", message: /api is exited, not running/, fix: [{ kind: "on-host", endpoint: CORE, argv: ["docker", "start", "api"] }] }],
        },
        {
            name: "a restarting container",
            mutate: (f) => { Object.assign(f.core.containers[1], { state: "restarting", restartCount: 7 }); },
            want: [{ code: "restarting", app: "api", container: "api", class: "core", message: /api is restarting \(7 restarts\)/, fix: [{ kind: "roll-back", app: "api" }] }],
        },
        {
            name: "an unhealthy container",
            mutate: (f) => { f.monitoring.containers[0].health = "unhealthy"; },
            want: [{ code: "unhealthy", app: "metrics", container: "metrics", class: "monitoring", message: /healthcheck fails/, fix: [{ kind: "roll-back", app: "metrics" }] }],
        },
        {
            name: "configured but absent",
            mutate: (f) => { f.monitoring.containers = []; },
            want: [{ code: "absent", app: "metrics", class: "monitoring", message: /metrics is configured for monitoring but no container metrics is there/, fix: [{ kind: "up" }] }],
        },
        {
            name: "the app's container replaced by hand with another digest (no product labels)",
            mutate: (f) => { f.core.containers[0] = { id: "x", name: "web", image: `reg/web@${D("1")}`, digest: D("1"), labels: {}, state: "running", restartCount: 0 }; },
            want: [{ code: "replaced-by-hand", app: "web", container: "web", class: "core", message: /web's container was not created by image-lifecycle .* it runs reg\/web@sha256:1111/, fix: [{ kind: "up" }] }],
        },
        {
            name: "a container started by hand on a class host",
            mutate: (f) => { f.core.containers.push({ id: "y", name: "scratchpad", image: "busybox", labels: {}, state: "running", restartCount: 0 }); },
            want: [{ code: "unmanaged-container", container: "scratchpad", class: "core", message: /scratchpad \(busybox\) was not created by image-lifecycle/, fix: [{ kind: "on-host", endpoint: CORE, argv: ["docker", "rm", "-f", "scratchpad"] }] }],
        },
        {
            name: "a product container the stack does not have (running but not in the stack)",
            mutate: (f) => { f.core.containers.push(product("old-app", "core", D("5"))); },
            want: [{ code: "not-in-stack", container: "old-app", class: "core", message: /old-app \(app old-app\) runs here but the stack has no such app in core/, fix: [{ kind: "on-host", endpoint: CORE, argv: ["docker", "rm", "-f", "old-app"] }] }],
        },
        {
            name: "a container carrying another class's label",
            mutate: (f) => { f.monitoring.containers.push({ id: "z", name: "intruder", image: "busybox", labels: { [LIFECYCLE.class]: "core" }, state: "running", restartCount: 0 }); },
            want: [{ code: "other-class", container: "intruder", class: "monitoring", message: /intruder carries class core on monitoring's host/, fix: [{ kind: "on-host", endpoint: MON, argv: ["docker", "rm", "-f", "intruder"] }] }],
        },
        {
            name: "a stack app's container on another class's host",
            mutate: (f) => { f.monitoring.containers.push(product("web", "core", D("a"))); },
            want: [{ code: "other-class", container: "web", class: "monitoring", message: /web carries class core on monitoring's host/, fix: [{ kind: "on-host", endpoint: MON, argv: ["docker", "rm", "-f", "web"] }] }],
        },
        {
            name: "a container left from an interrupted deploy",
            mutate: (f) => { f.core.containers.push(product("web", "core", D("8"), { name: NAMES.previousContainer("web"), state: "exited" })); },
            want: [{ code: "interrupted-deploy", app: "web", container: "web.previous", class: "core", message: /web\.previous is left from an interrupted deploy of web/, fix: [{ kind: "up" }] }],
        },
    ];

    for (const c of cases) {
        it(`names ${c.name}, with its fix`, () => {
            const f = clean();
            c.mutate(f);
            const j = joinHosts(APPS, observe(f));
            assert.deepEqual(j.drift.map((d) => d.code), c.want.map((w) => w.code), JSON.stringify(j.drift, null, 1));
            j.drift.forEach((d, i) => {
                const w = c.want[i];
                assert.equal(d.app, w.app);
                assert.equal(d.container, w.container);
                assert.equal(d.class, w.class);
                assert.match(d.message, w.message);
                assert.deepEqual(d.fix, w.fix);
            });
        });
    }

    it("an unreachable host: its apps say why and carry no drift; the other host is still judged", () => {
        const f = clean();
        f.monitoring.containers[0].state = "exited";
        const j = joinHosts(APPS, observe({ core: { unreachable: "ssh://deploy@core:22 did not answer: Connection refused" }, monitoring: f.monitoring }));
        const web = j.apps.find((a) => a.app === "web")!;
        assert.match(web.unreachable!, /Connection refused/);
        assert.equal(web.container, undefined);
        assert.deepEqual(j.drift.map((d) => [d.code, d.app]), [["not-running", "metrics"]]);
    });

    it("classes sharing one host: a container of either class is at home there", () => {
        const f = clean();
        const shared: HostFacts = { containers: [...f.core.containers, ...f.monitoring.containers], records: { ...f.core.records, ...f.monitoring.records }, histories: {} };
        const j = joinHosts(APPS, [{ endpoint: CORE, classes: ["core", "monitoring"], facts: shared }]);
        assert.deepEqual(j.drift, []);
        assert.equal(j.apps.find((a) => a.app === "metrics")!.runningDigest, D("c"));
    });

    it("a class with no host in the stack says so on its apps", () => {
        const j = joinHosts(APPS, [{ endpoint: CORE, classes: ["core"], facts: clean().core }]);
        assert.match(j.apps.find((a) => a.app === "metrics")!.unreachable!, /class monitoring has no host/);
    });

    it("the history travels with the app, oldest first", () => {
        const f = clean();
        const e = (digest: string, outcome: "verified" | "failed") => ({ app: "web", image: "reg/web", digest, at: "2026-12-01T10:00:00Z", by: "bob", outcome });
        f.core.histories.web = { entries: [e(D("9"), "verified"), e(D("a"), "verified")], skipped: 1 };
        const web = joinHosts(APPS, observe(f)).apps.find((a) => a.app === "web")!;
        assert.deepEqual(web.history.map((h) => h.digest), [D("9"), D("a")]);
        assert.equal(web.historySkipped, 1);
    });
});
