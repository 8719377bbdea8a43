package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdcops/cdcops/internal/testenv"
)

// reconcileFixture: orders in PostgreSQL (source, DSN with a password that
// trust auth ignores) and MariaDB (sink) with one missing, one extra and
// one changed row, plus an identical copy.
type reconcileFixture struct {
	pg, my, state string
}

func newReconcileFixture(t *testing.T) *reconcileFixture {
	t.Helper()
	pg := testenv.Postgres(t)
	my := testenv.MySQL(t)
	ctx := context.Background()
	pdb, mdb := testenv.Open(t, pg), testenv.Open(t, my)
	for _, q := range []string{
		`CREATE TABLE orders (id bigint PRIMARY KEY, customer text, amount numeric(12,2), placed_at timestamp(6))`,
		`INSERT INTO orders SELECT g, 'c' || g, g * 1.25, timestamp '2024-05-01 10:00:00' + g * interval '1 minute' FROM generate_series(1, 50) g`,
		`CREATE TABLE canary (id int)`,
	} {
		if _, err := pdb.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`CREATE TABLE orders (id bigint PRIMARY KEY, customer varchar(20), amount decimal(12,2), placed_at datetime(6))`,
		`CREATE TABLE orders_copy (id bigint PRIMARY KEY, customer varchar(20), amount decimal(12,2), placed_at datetime(6))`,
	} {
		if _, err := mdb.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 50; i++ {
		for _, tbl := range []string{"orders", "orders_copy"} {
			id, customer := i, "c"+itoa(i)
			if tbl == "orders" && i == 7 {
				continue // missing in sink
			}
			if tbl == "orders" && i == 9 {
				customer = "changed"
			}
			if _, err := mdb.ExecContext(ctx, "INSERT INTO "+tbl+" VALUES (?, ?, ? * 1.25, TIMESTAMP '2024-05-01 10:00:00' + INTERVAL ? MINUTE)", id, customer, i, i); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := mdb.ExecContext(ctx, "INSERT INTO orders VALUES (1000, 'extra', 1, '2024-01-01')"); err != nil {
		t.Fatal(err)
	}
	pgWithPassword := strings.Replace(pg, "postgres@", "postgres:s3cret-pw@", 1)
	return &reconcileFixture{pg: pgWithPassword, my: my, state: "sqlite://" + filepath.Join(t.TempDir(), "state.db")}
}

func itoa(i int) string { return fmt.Sprint(i) }

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// The JSON report has the documented top-level fields with the right
// counts, the diff file holds every differing row, exit is 1, the run is
// in history, and the password appears nowhere.
func TestReconcileCommandFindsDifferences(t *testing.T) {
	f := newReconcileFixture(t)
	diffFile := filepath.Join(t.TempDir(), "diffs.jsonl")
	code, out, stderr := run(t, "--state", f.state, "reconcile", "--source", f.pg, "--sink", f.my, "--table", "orders", "-o", "json", "--diff-file", diffFile)
	if code != 1 {
		t.Fatalf("exit = %d, want 1\nstdout: %s\nstderr: %s", code, out, stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"equal", "source_rows", "sink_rows", "missing", "extra", "changed", "duplicates", "columns", "elapsed_ms", "differences", "queries", "ranges"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	want := map[string]float64{"source_rows": 50, "sink_rows": 50, "missing": 1, "extra": 1, "changed": 1, "duplicates": 0}
	for k, v := range want {
		if rep[k] != v {
			t.Errorf("%s = %v, want %v", k, rep[k], v)
		}
	}
	if rep["equal"] != false {
		t.Errorf("equal = %v", rep["equal"])
	}
	if cols := rep["columns"].(map[string]any); cols["customer"] != 1.0 || cols["amount"] != 0.0 {
		t.Errorf("columns = %v", cols)
	}
	var changed map[string]any
	for _, d := range rep["differences"].([]any) {
		if m := d.(map[string]any); m["kind"] == "changed" {
			changed = m
		}
	}
	if changed == nil || changed["key"].(map[string]any)["id"] != "9" {
		t.Fatalf("changed difference = %v", changed)
	}
	c := changed["columns"].(map[string]any)["customer"].(map[string]any)
	if c["source"] != "c9" || c["sink"] != "changed" {
		t.Errorf("customer values = %v", c)
	}
	data, err := os.ReadFile(diffFile)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(data), "\n"); lines != 3 {
		t.Errorf("diff file has %d lines, want 3:\n%s", lines, data)
	}
	if !strings.Contains(string(data), `"customer":"c7"`) {
		t.Errorf("diff file lacks the missing row's source values:\n%s", data)
	}
	code, hist, stderr := run(t, "--state", f.state, "reconcile", "history", "-o", "json")
	if code != 0 {
		t.Fatalf("history exit %d: %s", code, stderr)
	}
	var runs []map[string]any
	if err := json.Unmarshal([]byte(hist), &runs); err != nil || len(runs) != 1 || runs[0]["missing"] != 1.0 || runs[0]["equal"] != false {
		t.Fatalf("history = %s (%v)", hist, err)
	}
	for _, s := range []string{out, stderr, hist, string(data)} {
		if strings.Contains(s, "s3cret-pw") {
			t.Fatalf("password printed: %s", s)
		}
	}
	// The human table says the same.
	code, table, _ := run(t, "--state", f.state, "reconcile", "--source", f.pg, "--sink", f.my, "--table", "orders")
	if code != 1 || !strings.Contains(table, "DIFFERENT") || !strings.Contains(table, `customer: "c9" → "changed"`) || strings.Contains(table, "s3cret-pw") {
		t.Errorf("table output (exit %d):\n%s", code, table)
	}
}

func TestReconcileCommandEqualExitsZero(t *testing.T) {
	f := newReconcileFixture(t)
	code, out, stderr := run(t, "--state", f.state, "reconcile", "--source", f.pg, "--sink", f.my, "--table", "public.orders", "--sink-table", "orders_copy", "--mode", "pushdown")
	if code != 0 || !strings.Contains(out, "EQUAL") {
		t.Fatalf("exit = %d\n%s\n%s", code, out, stderr)
	}
}

// Bad input: one clear error with a hint, the right exit code, nothing changed.
func TestReconcileCommandBadInput(t *testing.T) {
	f := newReconcileFixture(t)
	base := []string{"--state", f.state, "reconcile", "--source", f.pg, "--sink", f.my}
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"sql injection in table name", []string{"--table", `orders; DROP TABLE canary; --`}, 3, "not found"},
		{"injection via quotes", []string{"--table", `orders" WHERE 1=1; DROP TABLE canary; --`}, 2, "invalid table name"},
		{"injection in quoted schema", []string{"--table", `"public; DROP TABLE canary".orders`}, 3, "not found"},
		{"unknown column", []string{"--table", "orders", "--columns", "id,nope"}, 2, `column "nope" not found in source table`},
		{"unknown key", []string{"--table", "orders", "--key", "nope"}, 2, `column "nope" not found`},
		{"missing table", []string{"--table", "no_such_table"}, 3, "table no_such_table not found in PostgreSQL"},
		{"missing sink table", []string{"--table", "canary"}, 3, "not found in MariaDB"},
		{"bad mode", []string{"--table", "orders", "--mode", "fast"}, 2, "invalid mode"},
		{"bad precision", []string{"--table", "orders", "--timestamp-precision", "ns"}, 2, "invalid timestamp precision"},
		{"bad partition", []string{"--table", "orders", "--partition-by", "placed_at:week"}, 2, "invalid --partition-by"},
		{"no table", nil, 2, "needs --source, --sink and --table"},
		{"statement smuggled in --where", []string{"--table", "orders", "--where", "1=1; DROP TABLE canary; --"}, 2, "rejected the query with the --where filter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := run(t, append(append([]string{}, base...), c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.msg) || !strings.Contains(stderr, "Hint:") {
				t.Fatalf("exit %d (want %d), stderr:\n%s\nstdout: %s", code, c.code, stderr, out)
			}
			if strings.Count(stderr, "Error:") != 1 || strings.Contains(stderr, "s3cret-pw") {
				t.Fatalf("want one redacted error line:\n%s", stderr)
			}
		})
	}
	db := testenv.Open(t, strings.Replace(f.pg, "postgres:s3cret-pw@", "postgres@", 1))
	var n int
	if err := db.QueryRow("SELECT count(*) FROM canary").Scan(&n); err != nil {
		t.Fatalf("canary table gone after injection attempts: %v", err)
	}
	code, _, stderr := run(t, "--state", f.state, "reconcile", "--source", "postgres://u:topsecret@127.0.0.1:1/db?connect_timeout=2", "--sink", f.my, "--table", "orders")
	if code != 3 || !strings.Contains(stderr, "Hint:") || strings.Contains(stderr, "topsecret") {
		t.Fatalf("unreachable source: exit %d\n%s", code, stderr)
	}
}

