package reconcile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/sqlconn"
)

// sqliteTables creates a SQLite file per side, runs the statements and
// returns the two DSNs.
func sqliteTables(t *testing.T, src, dst []string) (string, string) {
	t.Helper()
	dsns := [2]string{testenv.SQLite(t), testenv.SQLite(t)}
	for i, stmts := range [][]string{src, dst} {
		db := testenv.Open(t, dsns[i])
		for _, q := range stmts {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		db.Close()
	}
	return dsns[0], dsns[1]
}

// Review #6: --settle recomputed the row counts from the (capped)
// difference list and missed the matching first row of a duplicate key.
func TestSettleKeepsRowCounts(t *testing.T) {
	src, dst := sqliteTables(t,
		[]string{"CREATE TABLE t (id INTEGER, v TEXT)", "INSERT INTO t VALUES (1,'a'),(2,'b')"},
		[]string{"CREATE TABLE t (id INTEGER, v TEXT)", "INSERT INTO t VALUES (1,'a'),(1,'a'),(2,'b')"})
	for _, settle := range []time.Duration{0, 10 * time.Millisecond} {
		rep, err := Run(context.Background(), Spec{Source: src, Sink: dst, Table: "t", Key: []string{"id"}, Settle: settle, Mode: "stream"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.SourceRows != 2 || rep.SinkRows != 3 || rep.Duplicates != 1 || rep.Equal {
			t.Errorf("settle %s: source_rows=%d sink_rows=%d duplicates=%d equal=%v, want 2, 3, 1, false",
				settle, rep.SourceRows, rep.SinkRows, rep.Duplicates, rep.Equal)
		}
	}
}

// Review #7: --normalize was validated case-insensitively but applied by
// exact name, so EMAIL:trim,casefold on column email did nothing.
func TestNormalizeColumnNameCase(t *testing.T) {
	src, dst := sqliteTables(t,
		[]string{"CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT)", "INSERT INTO u VALUES (1,'a@x.org')"},
		[]string{"CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT)", "INSERT INTO u VALUES (1,'  A@X.ORG ')"})
	for _, name := range []string{"email", "EMAIL", "Email"} {
		rep, err := Run(context.Background(), Spec{Source: src, Sink: dst, Table: "u", Normalize: map[string]string{name: "trim,casefold"}})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Equal || rep.Changed != 0 {
			t.Errorf("--normalize %s:trim,casefold: equal=%v changed=%d, want equal", name, rep.Equal, rep.Changed)
		}
	}
	_, err := Run(context.Background(), Spec{Source: src, Sink: dst, Table: "u", Normalize: map[string]string{"email": "trim", "EMAIL": "casefold"}})
	if cdcops.ErrorCodeOf(err) != cdcops.EINVALID {
		t.Errorf("the same column normalized twice: err = %v, want EINVALID", err)
	}
}

func TestColumnsAndExcludeConflict(t *testing.T) {
	src, dst := sqliteTables(t,
		[]string{"CREATE TABLE u (id INTEGER PRIMARY KEY, x TEXT)"},
		[]string{"CREATE TABLE u (id INTEGER PRIMARY KEY, x TEXT)"})
	_, err := Run(context.Background(), Spec{Source: src, Sink: dst, Table: "u", Columns: []string{"id", "x"}, ExcludeColumns: []string{"X"}})
	if cdcops.ErrorCodeOf(err) != cdcops.EINVALID || !strings.Contains(err.Error(), "both") {
		t.Fatalf("err = %v, want EINVALID naming the conflict", err)
	}
}

// Review #8: a DiffSink that changes the key map it is handed must not
// change the report.
func TestDiffSinkCannotChangeReport(t *testing.T) {
	src, dst := sqliteTables(t,
		[]string{"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO t VALUES (1,'a'),(2,'b')"},
		[]string{"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO t VALUES (1,'a')"})
	var got []Difference
	rep, err := Run(context.Background(), Spec{Source: src, Sink: dst, Table: "t", DiffSink: func(d Difference) {
		d.Key["_table"] = "t"
		got = append(got, d)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(rep.Differences) != 1 {
		t.Fatalf("sink got %d, report lists %d", len(got), len(rep.Differences))
	}
	if k := rep.Differences[0].Key; len(k) != 1 || k["id"] != "2" {
		t.Fatalf("report key = %v, want {id:2}", k)
	}
}

// plantDiffs makes a source of n rows and a sink missing `missing` of them.
func plantDiffs(t *testing.T, n, missing int) (string, string) {
	t.Helper()
	ins := func(from, to int) []string {
		var vals []string
		for i := from; i <= to; i++ {
			vals = append(vals, fmt.Sprintf("(%d,'v%d')", i, i))
		}
		return []string{"INSERT INTO t VALUES " + strings.Join(vals, ",")}
	}
	create := "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"
	return sqliteTables(t, append([]string{create}, ins(1, n)...), append([]string{create}, ins(missing+1, n)...))
}

// Issue 15: counts are exact by default; --max-diffs bounds only the rows
// listed and written; only --stop-after stops, and only then (when a
// difference beyond it exists) is stopped_early true.
func TestCountsExactAndStopAfter(t *testing.T) {
	src, dst := plantDiffs(t, 3000, 1002)
	for _, mode := range []string{"stream", "pushdown"} {
		t.Run(mode, func(t *testing.T) {
			var mu sync.Mutex
			written := 0
			sink := func(Difference) { mu.Lock(); written++; mu.Unlock() }
			rep, err := Run(context.Background(), Spec{Source: src, Sink: dst, Table: "t", Mode: mode, MaxDiffs: 1000, DiffSink: sink, LeafRows: 50})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Missing != 1002 || rep.StoppedEarly || len(rep.Differences) != 1000 || written != 1000 || rep.SinkRows != 1998 {
				t.Fatalf("default: missing=%d stopped_early=%v listed=%d written=%d sink_rows=%d; want 1002, false, 1000, 1000, 1998",
					rep.Missing, rep.StoppedEarly, len(rep.Differences), written, rep.SinkRows)
			}
			rep, err = Run(context.Background(), Spec{Source: src, Sink: dst, Table: "t", Mode: mode, StopAfter: 1002, LeafRows: 50})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Missing != 1002 || rep.StoppedEarly {
				t.Fatalf("--stop-after 1002 with exactly 1002: missing=%d stopped_early=%v; want 1002, false", rep.Missing, rep.StoppedEarly)
			}
			rep, err = Run(context.Background(), Spec{Source: src, Sink: dst, Table: "t", Mode: mode, StopAfter: 10, LeafRows: 50})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Missing != 10 || !rep.StoppedEarly || rep.Equal {
				t.Fatalf("--stop-after 10: missing=%d stopped_early=%v equal=%v; want 10, true, false", rep.Missing, rep.StoppedEarly, rep.Equal)
			}
		})
	}
	for _, bad := range []Spec{{MaxDiffs: -5}, {StopAfter: -1}, {Timeout: -time.Second}, {Settle: -time.Second}} {
		bad.Source, bad.Sink, bad.Table = src, dst, "t"
		if _, err := Run(context.Background(), bad); cdcops.ErrorCodeOf(err) != cdcops.EINVALID {
			t.Errorf("%+v: err = %v, want EINVALID", bad, err)
		}
	}
}

// Review #13: a read that fails must fail the run, also when --stop-after
// is reached on the differences the failure would make up (the rest of the
// other side read as "extra"). The source's filter divides by zero at
// id 3000, after PostgreSQL has streamed the rows before it.
func TestStopAfterDoesNotHideReadError(t *testing.T) {
	pg := testenv.Postgres(t)
	p := testenv.Open(t, pg)
	for _, q := range []string{"CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t SELECT g, 'v' FROM generate_series(1, 6000) g"} {
		if _, err := p.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var vals []string
	for i := 1; i <= 6000; i++ {
		vals = append(vals, fmt.Sprintf("(%d,'v')", i))
	}
	_, dst := sqliteTables(t, nil, []string{"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO t VALUES " + strings.Join(vals, ",")})
	for i := 0; i < 5; i++ {
		rep, err := Run(context.Background(), Spec{Source: pg, Sink: dst, Table: "t", SourceWhere: "1 / (id - 3000) IS NOT NULL", StopAfter: 1, Mode: "stream"})
		if err == nil || !strings.Contains(err.Error(), "division by zero") {
			t.Fatalf("run %d: err = %v, want the source's division by zero; report %+v", i, err, rep)
		}
	}
}

// A mistyped sqlite:// path is an error and creates no file; the database
// is opened read-only.
func TestSQLiteMistypedPathCreatesNothing(t *testing.T) {
	src, _ := sqliteTables(t, []string{"CREATE TABLE t (id INTEGER PRIMARY KEY)"}, nil)
	missing := filepath.Join(t.TempDir(), "typo.db")
	_, err := Run(context.Background(), Spec{Source: src, Sink: "sqlite://" + missing, Table: "t"})
	if cdcops.ErrorCodeOf(err) != cdcops.ENOTFOUND || !strings.Contains(err.Error(), "does not exist") || cdcops.HintOf(err) == "" {
		t.Fatalf("err = %v (hint %q), want ENOTFOUND 'does not exist' with a hint", err, cdcops.HintOf(err))
	}
	if _, serr := os.Stat(missing); !errors.Is(serr, os.ErrNotExist) {
		t.Fatalf("reconcile created %s (stat: %v)", missing, serr)
	}
	db, err := sqlconn.OpenReadOnly(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE x (a INT)"); err == nil {
		t.Fatal("a read-only SQLite connection accepted CREATE TABLE")
	}
}

// docs/reconcile.md: a table is found exactly first, then
// case-insensitively when that is unambiguous — also on MariaDB.
func TestMariaDBTableCaseInsensitive(t *testing.T) {
	my := testenv.MySQL(t)
	db := testenv.Open(t, my)
	for _, q := range []string{"CREATE TABLE MixedCase (id INT PRIMARY KEY, v TEXT)", "INSERT INTO MixedCase VALUES (1,'a'),(2,'b')"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	sl, _ := sqliteTables(t, []string{"CREATE TABLE mixedcase (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO mixedcase VALUES (1,'a'),(2,'b')"}, nil)
	for _, mode := range []string{"stream", "pushdown"} {
		rep, err := Run(context.Background(), Spec{Source: sl, Sink: my, Table: "mixedcase", Mode: mode})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if !rep.Equal || rep.SinkRows != 2 || !strings.Contains(rep.SinkTable, "MixedCase") {
			t.Fatalf("%s: equal=%v sink_rows=%d sink_table=%s", mode, rep.Equal, rep.SinkRows, rep.SinkTable)
		}
	}
}

// Issue 10 acceptance: `reconcile --timeout 3s` with a --source-where that
// sleeps ends after about 3 s with a timeout error, and the query does not
// keep running in PostgreSQL.
func TestTimeoutCancelsQueryServerSide(t *testing.T) {
	pg := testenv.Postgres(t)
	p := testenv.Open(t, pg)
	for _, q := range []string{"CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t SELECT g, 'v' FROM generate_series(1, 10) g"} {
		if _, err := p.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_, dst := sqliteTables(t, nil, []string{"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"})
	const marker = "cdcops_timeout_probe"
	where := "pg_sleep(30) IS NOT NULL OR '" + marker + "' = ''"
	seen := make(chan int, 1)
	go func() { // while the run waits: the sleeping query must really be running
		time.Sleep(2 * time.Second)
		var n int
		_ = p.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%" + marker + "%' AND pid <> pg_backend_pid()").Scan(&n)
		seen <- n
	}()
	start := time.Now()
	_, err := Run(context.Background(), Spec{Source: pg, Sink: dst, Table: "t", SourceWhere: where, Timeout: 3 * time.Second, Mode: "stream"})
	took := time.Since(start)
	if n := <-seen; n != 1 {
		t.Fatalf("%d sleeping queries seen during the run, want 1 (the test does not test what it says)", n)
	}
	if err == nil || !strings.Contains(err.Error(), "timed out after 3s") || !errors.Is(err, context.DeadlineExceeded) && cdcops.ErrorCodeOf(err) != cdcops.EUNAVAILABLE {
		t.Fatalf("err = %v, want 'reconcile timed out after 3s'", err)
	}
	if took > 15*time.Second {
		t.Fatalf("took %s: the timeout did not end the run", took)
	}
	// The server must not still run the sleeping query (give the cancel
	// request a moment to arrive).
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		if err := p.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%" + marker + "%' AND pid <> pg_backend_pid()").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d queries still active in PostgreSQL after the timeout", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
