/**
 * A container's declared resource limits, read the way the Docker provider takes them. Shared by
 * `container-limits` (a limit is declared) and `proxima-class-budget` (the limits fit the class).
 */
import { field, positiveNumber, UNKNOWN } from "./values";

/**
 * The CPU limit a container declares, in CPUs: `cpus`, else `cpuQuota / cpuPeriod` (period defaults to
 * Docker's 100000 µs). `cpuShares` is a relative weight, not a limit, so it does not count.
 */
export function cpuLimit(props: unknown): number | typeof UNKNOWN | undefined {
    const cpus = positiveNumber(field(props, "cpus"));
    if (cpus !== undefined) return cpus;
    const quota = positiveNumber(field(props, "cpuQuota"));
    if (quota === UNKNOWN) return UNKNOWN;
    if (quota === undefined) return undefined;
    const period = positiveNumber(field(props, "cpuPeriod"));
    if (period === UNKNOWN) return UNKNOWN;
    return quota / (period ?? 100000);
}

/** The memory limit in MB (the Docker provider's `memory` unit). */
export function memoryLimit(props: unknown): number | typeof UNKNOWN | undefined {
    return positiveNumber(field(props, "memory"));
}
