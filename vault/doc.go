// Package vault keeps offset snapshots somewhere that survives the host:
// any gocloud.dev/blob bucket (file:// by default, s3:// for real use). It
// is a blob repository: the versioned snapshot file (cdcops.snapshot/v1,
// see docs/snapshot-format.md, encoded by vault/snapfile), its sha256s,
// optional age encryption, atomic verified writes, listing and deletion.
// What a snapshot means (record checks, diffs, retention) lives in package
// snapshots.
package vault
