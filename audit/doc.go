// Package audit is cdcops's hash-chained log of offset changes: every
// plan, approval, apply, rollback and break-glass is appended with who,
// when, why, the ticket, before/after and the result. Each entry's hash
// covers the previous entry's hash, so editing or dropping any entry
// breaks the chain, which Verify finds. Export writes one file per change
// into a git repository and commits it.
package audit
