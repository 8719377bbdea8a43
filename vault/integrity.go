package vault

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/vault/snapfile"
)

// Integrity re-reads a stored snapshot and checks what the vault promises:
// the stored file's sha256 against its summary, decryption, the framing
// and both hashes (snapfile.Decode). Damage is returned as problems (with
// the snapshot when it still decodes); an error means it could not be
// checked at all (vault unreachable, no identity for an encrypted file).
// What the records mean is checked elsewhere (package snapshots).
func (v *Vault) Integrity(ctx context.Context, sum cdcops.SnapshotSummary) (*cdcops.Snapshot, []string, error) {
	var problems []string
	data, err := v.ReadRaw(ctx, sum)
	if err != nil {
		if cdcops.ErrorCodeOf(err) == cdcops.ECORRUPT {
			return nil, []string{err.Error()}, nil
		}
		return nil, nil, err
	}
	got := sha256.Sum256(data)
	switch {
	case sum.FileSHA256 == "":
		problems = append(problems, "no summary ("+indexPrefix+sum.ID+".json) in the vault")
	case hex.EncodeToString(got[:]) != sum.FileSHA256:
		problems = append(problems, fmt.Sprintf("stored file sha256 %s differs from the one recorded at backup %s", hex.EncodeToString(got[:]), sum.FileSHA256))
	}
	s, err := v.decode(sum.ID, data)
	if err != nil {
		if c := cdcops.ErrorCodeOf(err); c == cdcops.EINVALID && snapfile.IsEncrypted(data) {
			return nil, problems, err
		}
		return nil, append(problems, err.Error()), nil
	}
	if sum.ContentSHA256 != "" && sum.ContentSHA256 != s.ContentSHA256 {
		problems = append(problems, fmt.Sprintf("summary content sha256 %s differs from the snapshot's %s", sum.ContentSHA256, s.ContentSHA256))
	}
	return s, problems, nil
}

// StoredIntact reports whether a snapshot's stored bytes still match the
// sha256 recorded at backup, without decrypting it.
func (v *Vault) StoredIntact(ctx context.Context, sum cdcops.SnapshotSummary) bool {
	data, err := v.ReadRaw(ctx, sum)
	if err != nil {
		return false
	}
	got := sha256.Sum256(data)
	return sum.FileSHA256 != "" && hex.EncodeToString(got[:]) == sum.FileSHA256
}
