/** What the product's SSH may be told: never to stop checking host keys. Pure, shared by config and host. */

/**
 * The option in `sshOpts` that turns host-key checking off, in any spelling ssh accepts (`-o Key=value`,
 * `-oKey value`, any case); undefined when there is none.
 */
export function weakensHostKeys(sshOpts: readonly string[]): string | undefined {
    const joined = sshOpts.join(" ");
    const m = /(StrictHostKeyChecking\s*[= ]\s*(no|off|accept-new)|UserKnownHostsFile\s*[= ]\s*\/dev\/null)/i.exec(joined);
    return m?.[1];
}
