package reconcile

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"sort"
	"strconv"
	"time"

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
	treeTop = 1024
	// treeTopDense is the top when both sides pack it dense (8 bytes a
	// bucket instead of 16): as many bytes, half the rows per bucket, so
	// scattered differences leave fewer top buckets to read again.
	treeTopDense = 2048
	treeFanout   = 8
	treeLeafRows = 1
	treeJump     = 1 << 14 // most buckets one level may return at once
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

// andWhere is condition w (possibly "") AND cond.
func andWhere(w, cond string) string {
	if w == "" {
		return cond
	}
	return w + " AND " + cond
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
	near := e.src.rtt < remoteRTT && e.dst.rtt < remoteRTT
	dense := e.spec.MaxRanges == 0 && e.digests() && e.src.denseTop() && e.dst.denseTop()
	if dense {
		topN = treeTopDense
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
	// Level widths are leafW·fanout^j; the top one is cut to about topN
	// buckets by a last factor of at most fanout.
	width := leafW
	for float64(width)*treeFanout*topN < span {
		width *= treeFanout
	}
	if r := int64(math.Ceil(span / topN / float64(width))); r > 1 {
		width *= r
	}
	e.log.Debug("checksum tree", "origin", origin, "top_width", width, "leaf_width", leafW, "span", span)
	var spans []bucketSpan // nil: the whole table
	var fan int64          // how many times finer than the level above
	topLevel := true
	for {
		for _, s := range []*side{e.src, e.dst} {
			if err := s.budget.wait(ctx, s); err != nil {
				return err
			}
		}
		start := time.Now()
		// Counts only at the top (the report's row totals); below, a
		// present bucket is non-empty and the tree descends to the leaves.
		last := (top - origin) / width
		lq := levelQuery{origin: origin, width: width, fan: fan, last: last, spans: spans,
			pk: dialect.Packing{Wide: last >= 1<<31, Counts: topLevel && !dense, Dense: topLevel && dense, Buckets: last + 1}}
		aggs, totals, err := e.treeLevel(ctx, lq)
		if err != nil {
			return err
		}
		if topLevel {
			e.rep.SourceRows, e.rep.SinkRows = totals[0], totals[1]
		}
		e.log.Debug("tree level", "width", width, "spans", len(spans), "buckets", len(aggs), "took", time.Since(start))
		ids := make([]int64, 0, len(aggs))
		for id := range aggs {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		e.rep.Ranges += len(ids)
		var next []int64
		for _, id := range ids {
			a, b := norm(aggs[id][0]), norm(aggs[id][1])
			if a == b {
				continue
			}
			e.rep.RangesDiffering++
			// Count -1: present, size not sent.
			if width > leafW && a.Count != 0 && b.Count != 0 && (a.Count < 0 || b.Count < 0 || float64(max(a.Count, b.Count)) > 2*leafRows) {
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
		fan = width / nextWidth(width, leafW, near)
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

// nextWidth is the width of the level below one of width w: the widest
// leafW·treeFanout^j narrower than w; on a near link, at least 4 times
// narrower (the top's width carries a remainder factor, and a level cut
// twice finer re-reads nearly as many rows for little narrowing — while
// elsewhere its fewer buckets save bytes on the slow link).
func nextWidth(w, leafW int64, near bool) int64 {
	n := leafW
	for (near && n*treeFanout*4 <= w) || (!near && n*treeFanout < w) {
		n *= treeFanout
	}
	return n
}

// denseTop says whether this side computes the top level bucket by bucket
// (lateral or range digests), which can pack it dense.
func (s *side) denseTop() bool {
	_, lateral := s.d.(dialect.LateralDigester)
	_, ranged := s.d.(dialect.RangeDigester)
	return s.keyIndexed() && (lateral || (ranged && s.rangeDigests(levelQuery{last: treeTopDense - 1})))
}

// rangeDigests says whether a level is read as range digests: the top
// level, over the primary key, and on a near link — the query text of
// about 120 bytes a bucket (250 KB for the top of a dense tree) is bytes
// a slow link would carry for nothing.
func (s *side) rangeDigests(lq levelQuery) bool {
	return lq.spans == nil && lq.last < rangeDigestBuckets && s.keyIndexed() && s.rtt < remoteRTT
}

// rangeDigestBuckets bounds a RangeDigest level (its query text is about
// 120 bytes a bucket).
const rangeDigestBuckets = 4096

// levelQuery is one tree level: buckets of width from origin, the
// children (fan per parent) of the spans' parents, or all up to last.
type levelQuery struct {
	origin, width, fan, last int64
	spans                    []bucketSpan // nil: the whole table
	pk                       dialect.Packing
}

// treeLevel aggregates both sides per bucket of one level.
func (e *engine) treeLevel(ctx context.Context, lq levelQuery) (map[int64][2]agg, [2]int64, error) {
	out := map[int64][2]agg{}
	var res [2]map[int64]agg
	var totals [2]int64
	fast, digest := e.typedHash(), e.digests()
	for {
		g, gctx := errgroup.WithContext(ctx)
		for i, s := range []*side{e.src, e.dst} {
			g.Go(func() (err error) {
				start := time.Now()
				res[i], totals[i], err = s.bucketAggs(gctx, lq, fast, digest)
				e.log.Debug("bucket aggregates", "side", s.name, "width", lq.width, "digest", digest, "took", time.Since(start))
				return err
			})
		}
		err := g.Wait()
		if errors.Is(err, errDigestCut) && digest {
			// Both sides redo the level with the per-row sums: the two
			// checksums of one bucket must be of the same kind.
			e.log.Debug("bucket digest cut; this level uses per-row sums", "width", lq.width)
			digest = false
			continue
		}
		if err != nil {
			return nil, totals, err
		}
		break
	}
	for i, m := range res {
		for id, a := range m {
			v := out[id]
			v[i] = a
			out[id] = v
		}
	}
	return out, totals, nil
}

// errDigestCut says a side's packed digest may be incomplete.
var errDigestCut = errors.New("bucket digest cut")

// digests says whether both sides compute packed bucket digests (one md5
// per bucket); otherwise the sums of per-row md5 halves are compared.
func (e *engine) digests() bool {
	for _, s := range []*side{e.src, e.dst} {
		if _, ok := s.d.(dialect.Digester); !ok {
			return false
		}
	}
	return true
}

// bucketAggs is one level's aggregate query on this side: per bucket,
// the count and the checksum of its rows.
func (s *side) bucketAggs(ctx context.Context, lq levelQuery, fast, digest bool) (map[int64]agg, int64, error) {
	w, args := s.pred(keyRange{})
	key := s.keyOrd[0]
	origin, width, pk := lq.origin, lq.width, lq.pk
	th, typed := s.d.(dialect.TypedHasher)
	if digest && s.keyIndexed() {
		if typed && fast {
			buckets, cond := s.lateralBuckets(w, lq)
			h, _ := th.RowHash(s.cols, 1)
			return s.packedDigest(ctx, th.LateralTypedDigest(buckets, h, s.from, cond, pk), args, pk)
		}
		if ld, ok := s.d.(dialect.LateralDigester); ok {
			return s.lateralDigest(ctx, ld, w, args, lq)
		}
	}
	if lq.spans != nil {
		w = andWhere(w, spanCond(s.d.(dialect.Divider), key, origin, width, lq.fan, lq.spans))
	}
	div := s.d.(dialect.Divider).Div(key, origin, width)
	if digest {
		var q string
		if typed && fast {
			h, _ := th.RowHash(s.cols, 1)
			q = th.TypedDigest(div, h, s.from, w, pk)
		} else {
			dg := s.d.(dialect.Digester)
			rowOf := func(canons []string) string { return dg.DigestRow(s.cols, canons, s.formats) }
			if rd, ok := s.d.(dialect.RangeDigester); ok && s.rangeDigests(lq) {
				q = rd.RangeDigest(key, origin, width, lq.last, rowOf(s.canons), s.from, w, pk)
			} else {
				row, from, where, refs := s.aggSourceOf(rowOf, rowOf(s.canons), w, "", div, key)
				q = dg.Digest(refs[0], refs[1], row, from, where, pk)
			}
		}
		return s.packedDigest(ctx, q, args, pk)
	}
	var q string
	if typed && fast {
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
		return nil, 0, s.queryErr("bucket checksums", err)
	}
	defer rows.Close()
	out := map[int64]agg{}
	var total int64
	for rows.Next() {
		var g int64
		var a agg
		if err := rows.Scan(&g, &a.Count, &a.Hi, &a.Lo); err != nil {
			return nil, 0, s.queryErr("bucket checksums", err)
		}
		s.rows.Add(a.Count)
		total += a.Count
		out[g] = a
	}
	return out, total, s.queryErr("bucket checksums", rows.Err())
}

// digest runs a packed digest query; ok is false when the database says
// the value may be cut, and then nothing of it is used.
func (s *side) digest(ctx context.Context, q string, args []any, pk dialect.Packing) (map[int64]agg, int64, bool, error) {
	var total int64
	var packed []byte
	s.queries.Add(1)
	if err := s.conn.QueryRowContext(ctx, q, args...).Scan(&total, &packed); err != nil {
		return nil, 0, false, s.queryErr("bucket digests", err)
	}
	if check := s.d.(dialect.Digester).DigestCheck(); check != "" {
		var warnings int64
		s.queries.Add(1)
		if err := s.conn.QueryRowContext(ctx, check).Scan(&warnings); err != nil {
			return nil, 0, false, s.queryErr("bucket digests", err)
		}
		if warnings > 0 {
			return nil, 0, false, nil
		}
	}
	entries, ok := dialect.ParseDigest(packed, total, pk)
	if !ok {
		return nil, 0, false, nil
	}
	out := make(map[int64]agg, len(entries))
	for _, en := range entries {
		out[en.Bucket] = agg{Count: en.Count, Hi: en.Hash}
	}
	s.rows.Add(total)
	return out, total, true, nil
}
