import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ValidationError } from "../../../lib/errors";
import { configFromStackFile, parseConfig, ProximaEstate, LyraEstate } from "../../../lib/config";
import { loadStackConfig } from "../../../harness/program";

const HEX = "a".repeat(64);
/** The shape of a cosign key pair's two files (values are not a real key: the parser checks the armour, cosign checks the key). */
const SIGNING = {
    cosignPublicKey: "-----BEGIN PUBLIC KEY-----\r\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\r\n-----END PUBLIC KEY-----\r\n",
    cosignKey: "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnsibmFtZSI6InNjcnlwdCJ9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----",
    cosignPassword: "key-Pa55",
};

function proxima(): any {
    return {
        registry: { host: "registry.example.org" },
        org: "giftfinder",
        classes: {
            core: { host: "ssh://deploy@core.lan", budget: { memoryMb: 1024, cpus: 1 } },
            monitoring: { host: "ssh://deploy@mon.lan", budget: { memoryMb: 512, cpus: 1 } },
        },
        apps: {
            web: { class: "core", image: "team/web", tag: "6350192", ports: [{ internal: 80, external: 8080 }], limits: { memoryMb: 256, cpus: 0.5 } },
            metrics: { class: "monitoring", image: "team/metrics", digest: `sha256:${HEX}`, limits: { memoryMb: 128, cpus: 0.25 } },
        },
    };
}

function lyra(): any {
    return {
        registry: { host: "127.0.0.1:5000" },
        lyra: { host: "unix:///var/run/docker.sock", workspace: "/home/dev/work" },
        devContainers: {
            web: { image: "team/web", tag: "dev", volumes: [{ containerPath: "/src", hostPath: "/home/dev/work/web" }, { containerPath: "/tmp/cache" }], limits: { memoryMb: 256, cpus: 0.5 } },
        },
    };
}

