package vault

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"gocloud.dev/blob"

	"github.com/cdcops/cdcops"
)

// writeVerified writes one object and reads it back. A file:// vault
// writes a temporary file next to the target, syncs it and renames it
// (writeFile), so a reader never sees half a file and a failed write
// leaves nothing; blob stores make a PUT visible whole. The read-back
// catches what neither does: a store that answers 200 without keeping the
// bytes. A failed object is deleted (best effort).
func (v *Vault) writeVerified(ctx context.Context, key string, data []byte, contentType string) error {
	var err error
	if v.local {
		err = writeFile(filepath.Join(v.dir, filepath.FromSlash(key)), data)
	} else {
		err = v.writeAll(ctx, key, data, &blob.WriterOptions{ContentType: contentType})
	}
	if err != nil {
		return v.writeError(key, err)
	}
	got, err := v.readAll(ctx, key)
	if err == nil && len(got) == len(data) && sha256.Sum256(got) == sha256.Sum256(data) {
		return nil
	}
	_ = v.delete(context.WithoutCancel(ctx), key)
	if err != nil {
		return v.writeError(key, fmt.Errorf("read back: %w", err))
	}
	what := fmt.Sprintf("%d bytes", len(got))
	if len(got) == len(data) || bytes.HasPrefix(data, got) {
		what += " that differ from what was written"
	}
	return cdcops.Errorf(cdcops.EUNAVAILABLE, errVerify, "vault %s acknowledged writing %s (%d bytes) but reading it back gave %s; nothing was stored", v.url, key, len(data), what)
}

const (
	errWrite  = "check the vault URL, its credentials and that it has space; nothing was stored"
	errFull   = "the vault's filesystem is full: free space or point --vault elsewhere; nothing was stored"
	errVerify = "the endpoint does not behave like a blob store (a proxy or stub answering 200?); check the vault URL's endpoint; nothing was stored"
)

func (v *Vault) writeError(key string, err error) error {
	hint := errWrite
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		hint = errFull
	}
	return cdcops.Errorf(cdcops.EUNAVAILABLE, hint, "write %s to vault %s: %w", key, v.url, err)
}

// writeFile is temp + fsync + rename + fsync of the directory: after it
// returns the file is whole on disk, and on any error no temporary file is
// left (fileblob keeps its temp file when the final close fails, e.g. on a
// full disk). Temp names end in .tmp, so a kill -9 leaves junk, never a
// snapshot.
func writeFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
