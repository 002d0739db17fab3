/**
 * A stack's configuration: its types (types.ts), the schema of each key (schema.ts), the rules across
 * fields (rules.ts), the parser that applies both (parse.ts), and the offline reader of stack files
 * (stack-file.ts). The project and stack names are lib/contract.ts's.
 */
export * from "./types";
export { MIN_CPUS, MIN_MEMORY_MB } from "./schema";
export { parseConfig } from "./parse";
export { configFromStackFile } from "./stack-file";
