import { ValidationError } from "../lib/errors";
import { buildOverview, formatOverview, overviewJson } from "../lib/format/overview";
import { gatherOverview } from "../lib/registry/overview";
import { parseReference } from "../lib/rules/reference";
import { registryCacheFromEnv } from "../lib/registry/cache";
import { clientFromEnv } from "../lib/registry/access";
import { deployedDigests } from "./deployed";
import { CliIO, Command, EXIT, OUTPUT_OPTIONS, REGISTRY_OPTIONS } from "./io";
import { defineCommand } from "./run";

/** Used when neither --registry, the repository argument nor IMAGE_LIFECYCLE_REGISTRY names one. */
export const DEFAULT_REGISTRY = "127.0.0.1:5000";

const USAGE = `Usage: image-lifecycle overview <repository> [options]

Shows every tag of one repository, newest first, with → on tags whose digest is deployed.

  <repository>          e.g. rednaw/hello-world or registry.example.com:5000/rednaw/hello-world
  --registry <host[:port]>  registry to ask (default: $IMAGE_LIFECYCLE_REGISTRY, then ${DEFAULT_REGISTRY})
  --deployed <file>     deploy-info.yml or the program's deployments JSON; repeatable (a record
                        counts whatever spelling of the registry host it uses)
  --digests             add a DIGEST column: the 64 hex digits, which deploy --to, rollback --to
                        and promote --digest all accept
  --json                print JSON for scripts instead of the table
  --insecure            plain HTTP to a registry that is not on loopback
  --width <N>           cut descriptions so rows fit N columns (default: the terminal's width;
                        never cut when stdout is not a terminal)
  --no-cache            read everything from the registry; neither read nor write the cache
                        (also IMAGE_LIFECYCLE_NO_CACHE=1)
  -h, --help            this help

CREATED is the image's org.opencontainers.image.created label, shown in UTC.
Credentials: REGISTRY_USERNAME and REGISTRY_PASSWORD (basic or token auth).
Cache of manifests and configs by digest: $IMAGE_LIFECYCLE_CACHE/registry, else
$XDG_CACHE_HOME/image-lifecycle/registry, else ~/.cache/image-lifecycle/registry.
Exit codes: 0 ok, 1 unknown repository or no tags, 2 bad usage or input, 3 registry unreachable or answering badly.
`;

/** Progress on stderr only when it is a terminal and the work has already taken a while. */
function progress(io: CliIO): { update(done: number, total: number): void; clear(): void } {
    const start = Date.now();
    let shown = false;
    let last = 0;
    return {
        update(done, total) {
            const now = Date.now();
            if (!io.stderrIsTTY || now - start < 1000 || now - last < 100) return;
            last = now;
            shown = true;
            io.stderr(`\rreading ${done}/${total} tags…`);
        },
        clear() {
            if (shown) io.stderr("\r\x1b[K");
        },
    };
}

/** The options of `overview` (also what shell completion offers). */
export const OVERVIEW_OPTIONS = {
    ...REGISTRY_OPTIONS,
    deployed: { type: "string", multiple: true },
    digests: { type: "boolean" },
    width: { type: "string" },
    "no-cache": { type: "boolean" },
    ...OUTPUT_OPTIONS,
} as const;

/** `image-lifecycle overview`: the seed's table of one repository's tags. */
// Not sanitised as a whole: progress rewrites its line with escape sequences; the table sanitises each value.
export const overview: Command = defineCommand({ name: "overview", options: OVERVIEW_OPTIONS, usage: USAGE, positional: "repository" }, async ({ values, positionals }, io) => {
    let width: number | undefined;
    if (values.width !== undefined) {
        width = Number(values.width);
        if (!Number.isInteger(width) || width < 20) {
            io.stderr(`overview: --width must be a whole number of columns, at least 20; got "${values.width}".\n`);
            return EXIT.usage;
        }
    } else if (io.isTTY && io.columns) {
        width = io.columns;
    }

    const defaultRegistry = values.registry ?? (io.env.IMAGE_LIFECYCLE_REGISTRY || DEFAULT_REGISTRY);
    const ref = parseReference(positionals[0], defaultRegistry, "repository");
    if (values.registry) parseReference(`${values.registry}/x`, undefined, "--registry");
    if (values.registry && ref.registry !== values.registry) {
        throw new ValidationError("repository", `The repository names registry ${ref.registry} but --registry says ${values.registry}. Give the registry once.`);
    }
    if (ref.tag !== undefined || ref.digest !== undefined) {
        throw new ValidationError("repository", `overview takes a repository, not one image: drop the ${ref.digest ? "digest" : "tag"} from "${positionals[0]}".`);
    }
    const deployed = await deployedDigests(values.deployed ?? [], ref.registry, ref.repository, io);
    const cache = values["no-cache"] ? undefined : registryCacheFromEnv(io.env, { onWarning: (m) => io.stderr(`note: ${m} Use --no-cache to skip it.\n`) });
    const client = clientFromEnv(ref.registry, io.env, { insecure: values.insecure === true, ...(cache ? { cache } : {}) });
    const bar = progress(io);
    let tags;
    try {
        tags = await gatherOverview(client, ref.repository, { onProgress: bar.update });
    } finally {
        bar.clear();
    }
    if (tags.length === 0) {
        io.stderr(`overview: repository ${ref.repository} in ${ref.registry} has no tags. Push an image with a tag, or check the repository name.\n`);
        return EXIT.failed;
    }
    const result = buildOverview(ref.registry, ref.repository, tags, deployed);
    for (const d of result.deployedWithoutTag) {
        io.stderr(`note: deployed digest ${d} has no tag in ${ref.registry}/${ref.repository} any more.\n`);
    }
    io.stdout(values.json ? `${JSON.stringify(overviewJson(result), null, 2)}\n` : formatOverview(result, { ...(width !== undefined ? { width } : {}), digests: values.digests === true }));
    return EXIT.ok;
});
