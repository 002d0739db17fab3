import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The package's version, from the package.json above this file: cli/ when run from source (tests),
 * dist/cli/ when run compiled, so the lookup walks up instead of assuming one depth.
 */
export function packageVersion(from = __dirname): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        const file = path.join(dir, "package.json");
        if (fs.existsSync(file)) {
            const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
            if (pkg.name === "image-lifecycle" && pkg.version) return pkg.version;
        }
        if (path.dirname(dir) === dir) return "unknown";
    }
}
