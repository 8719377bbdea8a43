package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile/dialect"
)

// engine is one run's state.
type engine struct {
	spec     *Spec
	src, dst *side
	p        *plan
	cmp      keyCmp
	col      *collector
	rep      *Report
	log      *slog.Logger
	pending  []keyRange // differing small ranges waiting to be read (pushdown)
	bud      *budget    // nil: no load budget
	incr     *incr      // --incremental (incremental.go)
}

// Run compares the spec's source and sink tables and returns the report.
// Differences are not an error: check Report.Equal. Errors carry a cdcops
// code (EINVALID for bad input, ENOTFOUND for a missing table or column,
// EUNAVAILABLE when a database cannot be reached or a query fails).
func Run(ctx context.Context, spec Spec) (*Report, error) {
	start := time.Now()
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if spec.SinkTable == "" {
		spec.SinkTable = spec.Table
	}
	log := spec.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Waiting for the window comes before --timeout starts: the timeout
	// bounds the run, not the hours until its window opens.
	bud := newBudget(&spec, log)
	if err := bud.waitWindow(ctx); err != nil { // before anything is held open
		return nil, err
	}
	if spec.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, spec.Timeout)
		defer cancel()
	}
	e := &engine{spec: &spec, log: log, bud: bud}
	rep, err := e.run(ctx)
	if err != nil {
		// A query cancelled on the server at the deadline fails with the
		// driver's "canceling statement" error, not DeadlineExceeded: ask
		// the run's own context why it ended.
		if spec.Timeout > 0 && (errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded)) {
			return nil, cdcops.Errorf(cdcops.EUNAVAILABLE, "raise --timeout, narrow with --where, or try --mode pushdown", "reconcile timed out after %s: %w", spec.Timeout, context.DeadlineExceeded)
		}
		return nil, err
	}
	rep.ElapsedMS = time.Since(start).Milliseconds()
	return rep, nil
}

func (e *engine) run(ctx context.Context) (*Report, error) {
	s := e.spec
	// Open and describe both sides in parallel.
	// Open and describe both sides in parallel; report the source's error
	// first so the message does not depend on which side was faster.
	sides := [2]*side{}
	var errs [2]error
	var wg sync.WaitGroup
	srcDSN := s.Source
	if s.SourceReplica != "" { // read there instead; --source only names the primary
		srcDSN = s.SourceReplica
	}
	for i, dsn := range []string{srcDSN, s.Sink} {
		name, table := "source", s.Table
		if i == 1 {
			name, table = "sink", s.SinkTable
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sd, err := openSide(ctx, name, dsn)
			if err != nil {
				errs[i] = err
				return
			}
			sides[i] = sd
			if i == 0 && s.SourceReplica != "" {
				if errs[i] = sd.openReplica(ctx); errs[i] != nil {
					return
				}
			}
			if err := sd.begin(ctx); err != nil {
				errs[i] = err
				return
			}
			errs[i] = sd.describe(ctx, table)
		}()
	}
	wg.Wait()
	for _, sd := range sides {
		if sd != nil {
			defer sd.close()
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	e.src, e.dst = sides[0], sides[1]
	e.src.budget, e.dst.budget = e.bud, e.bud
	p, err := makePlan(s, e.src.table, e.dst.table)
	if err != nil {
		return nil, err
	}
	e.p = p
	e.src.setPlan(p, s.SourceWhere)
	e.dst.setPlan(p, s.SinkWhere)
	for i := 0; i < p.nKeys; i++ {
		e.cmp.classes = append(e.cmp.classes, p.cols[i].Format.Class)
	}
	e.rep = e.newReport()
	e.col = &collector{p: p, rep: e.rep, stopAfter: s.StopAfter, listCap: s.MaxDiffs, sink: s.DiffSink, keepKeys: s.Settle > 0}
	for i := 0; i < p.nKeys; i++ {
		e.col.keyNames = append(e.col.keyNames, p.cols[i].Name)
	}
	if s.Incremental != nil {
		e.col.keepKeys = true // a range's verdict is whether rows in it differ
		if err := e.incrPrepare(ctx); err != nil {
			return nil, err
		}
	}

	if s.Progress != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					s.Progress(e.src.rows.Load()+e.dst.rows.Load(), e.src.table.EstRows+e.dst.table.EstRows)
				case <-done:
					return
				}
			}
		}()
	}
	mode, reason := "stream", fmt.Sprintf("key filter: %d keys read by key on both sides", len(s.Keys))
	if s.Keys == nil && !e.incr.rechecks() {
		if mode, reason, err = e.chooseMode(ctx); err != nil {
			return nil, err
		}
	} else {
		e.rep.SourceMode, e.rep.SinkMode = "stream", "stream"
		if s.Keys == nil {
			reason = "incremental re-check: the changed ranges are read in key order on both sides"
		}
	}
	e.rep.Mode, e.rep.ModeReason = mode, reason
	e.log.Debug("reconcile", "mode", mode, "reason", reason, "source_sql", e.src.row)
	switch {
	case s.Keys != nil: // only the listed keys, read by key on both sides
		err = e.compareKeys(ctx)
	case s.Incremental != nil: // per-range state kept for the next run
		err = e.incremental(ctx)
	case mode == "stream": // both stream: merge-compare once, no aggregates needed
		err = e.streamAll(ctx)
	default:
		err = e.pushdown(ctx)
	}
	if err != nil && !errors.Is(err, errStop) && !e.windowClosed(err) {
		return nil, err
	}
	if s.PartitionBy != "" && !e.rep.WindowClosed {
		if e.rep.StoppedEarly {
			e.rep.Notes = append(e.rep.Notes, "--partition-by skipped: the run stopped at --stop-after")
		} else if err := e.partitions(ctx); err != nil {
			return nil, err
		}
	}
	if s.Settle > 0 && e.rep.Total() > 0 && !e.rep.WindowClosed {
		if err := e.settle(ctx); err != nil {
			return nil, err
		}
	}
	e.rep.Queries = int(e.src.queries.Load() + e.dst.queries.Load())
	e.rep.RowsRead = e.src.rows.Load() + e.dst.rows.Load()
	e.rep.BytesMoved = SideCount{Source: e.src.net.total(), Sink: e.dst.net.total()}
	e.src.budget.report(e.rep)
	e.reportReplica()
	// A run stopped by its window proves nothing about the rest.
	e.rep.Equal = e.rep.Total() == 0 && e.rep.SourceRows == e.rep.SinkRows && !e.rep.WindowClosed
	for _, pt := range e.rep.Partitions {
		e.rep.Equal = e.rep.Equal && pt.Equal
	}
	return e.rep, nil
}

