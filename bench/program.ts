/**
 * bench:program — the program under Pulumi mocks with 100 and 1,000 apps (a synthetic proxima
 * estate over three classes). Digests are configured, as after a rollback, so resolution is one
 * config read per distinct image through the real client against a local registry.
 * Last line: ratio=<t1000/t100>; target ≤ 12.
 */
import { createResolver } from "../components/resolver";
import { parseConfig, ProximaEstate } from "../lib/config";
import { CLASSES, KINDS } from "../lib/contract";
import { RegistryClient } from "../lib/registry/client";
import { runEstate, seedImage, testLabels } from "../harness/program";
import { sharedTestRegistry, stopAll } from "../estate/services";

const IMAGES = 5;

function estate(registry: string, digests: string[], apps: number): ProximaEstate {
    const raw = {
        registry: { host: registry },
        org: "bench",
        deployedBy: "bench",
        classes: Object.fromEntries(CLASSES.map((c) => [c, { host: `ssh://deploy@${c}.lan`, budget: { memoryMb: 1_000_000, cpus: 256 } }])),
        apps: Object.fromEntries(Array.from({ length: apps }, (_, i) => [`app-${i}`, {
            class: CLASSES[i % CLASSES.length],
            image: `bench/image-${i % IMAGES}`,
            tag: `t${i % IMAGES}`,
            digest: digests[i % IMAGES],
            env: { INDEX: String(i) },
            ports: [{ internal: 8080, external: 10000 + i }],
            volumes: [{ name: "data", containerPath: "/data" }],
            // 0.1, not 0.01: the docker provider reads 0.01 back as "0.0", so the config refuses it (lib/rules/docker-values.ts).
            limits: { memoryMb: 64, cpus: 0.1 },
            healthcheck: { test: ["CMD", "true"] },
        }])),
    };
    return parseConfig(raw, "proxima") as ProximaEstate;
}

async function time(registry: string, digests: string[], apps: number): Promise<number> {
    const e = estate(registry, digests, apps);
    const resolver = createResolver(new RegistryClient({ registry }));
    const start = process.hrtime.bigint();
    const run = await runEstate(e, resolver);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    // Each app runs in an AppContainer (the product's container on its class host, ADR 0055), found by its kind.
    const containers = run.resources.filter((r) => r.props.kind === KINDS.appContainer).length;
    if (containers !== apps) throw new Error(`expected ${apps} containers, registered ${containers}`);
    process.stdout.write(`apps=${apps} resources=${run.resources.length} ms=${ms.toFixed(0)}\n`);
    return ms;
}

async function main(): Promise<void> {
    try {
        const { registry } = await sharedTestRegistry();
        const digests: string[] = [];
        for (let i = 0; i < IMAGES; i++) digests.push(await seedImage(`bench/image-${i}`, `t${i}`, testLabels(`bench/image-${i}`, `t${i}`)));
        await time(registry, digests, 20); // warm-up: module loading and JIT
        const t100 = Math.min(await time(registry, digests, 100), await time(registry, digests, 100));
        const t1000 = await time(registry, digests, 1000);
        process.stdout.write(`t100=${t100.toFixed(0)}ms t1000=${t1000.toFixed(0)}ms\n`);
        process.stdout.write(`ratio=${(t1000 / t100).toFixed(2)}\n`);
    } finally {
        await stopAll();
    }
}

main().catch((e) => {
    process.stderr.write(`bench:program failed: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
});
