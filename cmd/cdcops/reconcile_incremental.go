package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/sqlconn"
	"github.com/cdcops/cdcops/state"
)

// incrementalOptions are the flags of `reconcile --incremental`.
type incrementalOptions struct {
	on            bool
	updatedColumn string
	margin        time.Duration
	fullEvery     string
	countRanges   bool
}

func incrementalFlags(fs *pflag.FlagSet, o *incrementalOptions) {
	fs.BoolVar(&o.on, "incremental", false, "re-check only the key ranges with rows changed since the last run's checkpoint (needs --updated-column)")
	fs.StringVar(&o.updatedColumn, "updated-column", "", "--incremental: date/timestamp column every change sets, COL or source_col:sink_col")
	fs.DurationVar(&o.margin, "updated-margin", 5*time.Minute, "--incremental: also re-check rows this much older than the watermark (late commits, clock skew, replication delay)")
	fs.StringVar(&o.fullEvery, "full-every", "24h", "--incremental: force a full check every N runs (e.g. 10) or after a duration (e.g. 24h); 0 = never")
	fs.BoolVar(&o.countRanges, "count-ranges", false, "--incremental: count rows per range on both sides every run, to find hard deletes (one key-index scan per side)")
}

// incremental builds Spec.Incremental from the flags (nil without
// --incremental); pair files override the same keys.
func (o *incrementalOptions) incremental(on *bool, column, margin, fullEvery string, countRanges *bool) (*reconcile.Incremental, error) {
	enabled := o.on
	if on != nil {
		enabled = *on
	}
	if !enabled {
		return nil, nil
	}
	in := &reconcile.Incremental{UpdatedColumn: first(column, o.updatedColumn), Margin: o.margin, CountRanges: o.countRanges}
	if countRanges != nil {
		in.CountRanges = *countRanges
	}
	if margin != "" {
		d, err := time.ParseDuration(margin)
		if err != nil {
			return nil, cdcops.Errorf(cdcops.EINVALID, "write updated_margin as a duration, e.g. 5m", "invalid updated_margin %q", margin)
		}
		in.Margin = d
	}
	every := first(fullEvery, o.fullEvery)
	if n, err := strconv.Atoi(every); err == nil && n >= 0 {
		in.FullEvery = n
	} else if d, err := time.ParseDuration(every); err == nil && d >= 0 {
		in.FullAfter = d
	} else {
		return nil, cdcops.Errorf(cdcops.EINVALID, "use --full-every N (runs, e.g. 10) or a duration (e.g. 24h)", "invalid --full-every %q", every)
	}
	return in, nil
}

// loadCheckpoint hands the pair's last checkpoint to the spec (none: the
// run is a full check). An unreadable one is logged and not used.
func (r *runOutputs) loadCheckpoint(ctx context.Context, spec *reconcile.Spec) error {
	if spec.Incremental == nil {
		return nil
	}
	if engine, err := sqlconn.EngineOf(r.g.stateURL); err == nil && engine == sqlconn.SQLite {
		if _, err := os.Stat(sqlconn.SQLitePath(r.g.stateURL)); err != nil {
			return nil // no store yet: nothing to load, and a refused run must not create one
		}
	}
	start := time.Now()
	store, err := r.openStore(ctx)
	if err != nil {
		return err
	}
	defer func() {
		r.g.log.Debug("incremental: checkpoint loaded", "table", spec.Table, "took", time.Since(start))
	}()
	body, err := store.LatestCheckpoint(ctx, reconcile.PairID(*spec))
	if err != nil || body == nil {
		return err
	}
	cp, err := reconcile.DecodeCheckpoint(body)
	if err != nil {
		r.g.log.Warn("unreadable reconcile checkpoint; running a full check", "table", spec.Table, "err", err)
		return nil
	}
	spec.Incremental.Prev = cp
	return nil
}

// saveCheckpoint stores what the next incremental run of the pair starts
// from; a store that refuses it is logged (the next run is then a full
// check), the comparison itself stands.
func (r *runOutputs) saveCheckpoint(ctx context.Context, spec reconcile.Spec, rep *reconcile.Report) {
	if spec.Incremental == nil || rep.Checkpoint == nil {
		return
	}
	start := time.Now()
	defer func() {
		r.g.log.Debug("incremental: checkpoint stored", "table", spec.Table, "took", time.Since(start))
	}()
	body, err := rep.Checkpoint.Encode()
	if err == nil {
		var store *state.Store
		if store, err = r.openStore(ctx); err == nil {
			r.mu.Lock()
			err = store.AddCheckpoint(ctx, reconcile.PairID(spec), rep.Checkpoint.At, rep.Incremental.Full, body)
			r.mu.Unlock()
		}
	}
	if err != nil {
		r.g.log.Warn("could not store the incremental checkpoint; the next run will be a full check", "table", spec.Table, "err", err)
	}
}

// openStore opens the state store once for all of a command's runs.
func (r *runOutputs) openStore(ctx context.Context) (*state.Store, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.store == nil {
		store, err := state.Open(ctx, r.g.stateURL)
		if err != nil {
			return nil, err
		}
		r.store = store
	}
	return r.store, nil
}

// incrNeedsRecord refuses --incremental with --record=false before
// anything is opened: the checkpoint lives in the state store.
func (o *reconcileOptions) incrNeedsRecord(s reconcile.Spec) error {
	if s.Incremental != nil && !o.record {
		return usageError{fmt.Errorf("--incremental keeps its checkpoint in the state store (--state): drop --record=false")}
	}
	return nil
}
