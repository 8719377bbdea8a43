package reconcile

import (
	"context"
	"strconv"

	"github.com/cdcops/cdcops/reconcile/dialect"
)

// A side that streams while the other pushes down computes the same
// per-range aggregates in Go: count and exact sums of the md5 halves of
// the same canonical text the database would hash (the Go and SQL
// renderings are tested to agree byte for byte).

// encodeKey turns key texts into the canonical key prefix rows start with.
func encodeKey(vals []string) []byte {
	var b []byte
	for _, v := range vals {
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
	}
	return b
}

// streamAggs reads r in key order and returns one aggregate per range cut
// at bounds (len(bounds)+1 of them), as a pushdown side would.
func (s *side) streamAggs(ctx context.Context, r keyRange, bounds [][]string, cmp keyCmp) ([]agg, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	keys := make([][]byte, len(bounds))
	for i, b := range bounds {
		keys[i] = encodeKey(b)
	}
	counts := make([]int64, len(bounds)+1)
	his := make([]dialect.Sum128, len(bounds)+1)
	los := make([]dialect.Sum128, len(bounds)+1)
	ch := make(chan []srow, 8)
	errc := make(chan error, 1)
	go func() { errc <- s.produce(ctx, r, cmp, ch) }()
	idx := 0
	for batch := range ch {
		for _, row := range batch {
			for idx < len(keys) && cmp.compare(row.key(), keys[idx]) >= 0 {
				idx++
			}
			hi, lo := dialect.Halves(row.text)
			counts[idx]++
			his[idx].Add(hi)
			los[idx].Add(lo)
		}
	}
	if err := <-errc; err != nil {
		return nil, err
	}
	out := make([]agg, len(counts))
	for i := range out {
		out[i] = norm(agg{Count: counts[i], Hi: his[i].String(), Lo: los[i].String()})
	}
	return out, nil
}

// norm makes empty aggregates compare equal whoever computed them.
func norm(a agg) agg {
	if a.Count == 0 {
		return agg{}
	}
	return a
}

// rangeAggs computes one side's aggregates for r cut at bounds: in SQL,
// one query per range, or in Go from one ordered read.
func (e *engine) rangeAggs(ctx context.Context, s *side, r keyRange, bounds [][]string) ([]agg, error) {
	if !s.push {
		return s.streamAggs(ctx, r, bounds, e.cmp)
	}
	ranges := splitRange(r, bounds)
	out := make([]agg, len(ranges))
	for i, rr := range ranges {
		a, err := s.checksum(ctx, rr)
		if err != nil {
			return nil, err
		}
		out[i] = norm(a)
	}
	return out, nil
}
