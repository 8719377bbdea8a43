// Package snapfile is the cdcops.snapshot/v1 file format: byte-exact
// framing with a sha256 over the body, strict decoding, the content hash
// and snapshot ids (docs/snapshot-format.md). It depends only on the root
// package so its decoder can be fuzzed cheaply; the vault stores the files.
package snapfile
