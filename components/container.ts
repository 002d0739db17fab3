import { AppConfig } from "../lib/config";
import { dockerCpus, goDuration } from "../lib/rules/docker-values";

/** What a Proxima app and a Lyra dev container configure alike. */
export type RuntimeSettings = Pick<AppConfig, "env" | "limits" | "command" | "healthcheck">;

/**
 * The `docker.Container` arguments both stacks derive the same way from the stack config: environment,
 * limits, command, healthcheck, never privileged, logs in json-file so `docker logs` works.
 */
export function runtimeArgs(c: RuntimeSettings) {
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
        ...(c.command ? { command: c.command } : {}),
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
