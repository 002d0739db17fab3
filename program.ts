import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "./components/deployment";
import { DevContainer, PromotionPlan } from "./components/devContainer";
import { LxcClass } from "./components/lxcClass";
import { Release } from "./components/release";
import { ReleaseGate } from "./components/releaseGate";
import { ImageResolver } from "./components/resolver";
import { Estate, LyraEstate, ProximaEstate } from "./lib/config";
import { DeploymentSummary } from "./lib/rules/deploy-record";
import { CLASSES, NAMES } from "./lib/contract";
import { dockerRegistryAuth, RegistryAccess } from "./lib/registry/access";
import type { ReleaseRecord } from "./lib/release/record";

/** What the program needs from outside: the only way it reaches the registry. */
export interface ProgramDeps {
    resolver: ImageResolver;
    /** The stack's registry access (lib/registry/access.ts), built once by index.ts; its password is plain here and made secret where it enters a resource. */
    access: RegistryAccess;
}

/** Outputs of the proxima stack. */
export interface ProximaOutputs {
    /** app → class, image, tag, digest, description, host (what `overview --deployed` reads). */
    deployments: pulumi.Output<Record<string, DeploymentSummary>>;
    /**
     * release name → its release record (who, when, checks, sanity, bypass, break-glass). The record
     * never holds credentials; they stay in the release's secret input.
     */
    releases: pulumi.Output<Record<string, ReleaseRecord>>;
}

/** Outputs of the lyra stack. */
export interface LyraOutputs {
    /** dev container → what to carry to Proxima (seed 001, "prepare for promotion"). */
    promotions: pulumi.Output<Record<string, PromotionPlan>>;
}

/** The proxima estate: one LxcClass per configured class, one Deployment per app, releases, the gate. */
export function buildProxima(estate: ProximaEstate, deps: ProgramDeps): ProximaOutputs {
    const auth = dockerRegistryAuth(deps.access);
    const classes = new Map<string, LxcClass>();
    for (const name of CLASSES) {
        const config = estate.classes[name];
        if (!config) continue;
        classes.set(name, new LxcClass(name, {
            host: config.host,
            sshOpts: config.sshOpts,
            budget: config.budget,
            ...(auth ? { registryAuth: auth } : {}),
            volumes: estate.apps.filter((a) => a.class === name).flatMap((a) => a.volumes.map((v) => ({ app: a.name, volume: v.name }))),
        }));
    }
    const deployments: Record<string, pulumi.Output<DeploymentSummary>> = {};
    const pins: Record<string, pulumi.Output<string>> = {};
    for (const app of estate.apps) {
        const lxcClass = classes.get(app.class);
        if (!lxcClass) throw new Error(`apps.${app.name}.class: class "${app.class}" is not configured. Add it under classes.`);
        const deployment = new Deployment(app.name, {
            app,
            lxcClass,
            resolver: deps.resolver,
            org: estate.org,
            deployedBy: estate.deployedBy ?? "unknown",
        });
        deployments[app.name] = deployment.summary;
        pins[`DIGEST_${app.name.toUpperCase().replace(/-/g, "_")}`] = deployment.digest;
    }
    const releases: Record<string, pulumi.Output<ReleaseRecord>> = {};
    for (const r of estate.releases) {
        const { name, sign, ...spec } = r;
        // sign: true means the stack's key pair and nothing else; the parser refuses sign: true without it.
        if (sign && !estate.signing) throw new Error(`releases.${name}.sign: true needs the stack's cosign key pair (cosignPublicKey, cosignKey, cosignPassword). Set them (docs/promotion.md) or drop sign.`);
        const release = new Release(name, {
            ...spec,
            registry: deps.access.host,
            ...(deps.access.insecure ? { insecure: true } : {}),
            // The component makes the private key, its password and the credentials secret (once).
            ...(sign ? { sign: estate.signing! } : {}),
            ...(deps.access.credentials ? { credentials: deps.access.credentials } : {}),
        });
        // Only the record: the release's other state carries the (secret) credentials and signing key.
        releases[name] = release.record;
    }
    if (estate.releaseGate) {
        new ReleaseGate("release-gate", { ...estate.releaseGate, variables: estate.releaseGate.pinDigests ? pins : {} });
    }
    return {
        // Only apps that run: one whose first deploy failed has no digest to protect or show.
        deployments: pulumi.output(deployments).apply((all) => Object.fromEntries(Object.entries(all).filter(([, d]) => d.digest !== ""))) as pulumi.Output<Record<string, DeploymentSummary>>,
        releases: pulumi.output(releases) as pulumi.Output<Record<string, ReleaseRecord>>,
    };
}

/** The lyra estate: Lyra's Docker provider and one DevContainer per configured dev container. */
export function buildLyra(estate: LyraEstate, deps: ProgramDeps): LyraOutputs {
    const auth = dockerRegistryAuth(deps.access);
    const provider = new docker.Provider(NAMES.lyraProvider, {
        host: estate.lyra.host,
        sshOpts: estate.lyra.sshOpts,
        ...(auth ? { registryAuth: [{ ...auth, ...(auth.password !== undefined ? { password: pulumi.secret(auth.password) } : {}) }] } : {}),
    });
    const promotions: Record<string, pulumi.Output<PromotionPlan>> = {};
    for (const dev of estate.devContainers) {
        const c = new DevContainer(dev.name, { container: dev, provider, resolver: deps.resolver });
        promotions[dev.name] = c.promotion;
    }
    return { promotions: pulumi.output(promotions) as pulumi.Output<Record<string, PromotionPlan>> };
}

/** Builds the estate of the selected stack and nothing else; returns the stack outputs. */
export function buildStack(estate: Estate, deps: ProgramDeps): ProximaOutputs | LyraOutputs {
    return estate.stack === "proxima" ? buildProxima(estate, deps) : buildLyra(estate, deps);
}
