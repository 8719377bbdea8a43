package snapshots

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/vault"
)

// PruneOptions is the retention policy: keep everything younger than
// KeepDays and the KeepLast newest; the newest good snapshot of every
// connector is kept regardless.
type PruneOptions struct {
	KeepDays int
	KeepLast int
	Now      time.Time
}

// PruneDecision is one snapshot's fate and why.
type PruneDecision struct {
	cdcops.SnapshotSummary
	Keep   bool   `json:"keep"`
	Reason string `json:"reason"`
}

// PlanPrune decides which snapshots retention would delete; nothing is
// deleted (ApplyPrune does that). It verifies snapshots, newest first,
// until every connector has a good one to protect.
func PlanPrune(ctx context.Context, v *vault.Vault, o PruneOptions) ([]PruneDecision, error) {
	all, err := v.List(ctx)
	if err != nil {
		return nil, err
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	cutoff := o.Now.Add(-time.Duration(o.KeepDays) * 24 * time.Hour)
	out := make([]PruneDecision, len(all))
	protected := map[string]bool{}
	for _, i := range vault.ExactFirst(all) { // exact snapshots protect a connector first
		s := all[i]
		d := PruneDecision{SnapshotSummary: s}
		var newConns []string
		for _, c := range s.Connectors {
			if !protected[c] {
				newConns = append(newConns, c)
			}
		}
		good := false
		if len(newConns) > 0 {
			if good, err = isGood(ctx, v, s); err != nil {
				return nil, err
			}
			if good {
				for _, c := range newConns {
					protected[c] = true
				}
			}
		}
		rank := len(all) - i // 1 = newest
		switch {
		case good && len(newConns) > 0:
			d.Keep, d.Reason = true, "newest good snapshot of "+strings.Join(newConns, ", ")
		case rank <= o.KeepLast:
			d.Keep, d.Reason = true, fmt.Sprintf("among the %d newest (--keep-last)", o.KeepLast)
		case !s.Created.IsZero() && !s.Created.Before(cutoff):
			d.Keep, d.Reason = true, fmt.Sprintf("younger than %d days", o.KeepDays)
		case s.Created.IsZero():
			d.Keep, d.Reason = true, "no summary; run `cdcops snapshots verify "+s.ID+"`"
		default:
			d.Reason = fmt.Sprintf("older than %d days", o.KeepDays)
		}
		out[i] = d
	}
	return out, nil
}

// isGood verifies a snapshot; an encrypted one the vault cannot decrypt is
// good when its stored bytes still match the sha256 recorded at backup.
func isGood(ctx context.Context, v *vault.Vault, s cdcops.SnapshotSummary) (bool, error) {
	res, err := Verify(ctx, v, s)
	if err == nil {
		return res.OK, nil
	}
	if cdcops.ErrorCodeOf(err) != cdcops.EINVALID {
		return false, err
	}
	return v.StoredIntact(ctx, s), nil
}

// ApplyPrune deletes the snapshots plan marks for deletion.
func ApplyPrune(ctx context.Context, v *vault.Vault, plan []PruneDecision) (int, error) {
	n := 0
	for _, d := range plan {
		if d.Keep {
			continue
		}
		if err := v.Delete(ctx, d.SnapshotSummary); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
