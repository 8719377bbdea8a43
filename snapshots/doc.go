// Package snapshots is what a stored offsets snapshot means: record
// checks against the Debezium offset formats (Check, Verify), diffs
// between two snapshots (Diff) and the retention policy (PlanPrune,
// ApplyPrune). It is a capability over the vault adapter, which only
// stores blobs and guarantees their integrity; keeping the semantics here
// is what lets vault stay free of the debezium adapter.
package snapshots
