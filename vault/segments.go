package vault

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// segmentPrefix holds the offsets journal's sealed segments, apart from
// the snapshot folders (a listing of snapshots never sees them).
const segmentPrefix = "journal/"

// Segment is one stored journal segment.
type Segment struct {
	Name     string    `json:"name"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
}

// PutSegment stores a sealed journal segment (encrypted when the vault
// has recipients), read back before it reports success, and returns the
// sha256 of the stored bytes.
func (v *Vault) PutSegment(ctx context.Context, name string, data []byte) (string, error) {
	if v.Encrypted() {
		var err error
		if data, err = v.encrypt(data); err != nil {
			return "", err
		}
		name += ".age"
	}
	if err := v.writeVerified(ctx, segmentPrefix+name, data, "application/octet-stream"); err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// Segments lists the stored journal segments by name.
func (v *Vault) Segments(ctx context.Context) ([]Segment, error) {
	var out []Segment
	err := v.eachObject(ctx, segmentPrefix, func(obj *blob.ListObject) error {
		out = append(out, Segment{Name: strings.TrimPrefix(obj.Key, segmentPrefix), Size: obj.Size, Modified: obj.ModTime})
		return nil
	})
	return out, err
}

// DeleteSegment removes a journal segment (retention).
func (v *Vault) DeleteSegment(ctx context.Context, name string) error {
	if err := v.bucket.Delete(ctx, segmentPrefix+name); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return v.unavailable("delete "+segmentPrefix+name, err)
	}
	return nil
}
