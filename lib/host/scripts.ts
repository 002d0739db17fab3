/**
 * Scripts the program runs on a class host over SSH (the deploy record, the verification): the inputs
 * of the resource that runs them, which the policy pack reads. Engine-free, shared by both sides.
 */

/** Marker input that lets policies find host scripts among dynamic resources. */
export const HOST_SCRIPT_KIND = "image-lifecycle:host-script";

/** What a host script is for; the policy pack finds the deploy record by this, not by its script text. */
export type HostScriptRole = "deploy-record" | "verify";

/** Inputs of a host script resource, as policies see them in `props`. */
export interface HostScriptInputs {
    kind: typeof HOST_SCRIPT_KIND;
    role: HostScriptRole;
    /** The host's Docker endpoint, `ssh://user@host[:port]`: the script runs there. */
    endpoint: string;
    /** Options for the `ssh` client, as the class's Docker endpoint uses them. */
    sshOpts: string[];
    /** POSIX shell script run with `sh -c` on the host. */
    script: string;
    /** Standard input of the script (the record's content), never interpolated into the script. */
    stdin?: string;
    /** The path a deploy record writes. */
    recordPath?: string;
    /** Values whose change reruns the script (a new container, a new digest). */
    triggers: string[];
}

/** `ssh` arguments for an endpoint `ssh://user@host[:port]`, or an error that says what to write instead. */
export function sshTarget(endpoint: string): { destination: string; port: number } {
    let url: URL;
    try {
        url = new URL(endpoint);
    } catch {
        throw new Error(`Cannot reach host "${endpoint}": not a URL. Use ssh://user@host[:port] as the class host.`);
    }
    if (url.protocol !== "ssh:" || !url.hostname || !url.username || url.pathname.replace(/^\/+/, "") !== "") {
        throw new Error(`Cannot derive an SSH connection from "${endpoint}". Use ssh://user@host[:port] as the class host.`);
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    return { destination: `${decodeURIComponent(url.username)}@${host}`, port: url.port ? Number(url.port) : 22 };
}
