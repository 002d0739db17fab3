/**
 * bench:policy — the whole pack over synthetic estates of 1,000 and 10,000 resources in the program's
 * shapes (classes with providers and networks, deployments with container and record command,
 * releases, the production gate). Release tags are asked of a real local registry when
 * docker-registry is installed. Last line: `ratio=<t10k/t1k>` (target ≤ 12: nothing quadratic).
 */
import { policies } from "../policy/policies";
import { resetTagLookups } from "../policy/lib/tag-lookup";
import { CLASSES } from "../lib/labels";
import { runPolicies } from "../test/policy/harness";
import { addApp, addClass, addRelease, Estate, labelList } from "../test/policy/fixtures";
import { startRegistry, stopAll } from "../test/support/services";

function estate(size: number, registry: string | undefined): Estate {
    const e = new Estate();
    const classes = CLASSES.map((c) => addClass(e, "proxima", c));
    e.add({
        type: "github:index/repositoryEnvironment:RepositoryEnvironment",
        urn: "urn:pulumi:proxima::image-lifecycle::github:index/repositoryEnvironment:RepositoryEnvironment::production",
        name: "production",
        props: { environment: "production", reviewers: [{ users: [1] }], labels: labelList({}) },
        dependencies: [],
        propertyDependencies: {},
    });
    for (let i = 0; e.resources.length < size; i++) {
        if (i % 20 === 19) {
            addRelease(e, "proxima", `rel-${i}`, { tag: `v1.0.${i}`, ...(registry ? { registry } : {}) });
            continue;
        }
        const k = i % classes.length;
        addApp(e, "proxima", classes[k], { app: `app-${i}`, cls: CLASSES[k], digest: (i % 16).toString(16).repeat(64) });
    }
    return e;
}

async function time(size: number, registry: string | undefined, config: Record<string, unknown>): Promise<number> {
    const resources = estate(size, registry).resources;
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
        resetTagLookups();
        const start = process.hrtime.bigint();
        const vs = await runPolicies(policies, resources, { config });
        runs.push(Number(process.hrtime.bigint() - start) / 1e6);
        if (i === 0) {
            const mandatory = vs.filter((v) => v.level === "mandatory");
            if (mandatory.length) throw new Error(`synthetic estate should be compliant, got: ${mandatory[0].policy}: ${mandatory[0].message}`);
        }
    }
    runs.sort((a, b) => a - b);
    const median = runs[3];
    console.log(`resources=${resources.length} policies=${policies.length} median_ms=${median.toFixed(1)} runs_ms=${runs.map((r) => r.toFixed(0)).join(",")}`);
    return median;
}

async function main(): Promise<void> {
    const big = { memoryMb: 1e9, cpus: 1e6 };
    const config: Record<string, unknown> = { "proxima-class-budget": { budgets: { core: big, monitoring: big, experimental: big } } };
    let registry: string | undefined;
    try {
        registry = (await startRegistry()).registry;
        console.log(`release tags are asked of a real docker-registry at ${registry}`);
    } catch (e) {
        // Without the registry binary the two registry policies would only time out; leave them out and say so.
        console.log(`no local registry (${(e as Error).message.split("\n")[0]}); release-tag-immutable and release-registry-reachable are disabled for this run`);
        config["release-tag-immutable"] = { enforcementLevel: "disabled" };
        config["release-registry-reachable"] = { enforcementLevel: "disabled" };
    }
    await time(1000, registry, config); // warm-up: JIT and module loading
    const t1k = await time(1000, registry, config);
    const t10k = await time(10000, registry, config);
    await stopAll();
    console.log(`ratio=${(t10k / t1k).toFixed(2)}`);
}

main().catch(async (e) => {
    console.error(e);
    await stopAll();
    process.exitCode = 1;
});
