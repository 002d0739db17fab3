/**
 * Finds the tools that scripts/go-tools.sh builds from Go modules (Distribution v3's registry, crane,
 * cosign, actionlint). The table tools/go/tools.tsv names each tool's package and version for both the
 * script and this helper, so the cache path is computed the same way on both sides.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const TABLE = path.resolve(__dirname, "../tools/go/tools.tsv");

/** One row of tools/go/tools.tsv. */
export interface GoTool {
    name: string;
    /** The package `go install` builds, e.g. `github.com/google/go-containerregistry/cmd/crane`. */
    pkg: string;
    version: string;
    binary: string;
}

/** Every tool in the table, in its order. */
export function goTools(): GoTool[] {
    return fs.readFileSync(TABLE, "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "" && !line.startsWith("#"))
        .map((line) => {
            const [name, pkg, version, binary] = line.split("\t");
            return { name, pkg, version, binary };
        });
}

/** The folder scripts/go-tools.sh builds into: `$IMAGE_LIFECYCLE_CACHE` or `~/.cache/image-lifecycle`, then `tools/`. */
export function goToolsCache(env: NodeJS.ProcessEnv = process.env): string {
    return path.join(env.IMAGE_LIFECYCLE_CACHE || path.join(os.homedir(), ".cache", "image-lifecycle"), "tools");
}

/** The path of a built tool's binary; fails with the command that builds it when it is not there. */
export function goTool(name: string): string {
    const tool = goTools().find((t) => t.name === name);
    if (!tool) throw new Error(`${name} is not a tool of ${TABLE}: add a line for it there.`);
    const binary = path.join(goToolsCache(), `${tool.name}-${tool.version}`, tool.binary);
    if (!fs.existsSync(binary)) {
        throw new Error(
            `${tool.name} ${tool.version} is not built (no ${binary}): the tests need it built from the Go module ${tool.pkg}. ` +
                `Run "bash scripts/go-tools.sh" once (bash .ci/run does it; later runs take seconds).`,
        );
    }
    return binary;
}
