import * as pulumi from "@pulumi/pulumi";
import { AppConfig } from "../lib/config";
import { dockerCpus, goDuration } from "../lib/rules/docker-values";
import type { ResolvedImage } from "./resolver";

/** What a Proxima app and a Lyra dev container configure alike. */
export type RuntimeSettings = Pick<AppConfig, "env" | "limits" | "command" | "healthcheck">;

/**
 * The `docker.Container` arguments both stacks derive the same way from the stack config: environment,
 * limits, command, healthcheck, never privileged, logs in json-file so `docker logs` works.
 *
 * The command is the configured one, else the image's own `Cmd`, sent explicitly: the docker provider
 * keeps the last command it applied when none is sent, so removing `command` from the stack file would
 * otherwise leave the old command running. An image without a `Cmd` and no configured command sends none.
 */
export function runtimeArgs(c: RuntimeSettings, image: pulumi.Output<ResolvedImage>) {
    const hc = c.healthcheck;
    return {
        envs: Object.entries(c.env).map(([k, v]) => `${k}=${v}`),
        memory: c.limits.memoryMb,
        // Swap is capped at the limit (no swap on top of it). Left unset, Docker picks twice the memory
        // and the provider reports that back as a change on every preview.
        memorySwap: c.limits.memoryMb,
        // In the form the docker provider reads back, so an unchanged limit is no diff (and no replacement).
        cpus: dockerCpus(c.limits.cpus),
        privileged: false,
        command: image.apply((r) => c.command ?? r.command),
        ...(hc ? { healthcheck: {
            tests: hc.test,
            interval: goDuration(hc.interval),
            timeout: goDuration(hc.timeout),
            retries: hc.retries,
            startPeriod: goDuration(hc.startPeriod),
        } } : {}),
        logDriver: "json-file",
    };
}
