package reconcile

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cdcops/cdcops/reconcile/dialect"
)

const (
	defaultLeafRows  = 2000
	defaultMaxRanges = 10000 // single-pass bucket query (integer keys)
	rangedFanout     = 64    // per-range queries (other keys)
	splitFanout      = 16
	pendingRanges    = 256 // differing small ranges read back in one query per side
)

// flushPending reads all queued differing ranges in one ordered query per
// side and merge-compares them: one round trip instead of one per range.
func (e *engine) flushPending(ctx context.Context) error {
	if len(e.pending) == 0 {
		return nil
	}
	rs := e.pending
	e.pending = nil
	for _, s := range []*side{e.src, e.dst} {
		if err := s.budget.wait(ctx, s); err != nil {
			return err
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rangeLess(e.cmp, rs[i], rs[j]) })
	start := time.Now()
	_, _, err := e.mergeRange(ctx, keyRange{Or: rs})
	e.log.Debug("read differing ranges", "ranges", len(rs), "took", time.Since(start))
	return err
}

// rangeLess orders disjoint ranges by their lower bound (nil = -inf).
func rangeLess(cmp keyCmp, a, b keyRange) bool {
	switch {
	case a.Lo == nil:
		return b.Lo != nil
	case b.Lo == nil:
		return false
	}
	return cmp.compare(encodeKey(a.Lo), encodeKey(b.Lo)) < 0
}

// pushdown compares per-range counts and md5 sums computed by the
// databases, and reads only the ranges whose sums differ.
func (e *engine) pushdown(ctx context.Context) error {
	if e.treeOK() {
		err := e.tree(ctx)
		if err == nil {
			return e.flushPending(ctx)
		}
		if !errors.Is(err, errWideKeys) {
			return err
		}
	}
	leaf := int64(e.spec.LeafRows)
	if leaf <= 0 {
		leaf = defaultLeafRows
	}
	est, err := e.estimate(ctx)
	if err != nil {
		return err
	}
	if est <= leaf {
		e.rep.Ranges = 1
		a, b, err := e.checksumBoth(ctx, keyRange{})
		if err != nil {
			return err
		}
		e.rep.SourceRows, e.rep.SinkRows = a.Count, b.Count
		if err := e.checkRange(ctx, keyRange{}, a, b, leaf); err != nil {
			return err
		}
		return e.flushPending(ctx)
	}
	if e.p.nKeys == 1 && e.p.cols[0].Format.Class == dialect.ClassInt {
		ok := true
		for _, s := range []*side{e.src, e.dst} {
			if _, can := s.d.BucketExpr("k", nil); s.push && !can {
				ok = false
			}
		}
		if ok {
			if err := e.buckets(ctx, est, leaf); err != nil {
				return err
			}
			return e.flushPending(ctx)
		}
	}
	if err := e.ranged(ctx, keyRange{}, est, rangedFanout, leaf, true); err != nil {
		return err
	}
	return e.flushPending(ctx)
}

