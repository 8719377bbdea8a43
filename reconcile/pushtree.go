package reconcile

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/cdcops/cdcops/reconcile/dialect"
)

// The checksum tree: pushdown for one integer key when both sides
// aggregate in SQL. Level 0 cuts the key span into at most treeTop equal
// buckets (bucket = (key - min) / width, no boundary walk); each level
// re-aggregates only the buckets that differed, cut treeFanout times
// finer, until a bucket holds about treeLeafRows rows; those are read
// back and merge-compared. Identical tables cost one aggregate pass per
// side and a few KB; d scattered differences cost about one more pass
// over the differing buckets per level, and bytes that grow with d, not
// with the table.
const (
	treeTop      = 256
	treeFanout   = 32
	treeLeafRows = 16
	treeJump     = 1 << 17 // most buckets one level may return at once
)

// treeOK says whether the tree plan applies.
func (e *engine) treeOK() bool {
	if e.p.nKeys != 1 || e.p.cols[0].Format.Class != dialect.ClassInt {
		return false
	}
	for _, s := range []*side{e.src, e.dst} {
		if _, ok := s.d.(dialect.Divider); !ok || !s.push || s.cols[0].Kind != dialect.KindInt {
			return false
		}
	}
	return true
}

// typedHash says whether both sides can hash typed values instead of
// md5 of the canonical text: the same engine on both sides (the hash only
// has to agree with itself within this run), the same declared type per
// column pair and no normalisation, so that the typed equality is exactly
// the canonical one (a looser match would only cost extra row reads).
func (e *engine) typedHash() bool {
	if e.src.d.Engine() != e.dst.d.Engine() {
		return false
	}
	for _, s := range []*side{e.src, e.dst} {
		th, ok := s.d.(dialect.TypedHasher)
		if !ok {
			return false
		}
		if _, ok := th.RowHash(s.cols, 0); !ok {
			return false
		}
	}
	for _, cp := range e.p.cols {
		f := cp.Format
		if cp.Src.Type != cp.Dst.Type || f.Trim || f.Casefold || (f.Class == dialect.ClassTimestamp && f.TSDigits != 6) ||
			f.Class != pairClass(cp.Src, cp.Dst) || (f.Class == dialect.ClassDecimal && f.Scale != cp.Src.Scale) {
			return false
		}
	}
	return true
}

// keySpan returns min and max of the key on one side; ok is false when
// the side has no rows.
func (s *side) keySpan(ctx context.Context) (lo, hi int64, ok bool, err error) {
	w, args := s.pred(keyRange{})
	q := "SELECT min(" + s.keyOrd[0] + "), max(" + s.keyOrd[0] + ") FROM " + s.from + whereClause(w)
	var a, b sql.NullInt64
	s.queries.Add(1)
	if err := s.conn.QueryRowContext(ctx, q, args...).Scan(&a, &b); err != nil {
		return 0, 0, false, s.queryErr("key span", err)
	}
	return a.Int64, b.Int64, a.Valid && b.Valid, nil
}

func whereClause(w string) string {
	if w == "" {
		return ""
	}
	return " WHERE " + w
}

// errWideKeys sends keys spread over more than 2^62 to the balanced-range plan.
var errWideKeys = errors.New("key span too wide for the checksum tree")

// bucketSpan is a run of consecutive buckets [first, last] of one level.
type bucketSpan struct{ first, last int64 }

