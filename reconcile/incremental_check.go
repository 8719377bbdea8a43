package reconcile

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cdcops/cdcops/reconcile/dialect"
)

const (
	defaultRangeRows = 50
	maxStoredRanges  = 200_000 // a checkpoint of 200k ranges is about 15 MB of JSON
	// A re-check that would read more than this share of the table is
	// no cheaper than a full check.
	maxRecheckShare = 0.25
)

// recheckBatch is how many ranges one query reads back (PostgreSQL's
// planning and MariaDB's range optimiser slow down sharply past a few
// hundred ORed ranges); a variable so a test can make batches tiny.
var recheckBatch = 128

// incremental runs the full check or the re-check incrPrepare chose and
// leaves the next checkpoint in the report.
func (e *engine) incremental(ctx context.Context) error {
	x := e.incr
	var ranges []RangeState
	var err error
	if !x.full {
		ranges, err = e.incrRecheck(ctx)
	}
	if err == nil && ranges == nil { // a full check, chosen up front or by the re-check
		if !x.full { // the mode was not measured for a re-check
			var mode, reason string
			if mode, reason, err = e.chooseMode(ctx); err != nil {
				return err
			}
			e.rep.Mode, e.rep.ModeReason = mode, reason
		}
		x.full, x.rep.Full = true, true
		x.rep.Since = SideTexts{} // nothing was read from the watermarks after all
		ranges, err = e.incrFull(ctx)
	}
	if errors.Is(err, errStop) {
		x.rep.Warnings = append(x.rep.Warnings, "the run stopped at --stop-after: no checkpoint was left for the next run")
	}
	if err != nil {
		return err
	}
	e.rep.Ranges = len(ranges)
	e.rep.SourceRows, e.rep.SinkRows, e.rep.RangesDiffering = 0, 0, 0
	for _, r := range ranges {
		e.rep.SourceRows += r.N[0]
		e.rep.SinkRows += r.N[1]
		if r.D {
			e.rep.RangesDiffering++
		}
	}
	x.rep.Ranges = len(ranges)
	x.rep.Watermark = SideTexts{x.max[0], x.max[1]}
	now := time.Now().UTC()
	cp := &Checkpoint{Version: checkpointVersion, Spec: x.spec, At: now, LastFull: now, Watermark: x.max, Deletes: x.dels, Ranges: ranges}
	if !x.full {
		cp.LastFull, cp.RunsSinceFull = x.in.Prev.LastFull, x.in.Prev.RunsSinceFull+1
	}
	x.rep.RunsSinceFull = cp.RunsSinceFull
	x.rep.NextFull = nextFull(x.in, cp)
	e.incrExplain()
	e.rep.Checkpoint = cp
	return nil
}

func nextFull(in *Incremental, cp *Checkpoint) string {
	var parts []string
	if in.FullEvery > 0 {
		n := in.FullEvery - 1 - cp.RunsSinceFull
		if n <= 0 {
			parts = append(parts, "next run")
		} else {
			parts = append(parts, fmt.Sprintf("after %d more re-checks", n))
		}
	}
	if in.FullAfter > 0 {
		parts = append(parts, "the first run after "+cp.LastFull.Add(in.FullAfter).UTC().Format(time.RFC3339))
	}
	if len(parts) == 0 {
		return "never (no --full-every); run without a checkpoint to force one"
	}
	return strings.Join(parts, ", or ")
}

// rangeRows is the planned size of a stored range.
func (e *engine) rangeRows(est int64) int64 {
	n := int64(e.incr.in.RangeRows)
	if n <= 0 {
		n = defaultRangeRows
	}
	return max(n, est/maxStoredRanges+1)
}

