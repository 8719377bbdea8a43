package vault

import (
	"context"
	"time"

	"gocloud.dev/blob"
)

// OpTimeout bounds each call to the blob store (one read, write, delete or
// listing page), so an endpoint that accepts and never answers fails
// instead of hanging; the caller's context bounds the whole command.
// docs/config.md lists it with the other per-request defaults.
const OpTimeout = 60 * time.Second

func (v *Vault) readAll(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, OpTimeout)
	defer cancel()
	return v.bucket.ReadAll(ctx, key)
}

func (v *Vault) writeAll(ctx context.Context, key string, data []byte, opts *blob.WriterOptions) error {
	ctx, cancel := context.WithTimeout(ctx, OpTimeout)
	defer cancel()
	return v.bucket.WriteAll(ctx, key, data, opts)
}

func (v *Vault) delete(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, OpTimeout)
	defer cancel()
	return v.bucket.Delete(ctx, key)
}

func (v *Vault) next(ctx context.Context, it *blob.ListIterator) (*blob.ListObject, error) {
	ctx, cancel := context.WithTimeout(ctx, OpTimeout)
	defer cancel()
	return it.Next(ctx)
}
