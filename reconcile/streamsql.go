package reconcile

import (
	"strconv"
	"strings"

	"github.com/cdcops/cdcops/reconcile/dialect"
	"github.com/cdcops/cdcops/sqlconn"
)

// The ordered reads of canonical rows a stream and the row-level look
// merge: one key range, or many OR'ed ranges read back range by range.

// streamSQL is the ordered read of canonical rows in r.
func (s *side) streamSQL(r keyRange, limit int) (string, []any) {
	if len(r.Or) > 1 && limit == 0 {
		switch {
		case s.d.Engine() == sqlconn.MySQL && len(s.whereArgs) == 0 && s.rtt < remoteRTT:
			return s.unionSQL(r.Or)
		case s.d.Engine() == sqlconn.Postgres:
			if q, args, ok := s.lateralRangesSQL(r.Or); ok {
				return q, args
			}
		}
	}
	w, args := s.pred(r)
	sel := strings.Join(s.selected(), ", ")
	q := "SELECT " + sel + " FROM " + s.from + whereClause(w)
	if limit > 0 {
		// A sample (auto mode's measurement) needs no order, and ordering
		// a non-index key would sort the whole table for it.
		return q + " LIMIT " + strconv.Itoa(limit), args
	}
	return q + " ORDER BY " + strings.Join(s.keyOrd, ", "), args
}

// selected is what a stream reads per row: the canonical row text, or
// the plain columns Go renders.
func (s *side) selected() []string {
	if s.rawExprs != nil {
		return s.rawExprs
	}
	return []string{s.row}
}

// unionSQL is streamSQL for OR'ed ranges on MariaDB: one UNION ALL branch
// per range, sorted once. MariaDB tests every OR'ed range on every row it
// reads (256 ranges: 512 comparisons a row, half of an incremental
// re-check's time); a branch tests its own two bounds. Its text repeats
// the select list per range, so only on a near link.
func (s *side) unionSQL(rs []keyRange) (string, []any) {
	sel := s.selected()
	aliased := make([]string, 0, len(sel)+len(s.keyOrd))
	outer := make([]string, len(sel))
	for i, e := range sel {
		outer[i] = "c" + strconv.Itoa(i)
		aliased = append(aliased, e+" AS "+outer[i])
	}
	order := make([]string, len(s.keyOrd))
	for i, e := range s.keyOrd {
		order[i] = "k" + strconv.Itoa(i)
		aliased = append(aliased, e+" AS "+order[i])
	}
	head := "SELECT " + strings.Join(aliased, ", ") + " FROM " + s.from
	var args []any
	branches := make([]string, len(rs))
	for i, r := range rs {
		w, a := s.pred(r)
		args = append(args, a...)
		branches[i] = head + whereClause(w)
	}
	return "SELECT " + strings.Join(outer, ", ") + " FROM (" + strings.Join(branches, " UNION ALL ") + ") u ORDER BY " + strings.Join(order, ", "), args
}

// lateralRangesSQL is streamSQL for OR'ed closed ranges of one integer key
// on PostgreSQL: the bounds as two arrays and an index range scan per
// range (LATERAL), instead of a BitmapOr that re-tests every range on
// every row; ok is false for other keys or an open bound (a range scan
// to the table's end per range). OFFSET 0 keeps the planner from
// flattening the subquery and scanning the whole index once against all
// the ranges, which its estimate of a range per bound made look cheaper.
func (s *side) lateralRangesSQL(rs []keyRange) (q string, args []any, ok bool) {
	if s.nKeys != 1 || s.formats[0].Class != dialect.ClassInt {
		return "", nil, false
	}
	lo, hi := make([]string, len(rs)), make([]string, len(rs))
	for i, r := range rs {
		if len(r.Lo) != 1 || len(r.Hi) != 1 {
			return "", nil, false
		}
		// Literal integers, checked here: never user text.
		l, err1 := strconv.ParseInt(r.Lo[0], 10, 64)
		h, err2 := strconv.ParseInt(r.Hi[0], 10, 64)
		if err1 != nil || err2 != nil {
			return "", nil, false
		}
		lo[i], hi[i] = strconv.FormatInt(l, 10), strconv.FormatInt(h, 10)
	}
	w, args := s.pred(keyRange{})
	key := s.keyOrd[0]
	w = andWhere(w, key+" >= _cdcops_r.lo AND "+key+" < _cdcops_r.hi")
	sel := s.selected()
	inner, outer := make([]string, len(sel)), make([]string, len(sel))
	for i, e := range sel {
		inner[i], outer[i] = e+" AS c"+strconv.Itoa(i), "x.c"+strconv.Itoa(i)
	}
	return "SELECT " + strings.Join(outer, ", ") + " FROM unnest('{" + strings.Join(lo, ",") + "}'::bigint[], '{" + strings.Join(hi, ",") +
		"}'::bigint[]) AS _cdcops_r(lo, hi) CROSS JOIN LATERAL (SELECT " + strings.Join(inner, ", ") + ", " + key + " AS k FROM " + s.from +
		" WHERE " + w + " OFFSET 0) x ORDER BY x.k", args, true
}