function problems(fn: () => unknown): string {
    try {
        fn();
    } catch (e) {
        assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${e}`);
        return e.message;
    }
    assert.fail("expected parseConfig to throw");
}

describe("lib/config parseConfig", () => {
    it("parses the shipped stack files", () => {
        const p = parseConfig(loadStackConfig("proxima"), "proxima") as ProximaEstate;
        assert.equal(p.stack, "proxima");
        assert.deepEqual(Object.keys(p.classes).sort(), ["core", "experimental", "monitoring"]);
        for (const klass of ["core", "monitoring", "experimental"]) assert.ok(p.apps.some((a) => a.class === klass), `no app in ${klass}`);
        assert.ok(p.releases.length >= 1);
        const l = parseConfig(loadStackConfig("lyra"), "lyra") as LyraEstate;
        assert.ok(l.devContainers.length >= 1);
    });

    it("normalises defaults and a bare 64-hex digest", () => {
        const raw = proxima();
        raw.apps.metrics.digest = HEX;
        const e = parseConfig(raw, "proxima") as ProximaEstate;
        const metrics = e.apps.find((a) => a.name === "metrics")!;
        assert.equal(metrics.digest, `sha256:${HEX}`);
        assert.equal(metrics.restart, "unless-stopped");
        assert.deepEqual(metrics.env, {});
        assert.equal(e.apps.find((a) => a.name === "web")!.ports[0].protocol, "tcp");
        assert.equal(e.registry.insecure, false);
    });

    const invalid: { name: string; stack: "proxima" | "lyra"; mutate: (raw: any) => void; expect: string[] }[] = [
        { name: "unknown class of an app", stack: "proxima", mutate: (r) => { r.apps.web.class = "database"; }, expect: ["apps.web.class: expected one of core, monitoring, experimental"] },
        { name: "class not configured", stack: "proxima", mutate: (r) => { r.apps.web.class = "experimental"; }, expect: ['apps.web.class: class "experimental" is not configured'] },
        { name: "unknown class under classes", stack: "proxima", mutate: (r) => { r.classes.storage = r.classes.core; }, expect: ["classes.storage: unknown class"] },
        { name: "neither tag nor digest", stack: "proxima", mutate: (r) => { delete r.apps.web.tag; }, expect: ["apps.web: neither tag nor digest given"] },
        { name: "malformed tag", stack: "proxima", mutate: (r) => { r.apps.web.tag = "-bad tag"; }, expect: ["apps.web.tag: Tag contains invalid characters"] },
        { name: "malformed digest", stack: "proxima", mutate: (r) => { r.apps.metrics.digest = "sha256:1234"; }, expect: ["apps.metrics.digest: Digest must be 64 hex characters"] },
        { name: "image with a host", stack: "proxima", mutate: (r) => { r.apps.web.image = "docker.io/team/web"; }, expect: ["apps.web.image: give the repository path only"] },
        { name: "image with a tag", stack: "proxima", mutate: (r) => { r.apps.web.image = "team/web:latest"; }, expect: ['apps.web.image: give the repository path only (e.g. team/web); put the tag in "tag"'] },
        { name: "malformed reference", stack: "proxima", mutate: (r) => { r.apps.web.image = "Team/Web"; }, expect: ["apps.web.image: Invalid image reference"] },
        { name: "port collision within a class", stack: "proxima", mutate: (r) => { r.apps.api = { ...r.apps.web, tag: "x1" }; r.classes.core.budget.memoryMb = 4096; }, expect: ["apps.api.ports.0.external: port 8080/tcp is already published by apps.web in class core"] },
        { name: "limits missing", stack: "proxima", mutate: (r) => { delete r.apps.web.limits; }, expect: ["apps.web.limits:"] },
        { name: "memory over the class budget", stack: "proxima", mutate: (r) => { r.apps.web.limits.memoryMb = 2000; }, expect: ["classes.core.budget.memoryMb: apps of class core need 2000 MiB in total, over the budget of 1024"] },
        { name: "cpus over the class budget", stack: "proxima", mutate: (r) => { r.apps.metrics.limits.cpus = 1.5; }, expect: ["classes.monitoring.budget.cpus: apps of class monitoring need 1.5 CPUs"] },
        { name: "unknown key in an app", stack: "proxima", mutate: (r) => { r.apps.web.replicas = 2; }, expect: ["apps.web.replicas: unknown key"] },
        { name: "unknown top-level key", stack: "proxima", mutate: (r) => { r.devContainers = {}; }, expect: ["devContainers: unknown key"] },
        { name: "bad app name", stack: "proxima", mutate: (r) => { r.apps.Web_1 = r.apps.web; delete r.apps.web; }, expect: ["apps.Web_1: the name must be lowercase"] },
        { name: "release digest with prefix", stack: "proxima", mutate: (r) => { r.releases = { rel: { image: "team/web", digest: `sha256:${HEX}`, tag: "v1.0.0" } }; }, expect: ["releases.rel.digest: Digest must be 64 hex characters. Remove the sha256: prefix"] },
        { name: "release tag policy", stack: "proxima", mutate: (r) => { r.releases = { rel: { image: "team/web", digest: HEX, tag: "v1.2" } }; }, expect: ["releases.rel.tag: Tag does not match required patterns"] },
        { name: "release bypass without justification", stack: "proxima", mutate: (r) => { r.releases = { rel: { image: "team/web", digest: HEX, tag: "hotfix", allowNonSemver: true } }; }, expect: ["releases.rel.tag: Tag does not match required patterns: allowNonSemver needs a justification"] },
        { name: "release break-glass without a reason", stack: "proxima", mutate: (r) => { r.releases = { rel: { image: "team/web", digest: HEX, tag: "v1.0.0", deleteTagOnDestroy: { reason: " " } } }; }, expect: ["releases.rel.deleteTagOnDestroy.reason: give the reason"] },
        { name: "gate without reviewers", stack: "proxima", mutate: (r) => { r.releaseGate = { repository: "team/web", reviewers: {} }; }, expect: ["releaseGate.reviewers: name at least one reviewer"] },
        { name: "password without username", stack: "proxima", mutate: (r) => { r.registryPassword = "pw"; }, expect: ["registry.username: registryPassword is set but registry.username is not"] },
        { name: "class host not ssh", stack: "proxima", mutate: (r) => { r.classes.core.host = "tcp://core:2375"; }, expect: ["classes.core.host: expected ssh://user@host[:port]"] },
        { name: "lyra bind mount outside the workspace", stack: "lyra", mutate: (r) => { r.devContainers.web.volumes[0].hostPath = "/etc"; }, expect: ["devContainers.web.volumes.0.hostPath: bind mount outside the workspace /home/dev/work"] },
        { name: "lyra bind mount escaping with ..", stack: "lyra", mutate: (r) => { r.devContainers.web.volumes[0].hostPath = "/home/dev/work/../../../etc"; }, expect: ["devContainers.web.volumes.0.hostPath: expected a normalised absolute path"] },
        { name: "lyra limits missing", stack: "lyra", mutate: (r) => { delete r.devContainers.web.limits; }, expect: ["devContainers.web.limits:"] },
        { name: "lyra restart policy is not configurable", stack: "lyra", mutate: (r) => { r.devContainers.web.restart = "always"; }, expect: ["devContainers.web.restart: unknown key"] },
        // JSON.parse makes "__proto__" an own key, as a stack file read from JSON or YAML can: it must be reported, not vanish.
        { name: "__proto__ under apps", stack: "proxima", mutate: (r) => { Object.defineProperty(r.apps, "__proto__", { value: { class: "core", image: "team/x", tag: "1" }, enumerable: true, configurable: true, writable: true }); }, expect: ['apps.__proto__: "__proto__" cannot be used as a name or key'] },
        { name: "__proto__ under releases", stack: "proxima", mutate: (r) => { r.releases = JSON.parse('{"__proto__": {"image": "team/web", "digest": "' + HEX + '", "tag": "v1.0.0"}}'); }, expect: ['releases.__proto__: "__proto__" cannot be used'] },
        { name: "__proto__ under env", stack: "proxima", mutate: (r) => { r.apps.web.env = JSON.parse('{"__proto__": "x"}'); }, expect: ['apps.web.env.__proto__: "__proto__" cannot be used'] },
        { name: "org with a dot run", stack: "proxima", mutate: (r) => { r.org = "a..b"; }, expect: ["org: expected a lowercase directory name"] },
        { name: "org ending in a dot", stack: "proxima", mutate: (r) => { r.org = "giftfinder."; }, expect: ["org: expected a lowercase directory name"] },
        { name: "published port over 65535", stack: "proxima", mutate: (r) => { r.apps.web.ports[0].external = 99999; }, expect: ["apps.web.ports.0.external:"] },
        { name: "class host port over 65535", stack: "proxima", mutate: (r) => { r.classes.core.host = "ssh://deploy@core.lan:99999"; }, expect: ["classes.core.host: the port must be 1 to 65535"] },
        { name: "registry port over 65535", stack: "proxima", mutate: (r) => { r.registry.host = "registry.example.org:99999"; }, expect: ["registry.host:"] },
        { name: "lyra tcp host port over 65535", stack: "lyra", mutate: (r) => { r.lyra.host = "tcp://dev:99999"; }, expect: ["lyra.host: the port must be 1 to 65535"] },
        { name: "a 1 MiB memory limit", stack: "proxima", mutate: (r) => { r.apps.web.limits.memoryMb = 1; }, expect: ["apps.web.limits.memoryMb: at least 6 MiB"] },
        { name: "cpus of 1e-9", stack: "proxima", mutate: (r) => { r.apps.web.limits.cpus = 1e-9; }, expect: ["apps.web.limits.cpus: at least 0.01 CPUs"] },
        { name: "a volume mounted at /", stack: "proxima", mutate: (r) => { r.apps.web.volumes = [{ name: "data", containerPath: "/" }]; }, expect: ["apps.web.volumes.0.containerPath: cannot be /"] },
        { name: "lyra volume mounted at /", stack: "lyra", mutate: (r) => { r.devContainers.web.volumes[1].containerPath = "/"; }, expect: ["devContainers.web.volumes.1.containerPath: cannot be /"] },
        { name: "signed release without the key pair", stack: "proxima", mutate: (r) => { r.releases = { rel: { image: "team/web", digest: HEX, tag: "v1.0.0", sign: true } }; }, expect: ["cosignPublicKey: required because releases.rel has sign: true", "cosignKey: required because releases.rel has sign: true; pulumi config set --secret cosignKey < cosign.key", "cosignPassword: required because releases.rel has sign: true"] },
        { name: "a public key that is a file name", stack: "proxima", mutate: (r) => { Object.assign(r, SIGNING); r.cosignPublicKey = "cosign.pub"; }, expect: ["cosignPublicKey: expected the text of cosign.pub (-----BEGIN PUBLIC KEY-----"] },
        { name: "an unencrypted or partial private key", stack: "proxima", mutate: (r) => { Object.assign(r, SIGNING); r.cosignKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"; }, expect: ["cosignKey: expected the whole text of cosign.key (-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"] },
        { name: "signing keys on the lyra stack", stack: "lyra", mutate: (r) => { Object.assign(r, SIGNING); }, expect: ["cosignKey: unknown key for the lyra stack"] },
        { name: "sshOpts that turn host-key checking off", stack: "proxima", mutate: (r) => { r.classes.core.sshOpts = ["-o", "StrictHostKeyChecking=no"]; }, expect: ['classes.core.sshOpts: "StrictHostKeyChecking=no" turns host-key checking off, which the product never does'] },
        { name: "lyra sshOpts with known_hosts in /dev/null", stack: "lyra", mutate: (r) => { r.lyra.sshOpts = ["-oUserKnownHostsFile=/dev/null"]; }, expect: ['lyra.sshOpts: "UserKnownHostsFile=/dev/null" turns host-key checking off'] },
        { name: "two apps whose volumes get one name on the host", stack: "proxima", mutate: (r) => { r.classes.core.budget.memoryMb = 4096; r.apps.api = { ...r.apps.web, ports: [], volumes: [{ name: "x-data", containerPath: "/d" }] }; r.apps["api-x"] = { ...r.apps.web, ports: [], volumes: [{ name: "data", containerPath: "/d" }] }; }, expect: ['apps.api-x.volumes: volume "data" is named core-api-x-data on the host, as apps.api\'s volume "x-data" is; rename one of the two volumes'] },
        { name: "sign not a boolean", stack: "proxima", mutate: (r) => { Object.assign(r, SIGNING); r.releases = { rel: { image: "team/web", digest: HEX, tag: "v1.0.0", sign: "yes" } }; }, expect: ["releases.rel.sign:"] },
    ];
    for (const c of invalid) {
        it(`rejects: ${c.name}`, () => {
            const raw = c.stack === "proxima" ? proxima() : lyra();
            c.mutate(raw);
            const message = problems(() => parseConfig(raw, c.stack));
            for (const e of c.expect) assert.ok(message.includes(e), `expected "${e}" in:\n${message}`);
        });
    }

    it("a signed release gets the stack's key pair, PEMs normalised; an unsigned one does not sign", () => {
        const raw = { ...proxima(), ...SIGNING, releases: { a: { image: "team/web", digest: HEX, tag: "v1.0.0", sign: true }, b: { image: "team/web", digest: HEX, tag: "v1.0.1" } } };
        const e = parseConfig(raw, "proxima") as ProximaEstate;
        assert.deepEqual(e.signing, {
            publicKey: "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n",
            privateKey: `${SIGNING.cosignKey}\n`,
            password: "key-Pa55",
        });
        assert.deepEqual(e.releases.map((r) => [r.name, r.sign]), [["a", true], ["b", undefined]]);
    });

    it("counts an encrypted secret read offline from a stack file as set, and never prints a key it refuses", () => {
        const offline = configFromStackFile({ config: {
            "image-lifecycle:cosignPublicKey": SIGNING.cosignPublicKey,
            "image-lifecycle:cosignKey": { secure: "AAE=" },
            "image-lifecycle:cosignPassword": { secure: "AAE=" },
        } });
        const e = parseConfig({ ...proxima(), ...offline, releases: { a: { image: "team/web", digest: HEX, tag: "v1.0.0", sign: true } } }, "proxima") as ProximaEstate;
        assert.deepEqual(Object.keys(e.signing!), ["publicKey"]);
        const message = problems(() => parseConfig({ ...proxima(), ...SIGNING, cosignKey: "not-a-key-s3cret" }, "proxima"));
        assert.ok(!message.includes("not-a-key-s3cret"), message);
    });

    it("lists every problem at once, one line per problem with its path", () => {
        const raw = proxima();
        raw.apps.web.class = "database";
        delete raw.apps.metrics.digest;
        raw.apps.metrics.limits.memoryMb = 10000;
        raw.apps.metrics.oops = true;
        raw.org = "Bad Org";
        const message = problems(() => parseConfig(raw, "proxima"));
        assert.match(message, /^The stack configuration has 5 problems; nothing was deployed\./);
        const lines = message.split("\n").slice(1).map((l) => l.trim());
        assert.equal(lines.length, 5, message);
        for (const path of ["org:", "apps.web.class:", "apps.metrics:", "apps.metrics.oops:"]) {
            assert.ok(lines.some((l) => l.startsWith(path)), `no line for ${path} in:\n${message}`);
        }
    });

    it("rejects duplicate app names when the stack file is read", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-dup-"));
        try {
            const file = path.join(dir, "Pulumi.proxima.yaml");
            fs.writeFileSync(file, "config:\n  image-lifecycle:apps:\n    web:\n      class: core\n    web:\n      class: monitoring\n");
            assert.throws(() => loadStackConfig("proxima", file), /Map keys must be unique/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("configFromStackFile strips the project prefix, drops encrypted values and leaves provider config out", () => {
        assert.deepEqual(configFromStackFile({ config: { "image-lifecycle:org": "x", "image-lifecycle:registryPassword": { secure: "AAE=" }, "github:token": { secure: "AAE=" } } }), { org: "x", registryPassword: undefined });
        assert.throws(() => configFromStackFile({ config: ["x"] }), /config: is not a mapping/);
    });
});

describe("lib/config: the repository key and its old name image (ADR 0054)", () => {
    it("reads repository, and image as its old name, to the same repository", () => {
        const given = proxima();
        given.apps.web = { ...given.apps.web, image: undefined, repository: "team/web" };
        delete given.apps.web.image;
        const byNew = (parseConfig(given, "proxima") as ProximaEstate).apps.find((a) => a.name === "web")!;
        const byOld = (parseConfig(proxima(), "proxima") as ProximaEstate).apps.find((a) => a.name === "web")!;
        assert.equal(byNew.repository, "team/web");
        assert.deepEqual(byNew, byOld);
        assert.ok(!("image" in byOld), "the old key must not survive into the estate");
        const dev = lyra();
        dev.devContainers.web = { ...dev.devContainers.web, repository: "team/web" };
        delete dev.devContainers.web.image;
        assert.equal((parseConfig(dev, "lyra") as LyraEstate).devContainers[0].repository, "team/web");
    });

    it("refuses both keys at once, and neither, naming the key to keep", () => {
        const both = proxima();
        both.apps.web.repository = "team/web";
        assert.match(problems(() => parseConfig(both, "proxima")), /apps\.web\.image: image is the old name of repository; keep repository and remove image/);
        const neither = proxima();
        delete neither.apps.web.image;
        assert.match(problems(() => parseConfig(neither, "proxima")), /apps\.web\.repository: required: the repository path in the registry, e\.g\. team\/app/);
    });

    it("checks the path under whichever key the file uses", () => {
        const given = proxima();
        delete given.apps.web.image;
        given.apps.web.repository = "registry.example.org/team/web";
        assert.match(problems(() => parseConfig(given, "proxima")), /apps\.web\.repository: give the repository path only \(e\.g\. team\/web\); the registry comes from registry\.host/);
    });
});

describe("lib/config: a release's repository key", () => {
    const release = (entry: Record<string, unknown>) => ({ ...proxima(), releases: { "web-v1-0-0": { digest: HEX, tag: "v1.0.0", ...entry } } });

    it("reads repository, and image as its old name, to the same release; the digest becomes sha256:<hex>", () => {
        const byNew = (parseConfig(release({ repository: "team/web" }), "proxima") as ProximaEstate).releases[0];
        const byOld = (parseConfig(release({ image: "team/web" }), "proxima") as ProximaEstate).releases[0];
        assert.deepEqual(byNew, byOld);
        assert.equal(byNew.repository, "team/web");
        assert.equal(byNew.digest, `sha256:${HEX}`);
        assert.ok(!("image" in byNew), "the old key must not survive into the estate");
    });

    it("refuses both keys, and neither", () => {
        assert.match(problems(() => parseConfig(release({ repository: "team/web", image: "team/web" }), "proxima")), /releases\.web-v1-0-0\.image: image is the old name of repository/);
        assert.match(problems(() => parseConfig(release({}), "proxima")), /releases\.web-v1-0-0\.repository: required/);
    });
});