// estimate is the larger side's row count: the catalog's estimate, or a
// count when the catalog has none worth trusting.
func (e *engine) estimate(ctx context.Context) (int64, error) {
	est := max(e.src.table.EstRows, e.dst.table.EstRows)
	if est >= 10000 && e.src.where == "" && e.dst.where == "" {
		return est, nil
	}
	var n [2]int64
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range []*side{e.src, e.dst} {
		g.Go(func() error {
			w, args := s.pred(keyRange{})
			q := "SELECT count(*) FROM " + s.from
			if w != "" {
				q += " WHERE " + w
			}
			s.queries.Add(1)
			return s.queryErr("count", s.conn.QueryRowContext(gctx, q, args...).Scan(&n[i]))
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return max(n[0], n[1]), nil
}

func (e *engine) checksumBoth(ctx context.Context, r keyRange) (agg, agg, error) {
	var a, b agg
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range []*side{e.src, e.dst} {
		g.Go(func() error {
			aggs, err := e.rangeAggs(gctx, s, r, nil)
			if err == nil {
				if i == 0 {
					a = aggs[0]
				} else {
					b = aggs[0]
				}
			}
			return err
		})
	}
	err := g.Wait() // before reading a and b
	return a, b, err
}

// checkRange settles one range whose aggregates are known: equal ranges
// are done, small ones are merge-compared row by row, large ones split.
func (e *engine) checkRange(ctx context.Context, r keyRange, a, b agg, leaf int64) error {
	if a, b = norm(a), norm(b); a == b {
		return nil
	}
	e.rep.RangesDiffering++
	if max(a.Count, b.Count) <= leaf*2 || a.Count == 0 || b.Count == 0 {
		e.pending = append(e.pending, r)
		if len(e.pending) >= pendingRanges {
			return e.flushPending(ctx)
		}
		return nil
	}
	return e.ranged(ctx, r, max(a.Count, b.Count), splitFanout, leaf, false)
}

// ranged splits r into about fanout ranges balanced by row count, takes
// both sides' checksums per range and descends into the differing ones.
func (e *engine) ranged(ctx context.Context, r keyRange, rows int64, fanout int, leaf int64, top bool) error {
	planner := e.src
	if !top && e.src.table.EstRows < e.dst.table.EstRows {
		planner = e.dst
	}
	for _, s := range []*side{e.src, e.dst} {
		if err := s.budget.wait(ctx, s); err != nil {
			return err
		}
	}
	step := max(leaf/2, rows/int64(fanout), 1)
	bounds, err := planner.boundaries(ctx, r, step)
	if err != nil {
		return err
	}
	ranges := splitRange(r, bounds)
	e.rep.Ranges += len(ranges)
	aggs := make([][2]agg, len(ranges))
	g, gctx := errgroup.WithContext(ctx)
	for si, s := range []*side{e.src, e.dst} {
		g.Go(func() error {
			res, err := e.rangeAggs(gctx, s, r, bounds)
			for i, a := range res {
				aggs[i][si] = a
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, rr := range ranges {
		if top {
			e.rep.SourceRows += aggs[i][0].Count
			e.rep.SinkRows += aggs[i][1].Count
		}
		if err := e.checkRange(ctx, rr, aggs[i][0], aggs[i][1], leaf); err != nil {
			return err
		}
	}
	return nil
}

// splitRange cuts r at the boundary keys.
func splitRange(r keyRange, bounds [][]string) []keyRange {
	out := make([]keyRange, 0, len(bounds)+1)
	lo := r.Lo
	for _, b := range bounds {
		out = append(out, keyRange{Lo: lo, Hi: b})
		lo = b
	}
	return append(out, keyRange{Lo: lo, Hi: r.Hi})
}

// buckets is the single-pass plan for one integer key: walk the key index
// once for boundaries, then one grouped query per side returns every
// range's count and sums together.
func (e *engine) buckets(ctx context.Context, est, leaf int64) error {
	maxRanges := int64(e.spec.MaxRanges)
	if maxRanges <= 0 {
		maxRanges = defaultMaxRanges
	}
	step := max(leaf/2, est/maxRanges, 1)
	start := time.Now()
	keys, err := e.src.boundaries(ctx, keyRange{}, step)
	if err != nil {
		return err
	}
	e.log.Debug("planned ranges", "ranges", len(keys)+1, "rows_per_range", step, "took", time.Since(start))
	bounds := make([]int64, len(keys))
	for i, k := range keys {
		if bounds[i], err = strconv.ParseInt(k[0], 10, 64); err != nil {
			return err
		}
	}
	e.rep.Ranges = len(bounds) + 1
	var res [2]map[string]agg
	g, gctx := errgroup.WithContext(ctx)
	for si, s := range []*side{e.src, e.dst} {
		g.Go(func() error {
			start := time.Now()
			defer func() { e.log.Debug("range aggregates", "side", s.name, "push", s.push, "took", time.Since(start)) }()
			if !s.push {
				aggs, err := s.streamAggs(gctx, keyRange{}, keys, e.cmp)
				res[si] = map[string]agg{}
				for i, a := range aggs {
					if a.Count > 0 {
						res[si][strconv.Itoa(i)] = a
					}
				}
				return err
			}
			expr, _ := s.d.BucketExpr(s.keyOrd[0], bounds)
			m, err := s.groupChecksum(gctx, expr)
			res[si] = m
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	ids := map[int]bool{}
	for _, m := range res {
		for k := range m {
			id, err := strconv.Atoi(k)
			if err != nil {
				return err
			}
			ids[id] = true
		}
	}
	order := make([]int, 0, len(ids))
	for id := range ids {
		order = append(order, id)
	}
	sort.Ints(order)
	for _, id := range order {
		a, b := res[0][strconv.Itoa(id)], res[1][strconv.Itoa(id)]
		e.rep.SourceRows += a.Count
		e.rep.SinkRows += b.Count
		var r keyRange
		if id > 0 && id-1 < len(bounds) {
			r.Lo = []string{strconv.FormatInt(bounds[id-1], 10)}
		}
		if id < len(bounds) {
			r.Hi = []string{strconv.FormatInt(bounds[id], 10)}
		}
		if err := e.checkRange(ctx, r, a, b, leaf); err != nil {
			return err
		}
	}
	return nil
}
