package repair

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/reconcile/dialect"
	"github.com/cdcops/cdcops/sqlconn"
)

// Stmt is one statement and the rows it must touch.
type Stmt struct {
	SQL  string
	Rows int64
	Kind string // insert, update, delete, upsert, restore
}

// Batch is one transaction.
type Batch struct {
	Stmts []Stmt
}

// Fix is a planned repair: the statements, their rollback and what the
// fresh comparison found.
type Fix struct {
	Engine    sqlconn.Engine
	SinkTable string
	Batches   []Batch
	Rollback  []Batch // in the order to run them (the last batch first)
	Inserts   int
	Updates   int
	Deletes   int
	Skipped   []Skipped
	Now       *reconcile.Report // the key-filtered comparison the fix is built from
	Keys      []map[string]string
	w         dialect.Writer
}

// Skipped is a drifted key the fix leaves alone, and why.
type Skipped struct {
	Key    map[string]string `json:"key"`
	Reason string            `json:"reason"`
}

// column is one compared column as the sink writes it.
type column struct {
	name  string // the pair's name in reconcile's differences
	sink  dialect.Column
	class dialect.Class
	scale int
	key   bool
}

// Plan re-reads the drifted keys on both sides now and builds the fix.
func Plan(ctx context.Context, spec Spec) (*Fix, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var diffs []reconcile.Difference
	rep, err := reconcile.Run(ctx, spec.reconcileSpec(spec.Keys, func(d reconcile.Difference) {
		mu.Lock()
		diffs = append(diffs, d)
		mu.Unlock()
	}))
	if err != nil {
		return nil, err
	}
	db, err := sqlconn.Open(ctx, spec.Sink)
	if err != nil {
		return nil, fmt.Errorf("sink: %w", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, cdcops.Errorf(cdcops.EUNAVAILABLE, "check the sink is reachable", "sink: connect: %v", err)
	}
	defer conn.Close()
	w, err := dialect.WriterFor(ctx, conn, db.Engine)
	if err != nil {
		return nil, err
	}
	ref, err := cdcops.ParseTableRef(rep.SinkTable)
	if err != nil {
		return nil, err
	}
	tbl, err := w.Describe(ctx, conn, ref)
	if err != nil {
		return nil, fmt.Errorf("sink: %w", err)
	}
	cols, err := sinkColumns(rep, tbl)
	if err != nil {
		return nil, err
	}
	f := &Fix{Engine: db.Engine, SinkTable: w.QuoteTable(tbl.Ref), Now: rep, Keys: spec.Keys, w: w}
	if spec.Upsert && !keyIsUnique(cols, tbl) {
		return nil, cdcops.Errorf(cdcops.EINVALID, "drop --upsert, or give the sink table a primary key on the key columns",
			"--upsert needs the sink's primary key to be the key columns (%s)", strings.Join(rep.Key, ", "))
	}
	var touched []reconcile.Difference
	for _, d := range diffs {
		if d.Kind == reconcile.Duplicate {
			f.Skipped = append(f.Skipped, Skipped{Key: d.Key, Reason: "duplicate key on the " + d.Side + "; fix it by hand"})
			continue
		}
		touched = append(touched, d)
	}
	pre, err := readPreImage(ctx, conn, w, tbl, cols, touched)
	if err != nil {
		return nil, err
	}
	b := builder{f: f, w: w, tbl: tbl, cols: cols, pre: pre, upsert: spec.Upsert}
	for i := 0; i < len(touched); i += spec.BatchSize {
		if err := b.batch(touched[i:min(i+spec.BatchSize, len(touched))]); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// sinkColumns maps reconcile's compared pairs to the sink's catalog.
func sinkColumns(rep *reconcile.Report, tbl *dialect.Table) ([]column, error) {
	classes := map[string]dialect.Class{}
	for c := dialect.ClassText; c <= dialect.ClassJSON; c++ {
		classes[c.String()] = c
	}
	out := make([]column, 0, len(rep.Compared))
	for _, ci := range rep.Compared {
		sc, ok := tbl.Column(ci.Sink)
		if !ok {
			return nil, cdcops.Errorf(cdcops.ENOTFOUND, "check the sink table", "sink column %s not found", ci.Sink)
		}
		name := ci.Source
		if ci.Source != ci.Sink {
			name = ci.Source + ":" + ci.Sink
		}
		out = append(out, column{name: name, sink: sc, class: classes[ci.As], scale: ci.Scale, key: ci.Key})
	}
	return out, nil
}

func keyIsUnique(cols []column, tbl *dialect.Table) bool {
	var key []string
	for _, c := range cols {
		if c.key {
			key = append(key, c.sink.Name)
		}
	}
	if len(key) != len(tbl.PK) {
		return false
	}
	for i := range key {
		if key[i] != tbl.PK[i] {
			return false
		}
	}
	return true
}

// native is a sink row as lossless text, per sink column (all of them).
type native map[string]*string

// readPreImage reads, natively, every sink row a fix will touch, keyed
// by the canonical key prefix reconcile matched it by.
func readPreImage(ctx context.Context, conn *sql.Conn, w dialect.Writer, tbl *dialect.Table, cols []column, diffs []reconcile.Difference) (map[string]native, error) {
	for _, st := range w.NativeSession() {
		if _, err := conn.ExecContext(ctx, st); err != nil {
			return nil, fmt.Errorf("sink: %s: %w", st, err)
		}
	}
	var keys []column
	for _, c := range cols {
		if c.key {
			keys = append(keys, c)
		}
	}
	sel := make([]string, 0, len(tbl.Columns)+len(keys))
	for _, c := range tbl.Columns {
		sel = append(sel, w.Native(c))
	}
	for _, k := range keys {
		sel = append(sel, w.Canon(k.sink, k.format()))
	}
	out := map[string]native{}
	var inSink []reconcile.Difference
	for _, d := range diffs {
		if d.Kind != reconcile.Missing {
			inSink = append(inSink, d)
		}
	}
	const batch = 500
	for i := 0; i < len(inSink); i += batch {
		var ors []string
		var args []any
		for _, d := range inSink[i:min(i+batch, len(inSink))] {
			conds := make([]string, len(keys))
			for j, k := range keys {
				conds[j] = w.KeyOrder(k.sink, k.format()) + " = " + w.Param(len(args)+1, k.sink, k.format())
				args = append(args, keyArg(k, d.Key[k.name]))
			}
			ors = append(ors, "("+strings.Join(conds, " AND ")+")")
		}
		q := "SELECT " + strings.Join(sel, ", ") + " FROM " + w.QuoteTable(tbl.Ref) + " WHERE " + strings.Join(ors, " OR ")
		rows, err := conn.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, cdcops.Errorf(cdcops.EUNAVAILABLE, "check the sink is healthy", "sink: read the pre-image: %s", cdcops.RedactDSN(err.Error()))
		}
		for rows.Next() {
			vals := make([]sql.NullString, len(sel))
			ptrs := make([]any, len(sel))
			for j := range vals {
				ptrs[j] = &vals[j]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			n := native{}
			for j, c := range tbl.Columns {
				if vals[j].Valid {
					v := vals[j].String
					n[c.Name] = &v
				}
			}
			kv := make([]string, len(keys))
			for j := range keys {
				kv[j] = vals[len(tbl.Columns)+j].String
			}
			out[keyID(kv)] = n
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c column) format() dialect.Format {
	return dialect.Format{Class: c.class, Scale: c.scale, TSDigits: 6}
}

func keyArg(c column, v string) any {
	if c.class == dialect.ClassInt {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return v
}

// keyID is a key's identity: its canonical values, length-prefixed.
func keyID(vals []string) string {
	var b strings.Builder
	for _, v := range vals {
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	}
	return b.String()
}