func TestReconcilePairsFile(t *testing.T) {
	f := newReconcileFixture(t)
	dir := t.TempDir()
	pairs := filepath.Join(dir, "pairs.yaml")
	yaml := "source: " + f.pg + "\nsink: " + f.my + "\ndefaults:\n  timestamp_precision: ms\npairs:\n  - table: orders\n  - table: orders\n    sink_table: orders_copy\n    mode: stream\n"
	if err := os.WriteFile(pairs, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "--state", f.state, "reconcile", "--pairs", pairs, "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum["tables"] != 2.0 || sum["different"] != 1.0 || sum["failed"] != 0.0 || sum["equal"] != false {
		t.Fatalf("summary = %v", sum)
	}
	if strings.Contains(out, "s3cret-pw") {
		t.Fatal("password printed")
	}
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(bad, []byte("pairs:\n  - table: orders\n    colums: [a]\n"), 0o600)
	code, _, stderr = run(t, "--state", f.state, "reconcile", "--pairs", bad)
	if code != 2 || !strings.Contains(stderr, "colums") {
		t.Fatalf("unknown key: exit %d\n%s", code, stderr)
	}
}

// A SQLite side works from a fresh process: cdcops's SQLite functions are
// registered before the first connection opens.
func TestReconcileCommandSQLiteSink(t *testing.T) {
	f := newReconcileFixture(t)
	path := filepath.Join(t.TempDir(), "copy.db")
	db := testenv.Open(t, "sqlite://"+path)
	if _, err := db.Exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, amount NUMERIC(12,2), placed_at TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 50; i++ {
		if i == 3 {
			continue // the one missing row
		}
		if _, err := db.Exec(`INSERT INTO orders VALUES (?, ?, ?, ?)`, i, "c"+itoa(i), float64(i)*1.25, fmt.Sprintf("2024-05-01 10:%02d:00", i)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	code, out, stderr := run(t, "--state", f.state, "reconcile", "--source", f.pg, "--sink", "sqlite://"+path, "--table", "orders", "-o", "json")
	var rep map[string]any
	_ = json.Unmarshal([]byte(out), &rep)
	if code != 1 || rep["missing"] != 1.0 || rep["changed"] != 0.0 || rep["extra"] != 0.0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	// A statement smuggled into --sink-where cannot write: reads are query_only.
	code, _, stderr = run(t, "--state", f.state, "reconcile", "--source", f.pg, "--sink", "sqlite://"+path, "--table", "orders",
		"--sink-where", "1=1; DELETE FROM orders; --")
	check := testenv.Open(t, "sqlite://"+path)
	var n int
	if err := check.QueryRow("SELECT count(*) FROM orders").Scan(&n); err != nil || n != 49 {
		t.Fatalf("sink rows after smuggled DELETE = %d, %v (exit %d: %s)", n, err, code, stderr)
	}
}

// --diff-file *.csv: a header of source./sink. columns, one line per
// difference, \N for NULL and empty cells for the side without the row.
func TestReconcileDiffFileCSV(t *testing.T) {
	f := newReconcileFixture(t)
	path := filepath.Join(t.TempDir(), "diffs.csv")
	code, _, stderr := run(t, "--state", f.state, "reconcile", "--source", f.pg, "--sink", f.my, "--table", "orders", "--diff-file", path)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"kind", "side", "source.id", "sink.id", "source.amount", "sink.amount", "source.customer", "sink.customer", "source.placed_at", "sink.placed_at"}
	if fmt.Sprint(recs[0]) != fmt.Sprint(want) || len(recs) != 4 {
		t.Fatalf("csv:\n%s", data)
	}
	byKind := map[string][]string{}
	for _, r := range recs[1:] {
		byKind[r[0]] = r
	}
	if r := byKind["changed"]; r[6] != "c9" || r[7] != "changed" || r[2] != "9" {
		t.Errorf("changed row: %v", r)
	}
	if r := byKind["missing"]; r[2] != "7" || r[3] != "" || r[6] != "c7" {
		t.Errorf("missing row: %v", r)
	}
	if r := byKind["extra"]; r[3] != "1000" || r[2] != "" || r[7] != "extra" {
		t.Errorf("extra row: %v", r)
	}
}
