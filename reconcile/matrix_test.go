package reconcile_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/reconcile/dialect"
	"github.com/cdcops/cdcops/sqlconn"
)

// engines holds one fresh database per engine, shared by all traps.
type engines struct {
	dsn map[sqlconn.Engine]string
	db  map[sqlconn.Engine]*sqlconn.DB
}

func newEngines(t *testing.T) *engines {
	t.Helper()
	e := &engines{dsn: map[sqlconn.Engine]string{
		sqlconn.Postgres: testenv.Postgres(t),
		sqlconn.MySQL:    testenv.MySQL(t),
		sqlconn.SQLite:   testenv.SQLite(t),
	}, db: map[sqlconn.Engine]*sqlconn.DB{}}
	for eng, dsn := range e.dsn {
		e.db[eng] = testenv.Open(t, dsn)
	}
	return e
}

// pe is a value that differs per engine (e.g. how each stores a UUID).
type pe struct{ pg, my, lite any }

func (p pe) on(e sqlconn.Engine) any {
	switch e {
	case sqlconn.Postgres:
		return p.pg
	case sqlconn.MySQL:
		return p.my
	}
	return p.lite
}

// col is a column with its declared type on each engine.
type col struct{ name, pg, my, lite string }

func (c col) typ(e sqlconn.Engine) string {
	switch e {
	case sqlconn.Postgres:
		return c.pg
	case sqlconn.MySQL:
		return c.my
	}
	return c.lite
}

// table creates name on engine e with the columns, a primary key (unless
// pk is nil) and the rows.
func (en *engines) table(t *testing.T, e sqlconn.Engine, name string, cols []col, pk []string, rows [][]any) {
	t.Helper()
	d, _ := dialect.For(e)
	db := en.db[e]
	ctx := context.Background()
	defs := make([]string, len(cols))
	names := make([]string, len(cols))
	phs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = d.Quote(c.name) + " " + c.typ(e)
		names[i] = d.Quote(c.name)
		phs[i] = "?"
		if e == sqlconn.Postgres {
			phs[i] = fmt.Sprintf("$%d", i+1)
		}
	}
	if len(pk) > 0 {
		q := make([]string, len(pk))
		for i, k := range pk {
			q[i] = d.Quote(k)
		}
		defs = append(defs, "PRIMARY KEY ("+strings.Join(q, ", ")+")")
	}
	tbl := d.Quote(name)
	if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+tbl); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+tbl+" ("+strings.Join(defs, ", ")+")"); err != nil {
		t.Fatalf("create %s on %s: %v", name, e, err)
	}
	ins := "INSERT INTO " + tbl + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(phs, ", ") + ")"
	for _, r := range rows {
		args := make([]any, len(r))
		for i, v := range r {
			if p, ok := v.(pe); ok {
				v = p.on(e)
			}
			args[i] = v
		}
		if _, err := db.ExecContext(ctx, ins, args...); err != nil {
			t.Fatalf("insert %v into %s on %s: %v", args, name, e, err)
		}
	}
}

// trap is one entry of the spec's trap list: two tables and exactly the
// differences a correct reconciliation reports (key → kind).
type trap struct {
	name     string
	table    string // table name; default t_<name>
	cols     []col
	pk       []string // nil: no primary key, --key is passed
	key      []string
	src, dst [][]any
	want     map[string]string
	wantCols map[string]int64 // per-column mismatch counts, when checked
	spec     func(*reconcile.Spec)
	// exactSums: the tables are equal and every column renders identically
	// in SQL on every engine and in Go, so no range checksum may differ.
	exactSums bool
	skip      func(src, dst sqlconn.Engine) string
}

var pairs = [][2]sqlconn.Engine{
	{sqlconn.Postgres, sqlconn.MySQL},
	{sqlconn.MySQL, sqlconn.Postgres},
	{sqlconn.Postgres, sqlconn.SQLite},
	{sqlconn.MySQL, sqlconn.SQLite},
}

func runTrap(t *testing.T, en *engines, tr trap) {
	for pi, pair := range pairs {
		for _, mode := range []string{"stream", "pushdown", "mixed"} {
			t.Run(fmt.Sprintf("%s-%s/%s", pair[0], pair[1], mode), func(t *testing.T) {
				if tr.skip != nil {
					if why := tr.skip(pair[0], pair[1]); why != "" {
						t.Skip(why)
					}
				}
				name := tr.table
				if name == "" {
					name = "t_" + strings.NewReplacer(" ", "_", "/", "_", "-", "_").Replace(tr.name)
				}
				en.table(t, pair[0], name, tr.cols, tr.pk, tr.src)
				en.table(t, pair[1], name, tr.cols, tr.pk, tr.dst)
				spec := reconcile.Spec{
					Source: en.dsn[pair[0]], Sink: en.dsn[pair[1]], Table: name, Key: tr.key, Mode: mode,
					LeafRows: 2, MaxRanges: 4, Timeout: time.Minute,
				}
				if mode == "mixed" { // one side aggregates in Go, the other in SQL
					spec.Mode, spec.SourceMode, spec.SinkMode = "", "stream", "pushdown"
					if pi%2 == 1 {
						spec.SourceMode, spec.SinkMode = "pushdown", "stream"
					}
				}
				if tr.spec != nil {
					tr.spec(&spec)
				}
				rep, err := reconcile.Run(context.Background(), spec)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				if rep.Mode != mode {
					t.Fatalf("ran in mode %s, want %s", rep.Mode, mode)
				}
				got := map[string]string{}
				for _, d := range rep.Differences {
					k := keyText(d.Key, rep.Key)
					if prev, ok := got[k]; ok {
						got[k] = prev + "+" + d.Kind
					} else {
						got[k] = d.Kind
					}
				}
				if !sameMap(got, tr.want) {
					t.Errorf("differences = %v, want %v\nreport: %+v", got, tr.want, rep.Differences)
				}
				if rep.Equal != (len(tr.want) == 0) {
					t.Errorf("equal = %v with %d differences expected", rep.Equal, len(tr.want))
				}
				if tr.exactSums && rep.RangesDiffering != 0 {
					t.Errorf("%d of %d ranges had differing checksums on equal tables (mode %s)", rep.RangesDiffering, rep.Ranges, rep.Mode)
				}
				for c, n := range tr.wantCols {
					if rep.Columns[c] != n {
						t.Errorf("column %s mismatches = %d, want %d (all: %v)", c, rep.Columns[c], n, rep.Columns)
					}
				}
			})
		}
	}
}

func keyText(k map[string]string, order []string) string {
	parts := make([]string, len(order))
	for i, n := range order {
		parts[i] = k[n]
	}
	return strings.Join(parts, ",")
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || splitSorted(bv) != splitSorted(v) {
			return false
		}
	}
	return true
}

func splitSorted(s string) string {
	p := strings.Split(s, "+")
	sort.Strings(p)
	return strings.Join(p, "+")
}

var idCol = col{"id", "bigint", "bigint", "INTEGER"}
