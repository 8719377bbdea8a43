// Package vault keeps offset snapshots somewhere that survives the host:
// any gocloud.dev/blob bucket (file:// by default, s3:// for real use). It
// owns the versioned snapshot format (cdcops.snapshot/v1, see
// docs/snapshot-format.md) with its sha256s, optional age encryption,
// verification, diffs between snapshots and retention (prune).
package vault