// incrFull compares every range (aggregates on both sides, row reads for
// those that differ) and returns the ranges' new state.
func (e *engine) incrFull(ctx context.Context) ([]RangeState, error) {
	est, err := e.estimate(ctx)
	if err != nil {
		return nil, err
	}
	bounds, err := e.src.boundaries(ctx, keyRange{}, e.rangeRows(est))
	if err != nil {
		return nil, err
	}
	var aggs [2][]agg
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range []*side{e.src, e.dst} {
		g.Go(func() (err error) {
			aggs[i], err = e.sideAggs(gctx, s, bounds)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if _, ok := intBounds(e, nil); !ok && (e.src.push || e.dst.push) {
		e.rep.Notes = append(e.rep.Notes, "--incremental full check: range checksums were computed from one ordered read on the pushdown side too (the key is not a single integer, so a grouped query cannot place rows in ranges)")
	}
	ranges := splitRange(keyRange{}, bounds)
	out := make([]RangeState, len(ranges))
	for i, r := range ranges {
		a, b := norm(aggs[0][i]), norm(aggs[1][i])
		out[i] = RangeState{Lo: r.Lo, N: [2]int64{a.Count, b.Count}, Sum: [2]string{digest(a), digest(b)}, D: a != b}
		if a != b {
			e.pending = append(e.pending, r)
			if len(e.pending) >= pendingRanges {
				if err := e.flushPending(ctx); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := e.flushPending(ctx); err != nil {
		return nil, err
	}
	e.incr.bounds = encodeBounds(out)
	e.settleVerdicts(out, nil)
	x := e.incr.rep
	x.RangesRechecked = len(out)
	return out, nil
}

// sideAggs is one side's aggregate per range cut at bounds: in Go for a
// streaming side, one grouped query for a single integer key, else one
// query per range.
func (e *engine) sideAggs(ctx context.Context, s *side, bounds [][]string) ([]agg, error) {
	if !s.push {
		return s.streamAggs(ctx, keyRange{}, bounds, e.cmp)
	}
	if ints, ok := intBounds(e, bounds); ok && len(ints) > 0 {
		if expr, ok := s.d.BucketExpr(s.keyOrd[0], ints); ok {
			m, err := s.groupChecksum(ctx, expr)
			if err != nil {
				return nil, err
			}
			out := make([]agg, len(bounds)+1)
			for k, a := range m {
				if id, err := strconv.Atoi(k); err == nil && id >= 0 && id < len(out) {
					out[id] = a
				}
			}
			return out, nil
		}
	}
	// One query per range would be hundreds of thousands of queries: the
	// side's aggregates are computed from one ordered read instead.
	return s.streamAggs(ctx, keyRange{}, bounds, e.cmp)
}

// intBounds returns the bounds as integers for a single integer key.
func intBounds(e *engine, bounds [][]string) ([]int64, bool) {
	if e.p.nKeys != 1 || e.p.cols[0].Format.Class != dialect.ClassInt {
		return nil, false
	}
	out := make([]int64, len(bounds))
	for i, b := range bounds {
		n, err := strconv.ParseInt(b[0], 10, 64)
		if err != nil {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

func encodeBounds(rs []RangeState) [][]byte {
	out := make([][]byte, 0, len(rs))
	for _, r := range rs[1:] {
		out = append(out, encodeKey(r.Lo))
	}
	return out
}

// rangeOf is the index of the range holding key (ranges cut at bounds).
func rangeOf(cmp keyCmp, bounds [][]byte, key []byte) int {
	return sort.Search(len(bounds), func(j int) bool { return cmp.compare(bounds[j], key) > 0 })
}

// settleVerdicts sets each compared range's D from the rows found to
// differ (a range whose checksums differ only through engine rendering,
// e.g. floats, is equal). Without the key list (too many differences) the
// checksum verdicts stand. only limits it to those ranges (nil = all).
func (e *engine) settleVerdicts(rs []RangeState, only map[int]bool) {
	if e.col.tooMany {
		return
	}
	hit := map[int]bool{}
	for _, k := range e.col.keyList {
		hit[rangeOf(e.cmp, e.incr.bounds, k)] = true
	}
	for i := range rs {
		if only == nil || only[i] {
			rs[i].D = hit[i]
		}
	}
}

// incrRecheck re-compares the ranges with changed rows (or that differed
// or changed size) and carries the others over; nil ranges mean "do a
// full check instead" with the reason in the report.
func (e *engine) incrRecheck(ctx context.Context) ([]RangeState, error) {
	x := e.incr
	prev := x.in.Prev
	x.bounds = encodeBounds(prev.Ranges)
	touched := map[int]bool{}
	for i, r := range prev.Ranges {
		if r.D {
			touched[i] = true
		}
	}
	var total int64
	for _, r := range prev.Ranges {
		total += max(r.N[0], r.N[1])
	}
	limit := max(int64(float64(total)*maxRecheckShare)/int64(max(e.rangeRows(total), 1)), 1000)
	x.rep.Since = SideTexts{prev.Watermark[0], prev.Watermark[1]}
	start := time.Now()
	var changed [2][][]string
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range []*side{e.src, e.dst} {
		g.Go(func() (err error) {
			changed[i], err = e.changedKeys(gctx, i, s, prev.Watermark[i], limit+1)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	e.log.Debug("incremental: changed keys", "source", len(changed[0]), "sink", len(changed[1]), "took", time.Since(start))
	x.rep.ChangedRows = SideCount{int64(len(changed[0])), int64(len(changed[1]))}
	if int64(len(changed[0])) > limit || int64(len(changed[1])) > limit {
		x.rep.Reason = fmt.Sprintf("more than %d rows changed since the checkpoint: a full check is as cheap as re-reading their ranges", limit)
		return nil, nil
	}
	for _, keys := range changed {
		for _, k := range keys {
			touched[rangeOf(e.cmp, x.bounds, encodeKey(k))] = true
		}
	}
	count, why := x.in.CountRanges, "--count-ranges"
	for i, name := range []string{"source", "sink"} {
		switch {
		case x.dels[i] >= 0 && prev.Deletes[i] >= 0 && x.dels[i] != prev.Deletes[i]:
			count = true
			why = fmt.Sprintf("the %s's statistics count %d deleted rows since the checkpoint", name, x.dels[i]-prev.Deletes[i])
			if x.dels[i] < prev.Deletes[i] {
				why = "the " + name + "'s delete statistics were reset"
			}
		case x.dels[i] < 0 && !x.in.CountRanges && (i == 1 || e.spec.SourceReplica == ""):
			x.rep.Warnings = append(x.rep.Warnings, fmt.Sprintf("hard deletes on the %s are invisible to %s and %s keeps no delete count: a row deleted only there is found by the next full check or with --count-ranges",
				name, x.col[i].Name, []*side{e.src, e.dst}[i].d.Engine()))
		}
	}
	if count {
		if _, ok := intBounds(e, nil); !ok {
			x.rep.Reason = why + ": counting rows per range needs a single integer key; full check"
			return nil, nil
		}
		x.rep.RangesCounted = true
		x.rep.Sound = append(x.rep.Sound, "rows were counted per range on both sides ("+why+"): a range that lost or gained rows without a newer "+x.rep.UpdatedColumn+" was re-checked")
		counts, err := e.rangeCounts(ctx, prev.Ranges)
		if err != nil {
			return nil, err
		}
		for i, r := range prev.Ranges {
			if counts[i] != r.N {
				touched[i] = true
			}
		}
	}
	var rows int64
	for i := range touched {
		rows += max(prev.Ranges[i].N[0], prev.Ranges[i].N[1])
	}
	if float64(rows) > float64(total)*maxRecheckShare && rows > 10000 {
		x.rep.Reason = fmt.Sprintf("the changed rows fall in ranges holding %d of %d rows: a full check is as cheap", rows, total)
		return nil, nil
	}
	out := append([]RangeState(nil), prev.Ranges...)
	idx := make([]int, 0, len(touched))
	for i := range touched {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	start = time.Now()
	if err := e.recheckRanges(ctx, out, idx); err != nil {
		return nil, err
	}
	e.log.Debug("incremental: ranges re-read", "ranges", len(idx), "rows", rows, "took", time.Since(start))
	e.settleVerdicts(out, touched)
	x.rep.RangesRechecked = len(idx)
	x.rep.RangesReused = len(out) - len(idx)
	for i, r := range out {
		if !touched[i] {
			x.rep.RowsReused += r.N[0]
		}
	}
	return out, nil
}

// changedKeys reads the keys of one side's rows with updated_at at or
// after the watermark minus the margin (at most limit).
func (e *engine) changedKeys(ctx context.Context, i int, s *side, watermark string, limit int64) ([][]string, error) {
	w, args := s.pred(keyRange{})
	cond := e.incr.ct[i].Since(e.incr.col[i], len(args)+1, e.incr.in.Margin.Microseconds())
	args = append(args, watermark)
	q := "SELECT " + strings.Join(s.keyCan, ", ") + " FROM " + s.from + " WHERE " + andWhere(w, cond) + " LIMIT " + strconv.FormatInt(limit, 10)
	s.queries.Add(1)
	rows, err := s.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.queryErr("changed rows", err)
	}
	defer rows.Close()
	var out [][]string
	vals := make([]*string, s.nKeys)
	ptrs := make([]any, s.nKeys)
	for j := range vals {
		ptrs[j] = &vals[j]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, s.queryErr("changed rows", err)
		}
		k := make([]string, s.nKeys)
		for j, v := range vals {
			if v == nil {
				return nil, nullKey(s, j)
			}
			k[j] = *v
		}
		out = append(out, k)
	}
	return out, s.queryErr("changed rows", rows.Err())
}

// rangeCounts counts the rows of every range on both sides: one grouped
// query per side over the key index.
func (e *engine) rangeCounts(ctx context.Context, rs []RangeState) ([][2]int64, error) {
	bounds := make([][]string, 0, len(rs))
	for _, r := range rs[1:] {
		bounds = append(bounds, r.Lo)
	}
	ints, _ := intBounds(e, bounds)
	out := make([][2]int64, len(rs))
	g, gctx := errgroup.WithContext(ctx)
	for si, s := range []*side{e.src, e.dst} {
		g.Go(func() error {
			expr, ok := "0", true // one range: no bounds to place keys between
			if len(ints) > 0 {
				expr, ok = s.d.BucketExpr(s.keyOrd[0], ints)
			}
			if !ok {
				return fmt.Errorf("%s: no bucket expression for range counts", s.name)
			}
			w, args := s.pred(keyRange{})
			s.queries.Add(1)
			rows, err := s.conn.QueryContext(gctx, "SELECT "+expr+" AS b, count(*) FROM "+s.from+whereClause(w)+" GROUP BY 1", args...)
			if err != nil {
				return s.queryErr("range counts", err)
			}
			defer rows.Close()
			for rows.Next() {
				var id, n int64
				if err := rows.Scan(&id, &n); err != nil {
					return s.queryErr("range counts", err)
				}
				if id >= 0 && id < int64(len(out)) {
					out[id][si] = n
				}
			}
			return s.queryErr("range counts", rows.Err())
		})
	}
	return out, g.Wait()
}

// recheckRanges reads the ranges idx (ascending) on both sides,
// merge-compares them and stores their new counts and sums.
func (e *engine) recheckRanges(ctx context.Context, rs []RangeState, idx []int) error {
	krs := make([]keyRange, len(idx))
	for j, i := range idx {
		krs[j] = keyRange{Lo: rs[i].Lo}
		if i+1 < len(rs) {
			krs[j].Hi = rs[i+1].Lo
		}
	}
	for _, s := range []*side{e.src, e.dst} {
		if err := s.budget.wait(ctx, s); err != nil {
			return err
		}
	}
	var sums [2][]rangeSum
	err := e.mergeBoth(ctx, func(ctx context.Context, s *side, out chan<- []srow) error {
		si := 0
		if s == e.dst {
			si = 1
		}
		var err error
		sums[si], err = e.teeSums(ctx, s, krs, out)
		return err
	})
	if err != nil {
		return err
	}
	for j, i := range idx {
		a, b := sums[0][j].agg(), sums[1][j].agg()
		rs[i].N = [2]int64{a.Count, b.Count}
		rs[i].Sum = [2]string{digest(a), digest(b)}
		rs[i].D = a != b
	}
	return nil
}

// rangeSum accumulates one range's count and md5 sums in Go.
type rangeSum struct {
	n      int64
	hi, lo dialect.Sum128
}

func (r *rangeSum) agg() agg {
	return norm(agg{Count: r.n, Hi: r.hi.String(), Lo: r.lo.String()})
}

// teeSums streams s's rows of krs to out (copies: out's consumer may hold
// a batch longer than the producer's ring allows a second hop) and sums
// each range's rows on the way.
func (e *engine) teeSums(ctx context.Context, s *side, krs []keyRange, out chan<- []srow) ([]rangeSum, error) {
	defer close(out)
	sums := make([]rangeSum, len(krs))
	his := make([][]byte, len(krs))
	for j, r := range krs {
		if r.Hi != nil {
			his[j] = encodeKey(r.Hi)
		}
	}
	// recheckBatch ranges per query, one query after the other: the rows
	// stay in key order, and each side goes at its own pace.
	j := 0
	for from := 0; from < len(krs); from += recheckBatch {
		if err := e.teeBatch(ctx, s, krs[from:min(from+recheckBatch, len(krs))], his, sums, &j, out); err != nil {
			return nil, err
		}
	}
	return sums, nil
}

// teeBatch is one query of teeSums; j is the range the last row fell in.
func (e *engine) teeBatch(ctx context.Context, s *side, krs []keyRange, his [][]byte, sums []rangeSum, j *int, out chan<- []srow) error {
	inner := make(chan []srow, 8)
	errc := make(chan error, 1)
	go func() { errc <- s.produce(ctx, keyRange{Or: krs}, e.cmp, inner) }()
	var sendErr error
	for batch := range inner {
		if sendErr != nil {
			continue // drain until the producer stops
		}
		size := 0
		for _, row := range batch {
			size += len(row.text)
		}
		arena := make([]byte, 0, size)
		cp := make([]srow, len(batch))
		for k, row := range batch {
			start := len(arena)
			arena = append(arena, row.text...)
			cp[k] = srow{text: arena[start:len(arena):len(arena)], keyLen: row.keyLen, dup: row.dup}
			for *j < len(sums)-1 && his[*j] != nil && e.cmp.compare(row.key(), his[*j]) >= 0 {
				*j++
			}
			hi, lo := dialect.Halves(row.text)
			sums[*j].n++
			sums[*j].hi.Add(hi)
			sums[*j].lo.Add(lo)
		}
		select {
		case out <- cp:
		case <-ctx.Done():
			sendErr = ctx.Err()
		}
	}
	if err := <-errc; err != nil {
		return err
	}
	return sendErr
}

// incrExplain writes why what was skipped is sound, and what it misses.
func (e *engine) incrExplain() {
	x := e.incr
	r := x.rep
	col := r.UpdatedColumn
	if r.Full {
		r.Sound = append(r.Sound, fmt.Sprintf("every range was compared (%d ranges); the checkpoint stores their counts and checksums and the watermarks of %s for the next re-check", r.Ranges, col))
		return
	}
	r.Sound = append(r.Sound,
		fmt.Sprintf("%d of %d ranges (%d source rows) were not read: none holds a row whose %s is at or after the checkpoint's watermark minus %s on either side, and each was equal when last compared",
			r.RangesReused, r.Ranges, r.RowsReused, col, x.in.Margin),
		fmt.Sprintf("rows whose change committed up to %s after the %s it carries (long transactions, clock skew, replication delay on the sink) are still re-checked; raise --updated-margin if changes can take longer", x.in.Margin, col))
	r.Warnings = append(r.Warnings, "a change that does not set "+col+" (a manual UPDATE, a bulk load, a sink-side write keeping the source's value) is not seen until the next full check: "+r.NextFull)
	if !r.RangesCounted {
		r.Warnings = append(r.Warnings, "hard deletes leave no "+col+": ranges were not counted this run, so a row deleted on one side only is found by the next full check ("+r.NextFull+") or with --count-ranges")
	}
}
