package vault

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"syscall"

	"gocloud.dev/blob"

	"github.com/cdcops/cdcops"
)

// writeVerified writes one object and reads it back. file:// buckets write
// a temporary file next to the target and rename it (fileblob), so a
// reader never sees half a file; blob stores make a PUT visible whole.
// The read-back catches what neither does: a store that answers 200
// without keeping the bytes. A failed object is deleted (best effort).
func (v *Vault) writeVerified(ctx context.Context, key string, data []byte, contentType string) error {
	if err := v.bucket.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: contentType}); err != nil {
		return v.writeError(key, err)
	}
	got, err := v.bucket.ReadAll(ctx, key)
	if err == nil && len(got) == len(data) && sha256.Sum256(got) == sha256.Sum256(data) {
		return nil
	}
	_ = v.bucket.Delete(context.WithoutCancel(ctx), key)
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
