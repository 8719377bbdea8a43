package reconcile

import (
	"context"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops/reconcile/dialect"
)

// A tree level bucket by bucket (PostgreSQL): the level's bucket numbers
// are generated in SQL and each bucket's rows are read by their own key
// range (an index range scan, in key order), so no sort of the whole
// level's row texts — which spilled to disk — no hash table over the
// level's buckets and no per-row test of the spans. Only for a key with
// an index: without one, each bucket would scan the table.

// keyIndexed says whether the tree's key is the table's one-column
// primary key (and so has an index).
func (s *side) keyIndexed() bool {
	pk := s.table.PK
	return s.nKeys == 1 && len(pk) == 1 && pk[0] == s.cols[0].Name
}

// lateralBuckets is the FROM item of a level's bucket numbers b.g (all of
// them up to last, or the children of the spans' parents) and the WHERE
// text of one bucket's rows, w included.
func (s *side) lateralBuckets(w string, lq levelQuery) (buckets, cond string) {
	key := s.keyOrd[0]
	o, wd := strconv.FormatInt(lq.origin, 10), strconv.FormatInt(lq.width, 10)
	// Literal integers: computed here, never user text.
	if lq.spans == nil {
		buckets = "generate_series(0::bigint, " + strconv.FormatInt(lq.last, 10) + "::bigint) AS b(g)"
	} else {
		var parents []string
		for _, sp := range lq.spans {
			for p := sp.first / lq.fan; p <= sp.last/lq.fan; p++ {
				parents = append(parents, strconv.FormatInt(p, 10))
			}
		}
		buckets = "(SELECT p * " + strconv.FormatInt(lq.fan, 10) + " + i AS g FROM unnest('{" + strings.Join(parents, ",") +
			"}'::bigint[]) p, generate_series(0::bigint, " + strconv.FormatInt(lq.fan-1, 10) + "::bigint) i) AS b"
	}
	return buckets, andWhere(w, key+" >= "+o+" + b.g * "+wd+" AND "+key+" < "+o+" + (b.g + 1) * "+wd)
}

// lateralDigest is a level of md5 digests over canonical row texts.
func (s *side) lateralDigest(ctx context.Context, ld dialect.LateralDigester, w string, args []any, lq levelQuery) (map[int64]agg, int64, error) {
	buckets, cond := s.lateralBuckets(w, lq)
	rowOf := func(canons []string) string { return ld.DigestRow(s.cols, canons, s.formats) }
	// In key order from the index: the digest's aggregate then needs no
	// sort of its own (a fifth of the level).
	row, from, where, refs := s.aggSourceOf(rowOf, rowOf(s.canons), cond, s.keyOrd[0], s.keyOrd[0])
	return s.packedDigest(ctx, ld.LateralDigest(buckets, refs[0], row, from, where, lq.pk), args, lq.pk)
}

// packedDigest runs a digest query; a cut digest is errDigestCut.
func (s *side) packedDigest(ctx context.Context, q string, args []any, pk dialect.Packing) (map[int64]agg, int64, error) {
	m, total, ok, err := s.digest(ctx, q, args, pk)
	if err == nil && !ok {
		err = errDigestCut
	}
	return m, total, err
}
