import * as pulumi from "@pulumi/pulumi";
import { KINDS, PROJECT } from "../lib/contract";
import type { AppContainerInputs, AppContainerProvider } from "../lib/host/app-container-provider";
import type { RunningContainer } from "../lib/host/app-container";

/** What a preview sends for an input computed from another resource; read once so the serialized provider captures a string. */
const UNKNOWN: string = pulumi.runtime.unknownValue;

/**
 * lib/host/app-container-provider.ts compiled to dist/ (`npm ci` builds it). Required from the folder the
 * engine runs the provider in, at call time, so the copy serialized into the state carries no checkout's path.
 */
function implementation(): AppContainerProvider {
    const file = `${process.cwd()}/dist/lib/host/app-container-provider.js`;
    let mod: { createAppContainerProvider(opts: { unknown: string }): AppContainerProvider };
    try {
        mod = require(file);
    } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === "MODULE_NOT_FOUND" && String(err.message).includes(file)) {
            throw new Error(`The app container provider's compiled module ${file} is missing. Run npm run build:cli in ${process.cwd()} (npm ci runs it), then run pulumi again.`);
        }
        throw e;
    }
    return mod.createAppContainerProvider({ unknown: UNKNOWN });
}

/** The serialized provider: each method delegates to {@link implementation}. */
export const appContainerProvider: pulumi.dynamic.ResourceProvider = {
    diff: async (id, olds, news) => implementation().diff(id, olds, news),
    create: async (inputs) => implementation().create(inputs),
    read: async (id, props) => implementation().read(id, props),
    update: async (id, olds, news) => implementation().update(id, olds, news),
    delete: async (id, props) => implementation().delete(id, props),
};

/** `T`'s fields as Pulumi inputs. */
type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export type AppContainerArgs = Inputs<Omit<AppContainerInputs, "kind">>;

/**
 * A Proxima app's container, run by the product on its class host (ADR 0055): replaced only after the
 * old one is set aside, verified, and put back when the new one fails; its outputs say what the host runs.
 */
export class AppContainer extends pulumi.dynamic.Resource {
    /** The container the host runs after the last operation (id, digest, spec, state, health, start). */
    declare readonly running: pulumi.Output<RunningContainer | undefined>;
    /** The digest that runs, read from the host; empty when nothing does. */
    declare readonly runningDigest: pulumi.Output<string>;
    /** Why the last deploy failed verification (and what runs instead); empty after a verified one. */
    declare readonly failure: pulumi.Output<string>;

    constructor(name: string, args: AppContainerArgs, opts?: pulumi.CustomResourceOptions) {
        super(appContainerProvider, name, { kind: KINDS.appContainer, ...args, running: undefined, runningDigest: undefined, failure: undefined }, opts, PROJECT, "AppContainer");
    }
}

/**
 * Registered only when a deploy failed: its creation fails with the failure's message, so `pulumi up`
 * fails with one line naming the app, the digest and what runs now, after every other change was
 * applied and the stack outputs (which name what runs) were recorded. It never enters the state.
 */
const failureProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: { message: string }): Promise<pulumi.dynamic.CreateResult> {
        throw new Error(inputs.message);
    },
};

export class DeployFailure extends pulumi.dynamic.Resource {
    constructor(name: string, message: string, opts?: pulumi.CustomResourceOptions) {
        super(failureProvider, name, { message }, opts, PROJECT, "DeployFailure");
    }
}
