// The program harness moved to harness/program.ts (issue 20): this re-export keeps test/lib's imports
// working while that folder is restructured in parallel (issue 20 item 7). New code imports
// harness/program directly; delete this once nothing under test/ imports it.
export * from "../../harness/program";
