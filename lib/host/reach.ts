/**
 * Whether each host of a stack answers over SSH, asked once per host before any resource is registered,
 * so that an unreachable host is reported in the product's words (which class, which host, what to check)
 * next to the docker provider's own error, instead of only as "Error pinging Docker server".
 */
import { HostError, runOnHost } from "./ssh";

export interface HostToReach {
    /** What the host is to the stack, e.g. `class experimental` or `Lyra`. */
    role: string;
    /** The stack setting that names the host, e.g. `classes.experimental.host`. */
    setting: string;
    endpoint: string;
    sshOpts: string[];
}

/** One message per host that did not answer within `timeoutMs`; none when all did. */
export async function unreachableHosts(hosts: HostToReach[], timeoutMs = 30000): Promise<string[]> {
    const answers = await Promise.all(hosts.map(async (h) => {
        try {
            await runOnHost({ endpoint: h.endpoint, sshOpts: h.sshOpts, script: "true" }, timeoutMs);
            return undefined;
        } catch (e) {
            const why = (e instanceof HostError ? e.reason : (e as Error).message).split("\n")[0];
            return `The host of ${h.role}, ${h.endpoint}, cannot be reached over SSH (${why}). Nothing of it changes in this run; ` +
                `with --continue-on-error the other hosts' changes still apply. Check that the host is up, that its sshd listens on that port, ` +
                `that its host key is in known_hosts and the key in sshOpts (or the agent) may log in, and the stack's ${h.setting}.`;
        }
    }));
    return answers.filter((a): a is string => a !== undefined);
}