func (e *engine) newReport() *Report {
	s := e.spec
	r := &Report{
		Source: e.src.db.Name, Sink: e.dst.db.Name,
		SourceTable: e.src.table.Ref.String(), SinkTable: e.dst.table.Ref.String(),
		Columns: map[string]int64{}, Differences: []Difference{}, Notes: append([]string{}, e.p.notes...), Partitions: []Partition{},
		TimestampPrecision: s.TimestampPrecision,
	}
	if r.TimestampPrecision == "" {
		r.TimestampPrecision = "us"
	}
	if s.SourceName != "" {
		r.Source = s.SourceName
	}
	if s.SinkName != "" {
		r.Sink = s.SinkName
	}
	for i, cp := range e.p.cols {
		if i < e.p.nKeys {
			r.Key = append(r.Key, cp.Name)
		}
		r.Compared = append(r.Compared, ColumnInfo{Source: cp.Src.Name, Sink: cp.Dst.Name, As: cp.Format.Class.String(), Scale: scaleOf(cp.Format), Key: i < e.p.nKeys})
		if i >= e.p.nKeys {
			r.Columns[cp.Name] = 0
		}
		if cp.Format.Class == dialect.ClassFloat || cp.Format.Class == dialect.ClassJSON {
			r.Notes = append(r.Notes, fmt.Sprintf("column %s is compared as %s after fetch (engines render it differently); pushdown checksums may flag its ranges for a row-level look", cp.Name, cp.Format.Class))
		}
	}
	return r
}

// streamAll merge-compares the whole tables, both read in parallel.
func (e *engine) streamAll(ctx context.Context) error {
	e.rep.Ranges = 1
	srcN, dstN, err := e.mergeRange(ctx, keyRange{})
	e.rep.SourceRows, e.rep.SinkRows = srcN, dstN
	if e.rep.Total() > 0 {
		e.rep.RangesDiffering = 1
	}
	return err
}

// mergeRange streams r from both sides and merge-compares it, returning
// the rows each side held.
func (e *engine) mergeRange(ctx context.Context, r keyRange) (int64, int64, error) {
	before := [2]int64{e.src.rows.Load(), e.dst.rows.Load()}
	err := e.mergeBoth(ctx, func(ctx context.Context, s *side, out chan<- []srow) error {
		return s.produce(ctx, r, e.cmp, out)
	})
	return e.src.rows.Load() - before[0], e.dst.rows.Load() - before[1], err
}

// mergeBoth runs produce on both sides and merge-compares the two streams.
// A producer's failure always wins over errStop: --stop-after must never
// hide a read error (or report differences a failed read made up).
func (e *engine) mergeBoth(ctx context.Context, produce func(context.Context, *side, chan<- []srow) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chs := [2]chan []srow{make(chan []srow, 8), make(chan []srow, 8)}
	var perr [2]error
	fin := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range []*side{e.src, e.dst} {
		g.Go(func() error {
			defer close(fin[i])
			perr[i] = produce(gctx, s, chs[i])
			return perr[i]
		})
	}
	ended := func(i int) error {
		<-fin[i]
		return perr[i]
	}
	mergeErr := e.col.merge(gctx, e.cmp, chs[0], chs[1], ended)
	if mergeErr != nil {
		cancel()
	}
	err := g.Wait()
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		return err
	case mergeErr != nil:
		return mergeErr
	}
	return err
}
