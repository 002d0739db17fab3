import { AppConfig } from "../lib/config";

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
        cpus: String(c.limits.cpus),
        privileged: false,
        ...(c.command ? { command: c.command } : {}),
        ...(hc ? { healthcheck: { tests: hc.test, interval: hc.interval, timeout: hc.timeout, retries: hc.retries, startPeriod: hc.startPeriod } } : {}),
        logDriver: "json-file",
    };
}
