/**
 * bench:policy — the whole pack over synthetic estates of 1,000 and 10,000 resources in the program's
 * shapes (classes with providers and networks, deployments with pulled image and app container,
 * releases, the production gate). Release tags are asked of a real local registry when
 * docker-registry is installed. Last line: `ratio=<t10k/t1k>` (target ≤ 12: nothing quadratic).
 */
import { policies } from "../policy/policies";
import { resetTagLookups } from "../policy/lib/tag-lookup";
import { CLASSES } from "../lib/contract";
import { runPolicies } from "../harness/policy";
import { addApp, addClass, addRelease, Estate, labelList } from "../harness/policy-fixtures";
import { startRegistry, stopAll } from "../estate/services";
import * as v8 from "node:v8";
import * as vm from "node:vm";

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

// A full collection before each timed run, so garbage left by one run is not charged to the next.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

async function once(resources: Estate["resources"], config: Record<string, unknown>): Promise<number> {
    resetTagLookups();
    gc();
    const start = process.hrtime.bigint();
    const vs = await runPolicies(policies, resources, { config });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const mandatory = vs.filter((v) => v.level === "mandatory");
    if (mandatory.length) throw new Error(`synthetic estate should be compliant, got: ${mandatory[0].policy}: ${mandatory[0].message}`);
    return ms;
}

function report(resources: number, runs: number[]): number {
    runs.sort((a, b) => a - b);
    // The fastest run is the one least disturbed by other work on a shared machine, so it measures the
    // pack's own cost; the median is printed for context.
    console.log(`resources=${resources} policies=${policies.length} best_ms=${runs[0].toFixed(1)} median_ms=${runs[Math.floor(runs.length / 2)].toFixed(1)} runs_ms=${runs.map((r) => r.toFixed(0)).join(",")}`);
    return runs[0];
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
    const small = estate(1000, registry).resources;
    const large = estate(10000, registry).resources;
    for (let i = 0; i < 3; i++) await once(small, config); // warm-up: JIT and module loading
    // Interleaved, so both sizes see the same load on the machine.
    const r1k: number[] = [];
    const r10k: number[] = [];
    for (let i = 0; i < 7; i++) {
        r1k.push(await once(small, config));
        r10k.push(await once(large, config));
    }
    const t1k = report(small.length, r1k);
    const t10k = report(large.length, r10k);
    await stopAll();
    console.log(`ratio=${(t10k / t1k).toFixed(2)}`);
}

main().catch(async (e) => {
    console.error(e);
    await stopAll();
    process.exitCode = 1;
});