func (e *engine) tree(ctx context.Context) error {
	var lo, hi [2]int64
	var ok [2]bool
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range []*side{e.src, e.dst} {
		g.Go(func() (err error) {
			lo[i], hi[i], ok[i], err = s.keySpan(gctx)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if !ok[0] && !ok[1] {
		return nil // both empty
	}
	origin, top := lo[0], hi[0]
	if !ok[0] || (ok[1] && lo[1] < origin) {
		origin = lo[1]
	}
	if !ok[0] || (ok[1] && hi[1] > top) {
		top = hi[1]
	}
	leafRows, topN := float64(treeLeafRows), float64(treeTop)
	if e.spec.LeafRows > 0 {
		leafRows = float64(e.spec.LeafRows)
	}
	if e.spec.MaxRanges > 0 {
		topN = float64(e.spec.MaxRanges)
	}
	if float64(top)-float64(origin) > 1<<62 {
		return errWideKeys // key - origin could overflow a bigint in SQL
	}
	span := float64(top-origin) + 1
	est := float64(max(e.src.table.EstRows, e.dst.table.EstRows, 1))
	leafW := int64(1)
	if perKey := est / span; perKey < leafRows {
		leafW = max(1, int64(leafRows/perKey))
	}
	width := leafW
	for float64(width)*topN < span {
		width *= treeFanout
	}
	e.log.Debug("checksum tree", "origin", origin, "top_width", width, "leaf_width", leafW, "span", span)
	var spans []bucketSpan // nil: the whole table
	topLevel := true
	for {
		for _, s := range []*side{e.src, e.dst} {
			if err := s.budget.wait(ctx, s); err != nil {
				return err
			}
		}
		aggs, err := e.treeLevel(ctx, origin, width, spans)
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(aggs))
		for id := range aggs {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		e.rep.Ranges += len(ids)
		var next []int64
		for _, id := range ids {
			a, b := norm(aggs[id][0]), norm(aggs[id][1])
			if topLevel {
				e.rep.SourceRows += a.Count
				e.rep.SinkRows += b.Count
			}
			if a == b {
				continue
			}
			e.rep.RangesDiffering++
			if width > leafW && a.Count > 0 && b.Count > 0 && float64(max(a.Count, b.Count)) > 2*leafRows {
				next = append(next, id)
				continue
			}
			r := keyRange{Lo: []string{strconv.FormatInt(origin+id*width, 10)}, Hi: []string{strconv.FormatInt(origin+(id+1)*width, 10)}}
			e.pending = append(e.pending, r)
			if len(e.pending) >= pendingRanges {
				if err := e.flushPending(ctx); err != nil {
					return err
				}
			}
		}
		if len(next) == 0 {
			return nil
		}
		// Descend treeFanout times finer; but when most buckets differ
		// (differences denser than buckets), one level would re-read nearly
		// everything for little narrowing, so go straight to the leaves
		// while that stays within treeJump buckets.
		fan := int64(treeFanout)
		if 2*len(next) >= len(ids) && int64(len(next))*(width/leafW) <= treeJump {
			fan = width / leafW
		}
		spans = spans[:0:0]
		for _, id := range next {
			f, l := id*fan, id*fan+fan-1
			if n := len(spans); n > 0 && spans[n-1].last+1 == f {
				spans[n-1].last = l
				continue
			}
			spans = append(spans, bucketSpan{f, l})
		}
		width /= fan
		topLevel = false
	}
}

// treeLevel aggregates both sides per bucket of width over the given
// bucket spans (nil: all rows).
func (e *engine) treeLevel(ctx context.Context, origin, width int64, spans []bucketSpan) (map[int64][2]agg, error) {
	out := map[int64][2]agg{}
	var res [2]map[string]agg
	fast := e.typedHash()
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range []*side{e.src, e.dst} {
		g.Go(func() error {
			m, err := s.bucketAggs(gctx, origin, width, spans, fast)
			res[i] = m
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, m := range res {
		for k, a := range m {
			id, err := strconv.ParseInt(k, 10, 64)
			if err != nil {
				return nil, err
			}
			v := out[id]
			v[i] = a
			out[id] = v
		}
	}
	return out, nil
}

// bucketAggs is one grouped aggregate query: per bucket of width, count
// and the two hash sums, over the rows in spans (buckets of this width).
func (s *side) bucketAggs(ctx context.Context, origin, width int64, spans []bucketSpan, fast bool) (map[string]agg, error) {
	w, args := s.pred(keyRange{})
	key := s.keyOrd[0]
	if spans != nil {
		ors := make([]string, len(spans))
		for i, sp := range spans {
			// Literal integers: computed here, never user text.
			ors[i] = key + " >= " + strconv.FormatInt(origin+sp.first*width, 10) + " AND " + key + " < " + strconv.FormatInt(origin+(sp.last+1)*width, 10)
		}
		cond := "(" + strings.Join(ors, " OR ") + ")"
		if w != "" {
			cond = w + " AND " + cond
		}
		w = cond
	}
	div := s.d.(dialect.Divider).Div(key, origin, width)
	var q string
	if th, ok := s.d.(dialect.TypedHasher); ok && fast {
		h1, _ := th.RowHash(s.cols, 1)
		h2, _ := th.RowHash(s.cols, 2)
		q = th.GroupRowHash(div, h1, h2, s.from, w)
	} else {
		row, from, where, refs := s.aggSource(w, div)
		q = s.d.GroupChecksum(refs[0], row, from, where)
	}
	s.queries.Add(1)
	rows, err := s.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.queryErr("bucket checksums", err)
	}
	defer rows.Close()
	out := map[string]agg{}
	for rows.Next() {
		var g string
		var a agg
		if err := rows.Scan(&g, &a.Count, &a.Hi, &a.Lo); err != nil {
			return nil, s.queryErr("bucket checksums", err)
		}
		s.rows.Add(a.Count)
		out[g] = a
	}
	return out, s.queryErr("bucket checksums", rows.Err())
}
