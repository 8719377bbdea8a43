package backup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/vault"
	"github.com/cdcops/cdcops/vault/snapfile"
)

// Result is a stored backup: its vault listing entry, the vault's
// (redacted) URL, and the named connectors it holds no offsets for (only
// with AllowEmpty).
type Result struct {
	cdcops.SnapshotSummary
	Vault   string   `json:"vault"`
	Missing []string `json:"missing,omitempty"`
	// Partial names the parts that could not be read (--allow-partial).
	Partial []string `json:"partial"`
	// Deduplicated: nothing was stored because snapshot ID (the summary
	// above) already holds identical content, taken within the window.
	Deduplicated bool `json:"deduplicated"`
}

// Take validates o, collects the state and stores it in v. Unless
// o.AllowEmpty it refuses (ECONFLICT, nothing stored) a backup that holds
// no offsets at all or none for a named connector.
func Take(ctx context.Context, src Sources, v *vault.Vault, o Options) (Result, error) {
	if err := o.Validate(); err != nil {
		return Result{}, err
	}
	s, partial, err := collect(ctx, src, o)
	if err != nil {
		return Result{}, fmt.Errorf("offsets backup: %w", err)
	}
	have := coverage(s)
	var missing []string
	for _, n := range o.Names {
		if have[n] == 0 {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if !o.AllowEmpty {
		if len(missing) > 0 {
			return Result{}, cdcops.Errorf(cdcops.ECONFLICT,
				"check the names with `cdcops connectors list` and `cdcops offsets show NAME`; --allow-empty stores it anyway",
				"refusing to store a backup without offsets for %s", strings.Join(missing, ", "))
		}
		if len(s.Content.Records)+len(s.Content.Groups)+countREST(s) == 0 {
			return Result{}, cdcops.Errorf(cdcops.ECONFLICT,
				"check --bootstrap/--connect and `cdcops offsets topics`; --allow-empty stores it anyway",
				"refusing to store an empty backup (no offsets found via %s)", o.Via)
		}
	}
	warn := src.Warn
	if warn == nil {
		warn = io.Discard
	}
	warnMalformed(warn, s)
	if v.IsLocal() {
		fmt.Fprintf(warn, "WARNING: vault %s is on local disk, a single point of failure; use an s3:// vault (see docs/backup.md)\n", v.URL())
	}
	if o.DedupeWindow > 0 {
		same, err := sameContent(ctx, v, s, o.DedupeWindow)
		if err != nil {
			return Result{}, fmt.Errorf("offsets backup: %w", err)
		}
		if same != nil {
			src.log().Info("offsets unchanged; not stored again", "same_as", same.ID, "vault", v.URL())
			return Result{SnapshotSummary: *same, Vault: v.URL(), Missing: missing, Partial: partial, Deduplicated: true}, nil
		}
	}
	start := time.Now()
	sum, err := v.Put(ctx, s)
	if err != nil {
		return Result{}, fmt.Errorf("offsets backup: %w", err)
	}
	src.log().Info("offsets backup stored", "id", sum.ID, "vault", v.URL(), "records", sum.Records, "encrypted", sum.Encrypted, "took", time.Since(start))
	return Result{SnapshotSummary: sum, Vault: v.URL(), Missing: missing, Partial: partial}, nil
}

// sameContent finds the newest snapshot younger than window whose content
// hash equals s's and whose stored bytes are intact (a damaged one is no
// reason to skip a backup).
func sameContent(ctx context.Context, v *vault.Vault, s *cdcops.Snapshot, window time.Duration) (*cdcops.SnapshotSummary, error) {
	h, err := snapfile.ContentHash(&s.Content)
	if err != nil {
		return nil, err
	}
	all, err := v.List(ctx)
	if err != nil {
		return nil, err
	}
	cutoff := s.Meta.Created.Add(-window)
	for i := len(all) - 1; i >= 0; i-- {
		c := all[i]
		if c.ContentSHA256 == h && c.Via == s.Meta.Via && c.Created.After(cutoff) && v.StoredIntact(ctx, c) {
			return &c, nil
		}
	}
	return nil, nil
}

// coverage counts what a snapshot holds per connector.
func coverage(s *cdcops.Snapshot) map[string]int {
	n := map[string]int{}
	for _, r := range s.Content.Records {
		if !r.Malformed {
			n[r.Connector]++
		}
	}
	for _, gr := range s.Content.Groups {
		n[gr.Connector] += len(gr.Offsets)
	}
	for name, body := range s.Content.REST {
		n[name] += len(body.Offsets)
	}
	return n
}

func countREST(s *cdcops.Snapshot) int {
	n := 0
	for _, b := range s.Content.REST {
		n += len(b.Offsets)
	}
	return n
}

// warnMalformed tells the operator about keys Connect ignores; they are
// kept raw and flagged, never dropped and never "fixed".
func warnMalformed(w io.Writer, s *cdcops.Snapshot) {
	n, envelope := 0, false
	var example []byte
	for _, r := range s.Content.Records {
		if !r.Malformed {
			continue
		}
		if n == 0 {
			example = r.RawKey
		}
		n++
		envelope = envelope || bytes.Contains(r.RawKey, []byte(`"schema"`)) && bytes.Contains(r.RawKey, []byte(`"payload"`))
	}
	if n == 0 {
		return
	}
	if len(example) > 80 {
		example = example[:80]
	}
	fmt.Fprintf(w, "WARNING: %d key(s) are not Connect offset keys [\"name\",{partition}] (e.g. %q); kept raw and flagged malformed\n", n, example)
	if envelope {
		fmt.Fprintln(w, "WARNING: {\"schema\":…,\"payload\":…} keys mean internal converters with schemas.enable=true (Kafka 2.x); Connect 3.x does not read them")
	}
}
