package snapshots

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/vault"
)

// fileVault opens a fresh file:// vault and returns it with its directory.
func fileVault(t *testing.T) (*vault.Vault, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vault")
	v, err := vault.Open(context.Background(), "file://"+dir, vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v, dir
}

// tamper flips one byte in the middle of a stored (unencrypted) snapshot file.
func tamper(t *testing.T, dir string, s cdcops.SnapshotSummary) {
	t.Helper()
	path := filepath.Join(dir, "snapshots", s.ID+".json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
