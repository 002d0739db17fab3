import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * The real Pulumi CLI built by `npm run engine` (a versioned folder under ~/.cache/image-lifecycle/engine,
 * or $IMAGE_LIFECYCLE_CACHE/engine), matching @pulumi/pulumi in package-lock.json; undefined when it has
 * not been built on this machine, so tests that need it skip and say why.
 */
export function realPulumi(): string | undefined {
    const root = path.resolve(__dirname, "..", "..");
    const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
    const version = lock.packages["node_modules/@pulumi/pulumi"]?.version;
    const engine = path.join(process.env.IMAGE_LIFECYCLE_CACHE || path.join(os.homedir(), ".cache", "image-lifecycle"), "engine");
    let dirs: string[];
    try {
        dirs = fs.readdirSync(engine).filter((d) => d.startsWith(`pulumi-v${version}-`)).sort();
    } catch {
        return undefined;
    }
    for (const d of dirs.reverse()) {
        const bin = path.join(engine, d, "pulumi");
        try {
            fs.accessSync(bin, fs.constants.X_OK);
            return bin;
        } catch {
            // not built (or half built) in this folder
        }
    }
    return undefined;
}
