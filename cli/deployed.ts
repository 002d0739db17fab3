import * as fs from "node:fs";
import { FIELD, ValidationError } from "../lib/errors";
import type { DeployedFile } from "../lib/rules/deploy-record";
import { CliIO } from "./io";

/** The text of a `--deployed` file; one that cannot be read is a {@link ValidationError} of field `FIELD.deployedFile`. */
export function readDeployedText(file: string): DeployedFile {
    try {
        return { file, text: fs.readFileSync(file, "utf8") };
    } catch (e) {
        throw new ValidationError(FIELD.deployedFile, `Cannot read deployed file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Check the path.`);
    }
}

/**
 * The digests `--deployed` files record for one repository, read the same way by every command:
 * a record counts when it names the repository, whatever spelling of the registry host it uses
 * (localhost:5000, 127.0.0.1:5000, a DNS name). A digest is the hash of the image, so the same
 * digest in this repository is the same image; cleanup must never delete it for a spelling.
 * The record parser (and its schema library) loads only when there are files to read: an overview
 * without --deployed starts faster.
 */
export async function deployedDigests(files: readonly string[], registry: string, repository: string, io: CliIO): Promise<Set<string>> {
    if (files.length === 0) return new Set();
    const { readDeployedFiles } = await import("../lib/rules/deploy-record");
    return readDeployedFiles(files.map(readDeployedText), { registry, repository, anyRegistry: true }, (m) => io.stderr(`note: ${m}\n`));
}
