package dialect_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/reconcile/dialect"
	"github.com/cdcops/cdcops/sqlconn"
)

// literalTable has one column per kind whose literal needs care.
var literalTable = map[sqlconn.Engine]string{
	sqlconn.Postgres: `CREATE TABLE lit (id bigint PRIMARY KEY, t text, b bytea, ts timestamp(3), tz timestamptz, d numeric(12,2), f float8, ok boolean)`,
	sqlconn.MySQL:    "CREATE TABLE lit (id bigint PRIMARY KEY, t text, b varbinary(64), ts datetime(3), tz timestamp(6) NULL, d decimal(12,2), f double, ok tinyint(1))",
	sqlconn.SQLite:   `CREATE TABLE lit (id INTEGER PRIMARY KEY, t TEXT, b BLOB, ts TIMESTAMP, tz TIMESTAMPTZ, d NUMERIC(12,2), f REAL, ok BOOLEAN)`,
}

// canonical values written through Literal, and what reading them back
// canonically must give (timestamps at the column's precision).
var literalRows = []struct {
	t, b, ts, tz, d, f, ok *string
	wantTS                 string
}{
	{t: s(`back\slash 'q' "d" \n not a newline`), b: s("00ff27005c"), ts: s("2024-03-01 12:00:00.123999"), tz: s("2024-03-01 12:00:00.654321"), d: s("-0.05"), f: s("1e-07"), ok: s("1"), wantTS: "2024-03-01 12:00:00.123"},
	{t: s("tab\there\nnl\r\x01\x1f\x7f end"), b: s(""), ts: s("1999-12-31 23:59:59.999999"), tz: s("1970-01-01 00:00:00.000001"), d: s("1234567890.12"), f: s("-2.5"), ok: s("0"), wantTS: "1999-12-31 23:59:59.999"},
	{t: s("unicode: café, cafe\u0301, emoji 🎉, Ω, ''''"), wantTS: ""},
	{t: s(""), b: s("5c"), ts: s("2024-01-01 00:00:00.000000"), d: s("0.00"), f: s("0"), wantTS: "2024-01-01 00:00:00.000"},
}

func s(v string) *string { return &v }

func TestLiteralsRoundTripOnEveryEngine(t *testing.T) {
	for _, e := range []sqlconn.Engine{sqlconn.Postgres, sqlconn.MySQL, sqlconn.SQLite} {
		modes := []string{""}
		if e == sqlconn.MySQL {
			modes = []string{"", "NO_BACKSLASH_ESCAPES"}
		}
		for _, mode := range modes {
			t.Run(string(e)+"/"+mode, func(t *testing.T) { literalRoundTrip(t, e, mode) })
		}
	}
}

func dsnFor(t *testing.T, e sqlconn.Engine) string {
	switch e {
	case sqlconn.Postgres:
		return testenv.Postgres(t)
	case sqlconn.MySQL:
		return testenv.MySQL(t)
	}
	return testenv.SQLite(t)
}

