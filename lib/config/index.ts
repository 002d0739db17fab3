/**
 * A stack's configuration: the schema of each key (schema.ts) and the types inferred from it (types.ts);
 * the pipeline that reads it (pipeline.ts: parse.ts → normalise.ts → validate.ts, whose named rules are
 * in rules.ts); and the offline reader of stack files (stack-file.ts). The project and stack names are
 * lib/contract.ts's.
 */
export * from "./types";
export { MIN_CPUS, MIN_MEMORY_MB } from "./schema";
export { parseConfig } from "./pipeline";
export { configFromStackFile } from "./stack-file";
