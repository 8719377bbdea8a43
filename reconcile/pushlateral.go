package reconcile

import (
	"context"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops/reconcile/dialect"
)

// lateralDigest is a tree level for a LateralDigester (PostgreSQL): the
// level's bucket numbers are generated in SQL and each bucket's rows are
// read by their own key range (an index range scan, in key order), so no
// sort of the whole level's row texts — which spilled to disk — and no
// per-row test of the spans.
func (s *side) lateralDigest(ctx context.Context, ld dialect.LateralDigester, w string, args []any, origin, width, fan, last int64, spans []bucketSpan, pk dialect.Packing) (map[int64]agg, error) {
	key := s.keyOrd[0]
	o, wd := strconv.FormatInt(origin, 10), strconv.FormatInt(width, 10)
	// Literal integers: computed here, never user text.
	var buckets string
	if spans == nil {
		buckets = "generate_series(0::bigint, " + strconv.FormatInt(last, 10) + "::bigint) AS b(g)"
	} else {
		var parents []string
		for _, sp := range spans {
			for p := sp.first / fan; p <= sp.last/fan; p++ {
				parents = append(parents, strconv.FormatInt(p, 10))
			}
		}
		buckets = "(SELECT p * " + strconv.FormatInt(fan, 10) + " + i AS g FROM unnest('{" + strings.Join(parents, ",") +
			"}'::bigint[]) p, generate_series(0::bigint, " + strconv.FormatInt(fan-1, 10) + "::bigint) i) AS b"
	}
	cond := key + " >= " + o + " + b.g * " + wd + " AND " + key + " < " + o + " + (b.g + 1) * " + wd
	if w != "" {
		cond = w + " AND " + cond
	}
	rowOf := func(canons []string) string { return ld.DigestRow(canons, s.formats) }
	canons := make([]string, len(s.cols))
	for i, col := range s.cols {
		canons[i] = s.d.Canon(col, s.formats[i])
	}
	row, from, where, refs := s.aggSourceOf(rowOf, rowOf(canons), cond, key)
	m, ok, err := s.digest(ctx, ld.LateralDigest(buckets, refs[0], row, from, where, pk), args, pk)
	if err == nil && !ok {
		err = errDigestCut
	}
	return m, err
}
