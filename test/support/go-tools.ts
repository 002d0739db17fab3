// The estate moved to estate/ (issue 20): this re-export keeps test/lib's imports working while that folder
// is restructured in parallel (issue 20 item 7). New code imports estate/go-tools directly; delete this once
// nothing under test/ imports it.
export * from "../../estate/go-tools";
