package reconcile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile/dialect"
	"github.com/cdcops/cdcops/sqlconn"
)

// side is one table of the comparison, read inside one snapshot connection.
type side struct {
	name      string // "source" or "sink"
	db        *sqlconn.DB
	d         dialect.Dialect
	conn      *sql.Conn
	end       func()
	table     *dialect.Table
	from      string
	where     string // the user's --where, parenthesised; "" for none
	whereArgs []any  // arguments of where's placeholders (settle's key lists)
	cols      []dialect.Column
	formats   []dialect.Format
	nKeys     int
	push      bool     // pushdown: aggregates computed by the database
	row       string   // canonical row expression, keys first
	canons    []string // canonical expression of each column
	keyCan    []string // canonical key expressions
	keyOrd    []string // key order expressions
	// raw streaming: plain columns rendered in Go (nil when SQL renders)
	rawExprs []string
	rawCanon []dialect.Canonicalizer
	queries  atomic.Int64
	rows     atomic.Int64
	net      *meter        // bytes moved over the network
	budget   *budget       // nil: no load budget
	replica  *replica      // nil: not read from a replica
	rtt      time.Duration // one round trip, timed when the snapshot began
}

func openSide(ctx context.Context, name, dsn string) (*side, error) {
	if engine, err := sqlconn.EngineOf(dsn); err == nil && engine == sqlconn.SQLite {
		// Functions reach only connections opened after registration.
		dialect.RegisterSQLiteFunctions()
	}
	m := &meter{}
	db, err := sqlconn.OpenWith(ctx, dsn, sqlconn.Options{Dial: m.dial, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d, err := dialect.For(db.Engine)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &side{name: name, db: db, d: d, net: m}, nil
}

// begin opens the snapshot connection the side reads everything through.
func (s *side) begin(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return cdcops.Errorf(cdcops.EUNAVAILABLE, "check the database is reachable", "%s: connect: %v", s.name, err)
	}
	start := time.Now()
	if err := conn.PingContext(ctx); err != nil {
		conn.Close()
		return cdcops.Errorf(cdcops.EUNAVAILABLE, "check the database is reachable", "%s: connect: %v", s.name, err)
	}
	s.rtt = time.Since(start)
	end, err := s.d.Snapshot(ctx, conn)
	if err != nil {
		conn.Close()
		return fmt.Errorf("%s: %w", s.name, err)
	}
	s.conn = conn
	s.end = func() { end(); conn.Close() }
	return nil
}

func (s *side) close() {
	if s.end != nil {
		s.end()
		s.end = nil
	}
	s.db.Close()
}

func (s *side) describe(ctx context.Context, table string) error {
	ref, err := cdcops.ParseTableRef(table)
	if err != nil {
		return err
	}
	t, err := s.d.Describe(ctx, s.conn, ref)
	if err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	s.table = t
	s.from = s.d.QuoteTable(t.Ref)
	return nil
}

// setPlan builds the side's SQL from the column pairs.
func (s *side) setPlan(p *plan, userWhere string) {
	canons := make([]string, len(p.cols))
	fixed := make([]int, len(p.cols))
	s.cols = make([]dialect.Column, len(p.cols))
	s.formats = make([]dialect.Format, len(p.cols))
	s.nKeys = p.nKeys
	s.keyCan, s.keyOrd = nil, nil
	for i, cp := range p.cols {
		col := cp.Src
		if s.name == "sink" {
			col = cp.Dst
		}
		s.cols[i], s.formats[i] = col, cp.Format
		canons[i] = s.d.Canon(col, cp.Format)
		fixed[i] = dialect.FixedLen(cp.Format)
		if i < p.nKeys {
			s.keyCan = append(s.keyCan, canons[i])
			s.keyOrd = append(s.keyOrd, s.d.KeyOrder(col, cp.Format))
		}
	}
	s.canons = canons
	s.row = s.d.Row(canons, fixed)
	s.rawExprs, s.rawCanon = nil, nil
	if rf, ok := s.d.(dialect.RawFetcher); ok {
		for i := range s.cols {
			expr, c, ok := rf.Fetch(s.cols[i], s.formats[i])
			if !ok {
				s.rawExprs, s.rawCanon = nil, nil
				break
			}
			s.rawExprs = append(s.rawExprs, expr)
			s.rawCanon = append(s.rawCanon, c)
		}
	}
	if w := strings.TrimSpace(userWhere); w != "" {
		s.where = "(" + w + ")"
	}
}

// aggSource is what aggregates read: the canonical row expression to hash,
// the FROM source and WHERE text for the rows matching w, and extra
// expressions (a bucket, a partition) as they can be referenced there.
// With a Splitter dialect each field's text is computed once per row in a
// derived table instead of once per reference.
func (s *side) aggSource(w string, extra ...string) (row, from, where string, refs []string) {
	return s.aggSourceOf(func(canons []string) string {
		fixed := make([]int, len(canons))
		for i := range canons {
			fixed[i] = dialect.FixedLen(s.formats[i])
		}
		return s.d.Row(canons, fixed)
	}, s.row, w, "", extra...)
}

// aggSourceOf is aggSource with the row encoding built by rowOf from the
// fields' canonical expressions (plain is rowOf of the plain ones). With a
// Splitter dialect a non-empty order sorts the derived table's rows (an
// index can deliver them so, where a sort above the derived table is a
// sort); others ignore it.
func (s *side) aggSourceOf(rowOf func(canons []string) string, plain, w, order string, extra ...string) (row, from, where string, refs []string) {
	sp, ok := s.d.(dialect.Splitter)
	if !ok {
		return plain, s.from, w, extra
	}
	sel := make([]string, 0, len(s.cols)+len(extra))
	outer := make([]string, len(s.cols))
	for i, col := range s.cols {
		inner, out := sp.CanonParts(col, s.formats[i])
		alias := "c" + strconv.Itoa(i)
		sel = append(sel, inner+" AS "+alias)
		outer[i] = out(alias)
	}
	for j, x := range extra {
		alias := "x" + strconv.Itoa(j)
		sel = append(sel, x+" AS "+alias)
		refs = append(refs, alias)
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + s.from
	if w != "" {
		q += " WHERE " + w
	}
	if order != "" {
		q += " ORDER BY " + order
	}
	// OFFSET 0 keeps the planner from folding the derived table back in
	// (which would evaluate each field once per reference again).
	return rowOf(outer), "(" + q + " OFFSET 0) q", "", refs
}

// keyRange is [Lo, Hi) in key order; nil bounds are open. With Or set it
// is instead the union of those (ascending, disjoint) ranges.
type keyRange struct {
	Lo, Hi []string // canonical key texts
	Or     []keyRange
}

// pred is the WHERE text (user filter and range) with its arguments.
func (s *side) pred(r keyRange) (string, []any) {
	var conds []string
	args := append([]any(nil), s.whereArgs...)
	if s.where != "" {
		conds = append(conds, s.where)
	}
	if r.Or != nil {
		ors := make([]string, 0, len(r.Or))
		for _, sub := range r.Or {
			c := s.rangeConds(sub, &args)
			if len(c) == 0 {
				c = []string{"1=1"}
			}
			ors = append(ors, "("+strings.Join(c, " AND ")+")")
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	} else {
		conds = append(conds, s.rangeConds(r, &args)...)
	}
	return strings.Join(conds, " AND "), args
}

// rangeConds are the key conditions of [r.Lo, r.Hi), adding arguments.
func (s *side) rangeConds(r keyRange, args *[]any) []string {
	var conds []string
	bound := func(vals []string, op string) {
		ps := make([]string, len(vals))
		for i, v := range vals {
			ps[i] = s.d.Param(len(*args)+1, s.cols[i], s.formats[i])
			*args = append(*args, s.arg(i, v))
		}
		if len(vals) == 1 {
			conds = append(conds, s.keyOrd[0]+" "+op+" "+ps[0])
			return
		}
		conds = append(conds, "("+strings.Join(s.keyOrd, ", ")+") "+op+" ("+strings.Join(ps, ", ")+")")
	}
	if r.Lo != nil {
		bound(r.Lo, ">=")
	}
	if r.Hi != nil {
		bound(r.Hi, "<")
	}
	return conds
}

func (s *side) arg(i int, v string) any {
	if s.formats[i].Class == dialect.ClassInt {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return v
}

// agg is count(*) and the exact sums of both md5 halves of a set of rows.
type agg struct {
	Count  int64
	Hi, Lo string
}

func (s *side) checksum(ctx context.Context, r keyRange) (agg, error) {
	w, args := s.pred(r)
	var a agg
	s.queries.Add(1)
	err := s.conn.QueryRowContext(ctx, s.d.Checksum(s.row, s.from, w), args...).Scan(&a.Count, &a.Hi, &a.Lo)
	if err != nil {
		return a, s.queryErr("checksum", err)
	}
	s.rows.Add(a.Count)
	return a, nil
}

// groupChecksum runs a checksum grouped by a group expression.
func (s *side) groupChecksum(ctx context.Context, group string) (map[string]agg, error) {
	w, args := s.pred(keyRange{})
	s.queries.Add(1)
	rows, err := s.conn.QueryContext(ctx, s.d.GroupChecksum(group, s.row, s.from, w), args...)
	if err != nil {
		return nil, s.queryErr("grouped checksum", err)
	}
	defer rows.Close()
	out := map[string]agg{}
	for rows.Next() {
		var g sql.NullString
		var a agg
		if err := rows.Scan(&g, &a.Count, &a.Hi, &a.Lo); err != nil {
			return nil, s.queryErr("grouped checksum", err)
		}
		s.rows.Add(a.Count)
		key := "NULL"
		if g.Valid {
			key = g.String
		}
		out[key] = a
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryErr("grouped checksum", err)
	}
	return out, nil
}

// boundaries returns the keys of every step-th row of r in key order.
func (s *side) boundaries(ctx context.Context, r keyRange, step int64) ([][]string, error) {
	w, args := s.pred(r)
	s.queries.Add(1)
	rows, err := s.conn.QueryContext(ctx, s.d.Boundaries(s.keyCan, s.keyOrd, s.from, w, step), args...)
	if err != nil {
		return nil, s.queryErr("plan ranges", err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, s.nKeys)
		ptrs := make([]any, s.nKeys)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, s.queryErr("plan ranges", err)
		}
		k := make([]string, s.nKeys)
		for i, v := range vals {
			if !v.Valid {
				return nil, nullKey(s, i)
			}
			k[i] = v.String
		}
		out = append(out, k)
	}
	return out, s.queryErr("plan ranges", rows.Err())
}

func nullKey(s *side, i int) error {
	return cdcops.Errorf(cdcops.EINVALID, "a key must never be NULL; pass --key with NOT NULL columns",
		"%s: key column %s holds NULL", s.name, s.cols[i].Name)
}

func (s *side) queryErr(what string, err error) error {
	if err == nil {
		return nil
	}
	if cdcops.ErrorCodeOf(err) != cdcops.EINTERNAL || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if s.where != "" && sqlconn.IsStatementError(err) {
		return cdcops.Errorf(cdcops.EINVALID, "--where takes one SQL condition on the table's columns, e.g. --where \"tenant = 'acme'\" (no ';')",
			"%s %s on %s: the database rejected the query with the --where filter: %s", s.name, what, s.table.Ref, cdcops.RedactDSN(err.Error()))
	}
	hint := "check the --where filters and that the database is healthy"
	if s.replica != nil && strings.Contains(err.Error(), "conflict with recovery") {
		hint = "the standby cancelled the read to replay WAL: set hot_standby_feedback = on (or raise max_standby_streaming_delay) on it, or read the primary"
	}
	return cdcops.Errorf(cdcops.EUNAVAILABLE, hint,
		"%s %s on %s: %s", s.name, what, s.table.Ref, cdcops.RedactDSN(err.Error()))
}
