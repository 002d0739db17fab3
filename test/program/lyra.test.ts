import * as assert from "node:assert/strict";
import { byName, loadStackConfig, ofType, runProgramFull, seedImage, seedRegistryFor, testLabels } from "../../harness/program";
import { LIFECYCLE } from "../../lib/contract";
import { dockerCpus } from "../../lib/rules/docker-values";

describe("program: lyra stack under mocks (shipped Pulumi.lyra.yaml, real registry)", function () {
    this.timeout(300000);
    const shipped = loadStackConfig("lyra");
    let host: string;
    before(async () => { host = await seedRegistryFor("lyra"); });

    it("runs ephemeral, limited, unprivileged dev containers through lyra-docker, bind mounts only below the workspace", async () => {
        const { resources } = await runProgramFull("lyra");
        const provider = byName(resources, "lyra-docker", "pulumi:providers:docker");
        assert.equal(provider.props.host, shipped.lyra.host);
        assert.equal(ofType(resources, "image-lifecycle:proxima:LxcClass").length, 0, "lyra must not build Proxima resources");
        const containers = ofType(resources, "docker:index/container:Container");
        assert.equal(containers.length, Object.keys(shipped.devContainers).length);
        for (const [name, d] of Object.entries(shipped.devContainers as Record<string, any>)) {
            const c = byName(resources, `${name}-container`, "docker:index/container:Container");
            assert.equal(c.provider, `${provider.urn}::lyra-docker-id`);
            assert.equal(c.props.restart, "no");
            assert.equal(c.props.privileged, false);
            assert.equal(c.props.memory, d.limits.memoryMb);
            // The docker provider's own spelling (1 → "1.0"), so a real `up` reads back no change.
            assert.equal(c.props.cpus, dockerCpus(d.limits.cpus));
            assert.equal(c.props.memorySwap, d.limits.memoryMb);
            assert.equal(c.props.logDriver, "json-file");
            assert.equal(c.props.image, `${host}/${d.repository}@${await seedImage(d.repository, d.tag)}`);
            const labels = Object.fromEntries((c.props.labels as any[]).map((l) => [l.label, l.value]));
            assert.equal(labels[LIFECYCLE.class], "lyra");
            assert.equal(labels[LIFECYCLE.stack], "lyra");
            assert.equal(labels[LIFECYCLE.ephemeral], "true");
            for (const v of c.props.volumes as any[]) {
                if (v.hostPath !== undefined) {
                    assert.ok(v.hostPath.startsWith(`${shipped.lyra.workspace}/`), `${name} binds ${v.hostPath}`);
                } else {
                    const volume = resources.find((r) => r.type === "docker:index/volume:Volume" && r.props.name === v.volumeName)!;
                    assert.ok(volume, `${name}: no Volume ${v.volumeName}`);
                    assert.ok(volume.props.labels.some((l: any) => l.label === LIFECYCLE.ephemeral && l.value === "true"));
                    assert.ok(c.dependencies.includes(volume.urn));
                    assert.equal(volume.parent, byName(resources, name, "image-lifecycle:lyra:DevContainer").urn);
                }
            }
            for (const p of c.props.ports as any[]) assert.equal(p.ip, "127.0.0.1");
        }
    });

    it("outputs the prepare-for-promotion plan: image, digest, env names, volumes, resources, suggested class", async () => {
        const { outputs } = await runProgramFull("lyra");
        const d = shipped.devContainers["hello-world"];
        assert.deepEqual(outputs.promotions["hello-world"], {
            image: `${host}/${d.repository}`,
            digest: await seedImage(d.repository, d.tag),
            tag: d.tag,
            envNames: Object.keys(d.env).sort(),
            volumes: [{ containerPath: "/usr/share/nginx/html", kind: "workspace" }, { containerPath: "/var/cache/nginx", kind: "temporary" }],
            resources: d.limits,
            suggestedClass: "core",
        });
        assert.ok(!JSON.stringify(outputs).includes("NGINX_PORT=80"), "env values must not be part of the promotion plan");
    });

    it("rejects a bind mount outside the workspace before creating anything", async () => {
        await assert.rejects(
            runProgramFull("lyra", (raw) => { raw.devContainers.api.volumes[0].hostPath = "/var/run"; return raw; }),
            /devContainers\.api\.volumes\.0\.hostPath: bind mount outside the workspace \/home\/dev\/work/,
        );
    });

    it("resolves a dev container by digest too", async () => {
        const digest = await seedImage("giftfinder/api", "dev-b", testLabels("giftfinder/api", "dev-b"));
        const { resources } = await runProgramFull("lyra", (raw) => { raw.devContainers.api.digest = digest; return raw; });
        assert.equal(byName(resources, "api-container").props.image, `${host}/giftfinder/api@${digest}`);
    });
});