func literalRoundTrip(t *testing.T, e sqlconn.Engine, mode string) {
	ctx := context.Background()
	dialect.RegisterSQLiteFunctions()
	db := testenv.Open(t, dsnFor(t, e))
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if mode != "" {
		exec("SET SESSION sql_mode = '" + mode + "'")
	}
	w, err := dialect.WriterFor(ctx, conn, e)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range w.Session() {
		exec(st)
	}
	exec(literalTable[e])
	exec(strings.Replace(literalTable[e], "lit", "copy", 1))
	tbl, err := w.Describe(ctx, conn, cdcops.TableRef{Name: "lit"})
	if err != nil {
		t.Fatal(err)
	}
	col := func(n string) dialect.Column { c, _ := tbl.Column(n); return c }
	classes := map[string]dialect.Class{"t": dialect.ClassText, "b": dialect.ClassBinary, "ts": dialect.ClassTimestamp, "tz": dialect.ClassTimestamp, "d": dialect.ClassDecimal, "f": dialect.ClassFloat, "ok": dialect.ClassBool}
	names := []string{"t", "b", "ts", "tz", "d", "f", "ok"}
	for i, r := range literalRows {
		vals := []*string{r.t, r.b, r.ts, r.tz, r.d, r.f, r.ok}
		lits := []string{"", ""}
		lits = lits[:0]
		for j, n := range names {
			lits = append(lits, w.Literal(col(n), classes[n], vals[j]))
		}
		exec("INSERT INTO lit (id, t, b, ts, tz, d, f, ok) VALUES (" + string(rune('0'+i)) + ", " + strings.Join(lits, ", ") + ")")
	}
	// Read back canonically: every value is the one written.
	canon := func(n string, f dialect.Format) string { return w.Canon(col(n), f) }
	q := "SELECT " + strings.Join([]string{
		canon("t", dialect.Format{Class: dialect.ClassText}), canon("b", dialect.Format{Class: dialect.ClassBinary}),
		canon("ts", dialect.Format{Class: dialect.ClassTimestamp, TSDigits: 3}), canon("tz", dialect.Format{Class: dialect.ClassTimestamp, TSDigits: 6}),
		canon("d", dialect.Format{Class: dialect.ClassDecimal, Scale: 2}), canon("ok", dialect.Format{Class: dialect.ClassBool}),
	}, ", ") + " FROM lit ORDER BY id"
	snapshot := func(table string) [][]sql.NullString {
		t.Helper()
		rows, err := conn.QueryContext(ctx, strings.Replace(q, "FROM lit", "FROM "+table, 1))
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		var out [][]sql.NullString
		for rows.Next() {
			v := make([]sql.NullString, 6)
			if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	got := snapshot("lit")
	if len(got) != len(literalRows) {
		t.Fatalf("read %d rows, wrote %d", len(got), len(literalRows))
	}
	for i, r := range literalRows {
		want := []*string{r.t, r.b, nil, r.tz, r.d, r.ok}
		if r.wantTS != "" {
			want[2] = &r.wantTS
		}
		for j, wv := range want {
			g := got[i][j]
			if (wv == nil) != !g.Valid || (wv != nil && *wv != g.String) {
				t.Errorf("row %d column %d: wrote %s, read back %q (valid %v)", i, j, show(wv), g.String, g.Valid)
			}
		}
	}
	// Native values copied through NativeLiteral give the same rows.
	for _, st := range w.NativeSession() {
		exec(st)
	}
	all := append([]string{"id"}, names...)
	sel := make([]string, len(all))
	for i, n := range all {
		sel[i] = w.Native(col(n))
	}
	rows, err := conn.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM lit ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var inserts []string
	for rows.Next() {
		v := make([]sql.NullString, len(all))
		ptrs := make([]any, len(all))
		for i := range v {
			ptrs[i] = &v[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		lits := make([]string, len(all))
		for i, n := range all {
			var p *string
			if v[i].Valid {
				p = &v[i].String
			}
			lits[i] = w.NativeLiteral(col(n), p)
		}
		inserts = append(inserts, "INSERT INTO copy (id, t, b, ts, tz, d, f, ok) VALUES ("+strings.Join(lits, ", ")+")")
	}
	rows.Close()
	for _, ins := range inserts {
		exec(ins)
	}
	cp := snapshot("copy")
	for i := range got {
		for j := range got[i] {
			if got[i][j] != cp[i][j] {
				t.Errorf("native copy row %d column %d = %v, original %v", i, j, cp[i][j], got[i][j])
			}
		}
	}
	var fo, fc sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT "+w.Canon(col("f"), dialect.Format{Class: dialect.ClassFloat})+" FROM lit WHERE id = 0").Scan(&fo); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT "+w.Canon(col("f"), dialect.Format{Class: dialect.ClassFloat})+" FROM copy WHERE id = 0").Scan(&fc); err != nil {
		t.Fatal(err)
	}
	if fo != fc || !fo.Valid {
		t.Errorf("float 1e-07: original %v, native copy %v", fo, fc)
	}
}

func show(v *string) string {
	if v == nil {
		return "NULL"
	}
	return "\"" + *v + "\""
}
