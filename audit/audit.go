package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/state"
)

// Hash is the entry's chain hash: sha256 of its JSON with Hash empty
// (which includes Seq and PrevHash, so order and linkage are covered).
func Hash(e cdcops.AuditEntry) string {
	e.Hash = ""
	b, _ := json.Marshal(e)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Record appends e to the store's chain (setting Seq, At, PrevHash, Hash).
func Record(ctx context.Context, st *state.Store, e cdcops.AuditEntry) (cdcops.AuditEntry, error) {
	if e.At.IsZero() {
		e.At = time.Now().UTC().Truncate(time.Millisecond)
	}
	return st.AppendAudit(ctx, func(seq int64, prev string) cdcops.AuditEntry {
		e.Seq, e.PrevHash = seq, prev
		e.Hash = Hash(e)
		return e
	})
}

// Problem is one broken link of the chain.
type Problem struct {
	Seq    int64  `json:"seq"`
	Detail string `json:"detail"`
}

// Verify checks every entry's hash and its link to the one before, and
// that sequence numbers have no gaps (a deleted entry).
func Verify(entries []cdcops.AuditEntry) []Problem {
	out := []Problem{}
	prev := ""
	for i, e := range entries {
		if want := int64(i + 1); e.Seq != want {
			out = append(out, Problem{e.Seq, fmt.Sprintf("sequence %d where %d was expected (an entry is missing)", e.Seq, want)})
		}
		if e.PrevHash != prev {
			out = append(out, Problem{e.Seq, "prev_hash does not match the previous entry's hash (the chain was cut or reordered)"})
		}
		if h := Hash(e); h != e.Hash {
			out = append(out, Problem{e.Seq, "hash does not match the entry's content (the entry was edited)"})
		}
		prev = e.Hash
	}
	return out
}
