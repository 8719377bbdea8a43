package repair_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/reconcile/repair"
)

func exec(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	db := testenv.Open(t, dsn)
	for _, s := range stmts {
		if _, err := db.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// diffKeys runs reconcile and returns the differing keys as a diff file
// would hold them.
func diffKeys(t *testing.T, src, dst, table string) []map[string]string {
	t.Helper()
	var keys []map[string]string
	_, err := reconcile.Run(context.Background(), reconcile.Spec{Source: src, Sink: dst, Table: table,
		DiffSink: func(d reconcile.Difference) { keys = append(keys, d.Key) }})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// A row changed in the source after the diff is written with its value
// now, and a row that converged meanwhile is left alone.
func TestSourceRowChangedAfterTheDiffIsWrittenWithItsNewValue(t *testing.T) {
	ctx := context.Background()
	src, dst := testenv.Postgres(t), testenv.MySQL(t)
	exec(t, src, `CREATE TABLE orders (id bigint PRIMARY KEY, status text, total numeric(10,2))`,
		`INSERT INTO orders VALUES (1, 'new', 10.00), (2, 'new', 20.00), (3, 'new', 30.00)`)
	exec(t, dst, "CREATE TABLE orders (id bigint PRIMARY KEY, status varchar(20), total decimal(10,2))",
		"INSERT INTO orders VALUES (1, 'new', 10.00), (2, 'stale', 20.00), (3, 'stale', 30.00)")
	keys := diffKeys(t, src, dst, "orders")
	if len(keys) != 2 {
		t.Fatalf("diff has %d keys, want 2", len(keys))
	}
	// After the diff: row 2 moves on in the source; row 3 catches up in the sink.
	exec(t, src, `UPDATE orders SET status = 'shipped', total = 21.50 WHERE id = 2`)
	exec(t, dst, "UPDATE orders SET status = 'new' WHERE id = 3")
	spec := repair.Spec{Source: src, Sink: dst, Table: "orders", Keys: keys}
	fix, err := repair.Plan(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if fix.Updates != 1 || fix.Inserts != 0 || fix.Deletes != 0 {
		t.Fatalf("fix = %d updates, %d inserts, %d deletes; want only the update of row 2", fix.Updates, fix.Inserts, fix.Deletes)
	}
	sql := fix.SQLText()
	if !strings.Contains(sql, "'shipped'") || !strings.Contains(sql, "21.50") || strings.Contains(sql, "= 3") {
		t.Fatalf("fix SQL does not write row 2's new values only:\n%s", sql)
	}
	applied, err := fix.Apply(ctx, spec, repair.ApplyOptions{Reason: "test", RollbackFile: filepath.Join(t.TempDir(), "rb.sql")})
	if err != nil {
		t.Fatal(err)
	}
	if !applied.Verify.Equal {
		t.Fatalf("still differs: %+v", applied.Verify.Differences)
	}
	var status, total string
	if err := testenv.Open(t, dst).QueryRowContext(ctx, "SELECT status, total FROM orders WHERE id = 2").Scan(&status, &total); err != nil {
		t.Fatal(err)
	}
	if status != "shipped" || total != "21.50" {
		t.Fatalf("sink row 2 = %s, %s; want shipped, 21.50", status, total)
	}
}

func TestApplyNeedsAReasonAndChangesNothingWithout(t *testing.T) {
	ctx := context.Background()
	src, dst := testenv.SQLite(t), testenv.SQLite(t)
	exec(t, src, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`, `INSERT INTO t VALUES (1, 'a')`)
	exec(t, dst, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`)
	spec := repair.Spec{Source: src, Sink: dst, Table: "t", Keys: diffKeys(t, src, dst, "t")}
	fix, err := repair.Plan(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	rb := filepath.Join(t.TempDir(), "rb.sql")
	if _, err := fix.Apply(ctx, spec, repair.ApplyOptions{RollbackFile: rb}); err == nil || !strings.Contains(err.Error(), "--reason") {
		t.Fatalf("Apply without a reason: %v", err)
	}
	if _, err := os.Stat(rb); err == nil {
		t.Fatal("a rollback file was written although nothing may change")
	}
	if keys := diffKeys(t, src, dst, "t"); len(keys) != 1 {
		t.Fatalf("the sink changed: %d differences, want the 1 missing row", len(keys))
	}
}

// The rollback script is written before the first statement: a batch
// that fails leaves it on disk, and the committed batches before it are
// undone by it.
func TestRollbackScriptExistsBeforeTheFirstStatement(t *testing.T) {
	ctx := context.Background()
	src, dst := testenv.SQLite(t), testenv.SQLite(t)
	exec(t, src, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`, `INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
	exec(t, dst, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL CHECK (v <> 'c'))`)
	spec := repair.Spec{Source: src, Sink: dst, Table: "t", Keys: diffKeys(t, src, dst, "t"), BatchSize: 2}
	fix, err := repair.Plan(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	rb := filepath.Join(t.TempDir(), "rb.sql")
	applied, err := fix.Apply(ctx, spec, repair.ApplyOptions{Reason: "test", RollbackFile: rb})
	if err == nil || !strings.Contains(err.Error(), "batch 2 of 2 rolled back (1 committed before it)") {
		t.Fatalf("Apply = %v, want batch 2 to fail on the CHECK", err)
	}
	if applied.Committed != 1 {
		t.Fatalf("committed %d batches, want 1", applied.Committed)
	}
	testenv.RunSQLFile(t, dst, rb)
	var n int
	if err := testenv.Open(t, dst).QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("after the rollback script the sink has %d rows, want its 0", n)
	}
}

func TestReadDiffFileFormats(t *testing.T) {
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "d.jsonl")
	os.WriteFile(jsonl, []byte(`{"key":{"id":"1","_table":"a"},"kind":"missing"}
{"key":{"id":"2","_table":"b"},"kind":"extra"}
{"key":{"id":"3"},"kind":"changed"}
`), 0o600)
	keys, err := repair.ReadDiffFile(jsonl, nil, "a")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(keys)
	if string(got) != `[{"id":"1"},{"id":"3"}]` {
		t.Fatalf("keys = %s", got)
	}
	csvFile := filepath.Join(dir, "d.csv")
	os.WriteFile(csvFile, []byte("kind,side,source.id,sink.id,source.v,sink.v\nmissing,,7,,x,\nextra,,,8,,y\nchanged,,9,9,a,b\n"), 0o600)
	keys, err = repair.ReadDiffFile(csvFile, []string{"id"}, "")
	if err != nil {
		t.Fatal(err)
	}
	got, _ = json.Marshal(keys)
	if string(got) != `[{"id":"7"},{"id":"8"},{"id":"9"}]` {
		t.Fatalf("csv keys = %s", got)
	}
	os.WriteFile(jsonl, []byte("not json\n"), 0o600)
	if _, err := repair.ReadDiffFile(jsonl, nil, ""); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad line: %v", err)
	}
}

// --upsert writes missing and changed rows with each engine's own upsert
// (ON CONFLICT / ON DUPLICATE KEY UPDATE) and the sink ends equal.
func TestUpsertOnEveryEngine(t *testing.T) {
	ctx := context.Background()
	sinks := map[string]string{"postgres": testenv.Postgres(t), "mysql": testenv.MySQL(t), "sqlite": testenv.SQLite(t)}
	for name, dst := range sinks {
		t.Run(name, func(t *testing.T) {
			src := testenv.SQLite(t)
			exec(t, src, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n INTEGER)`, `INSERT INTO t VALUES (1, 'a', 1), (2, 'b''s', 2), (3, 'c', 3)`)
			exec(t, dst, `CREATE TABLE t (id BIGINT PRIMARY KEY, v VARCHAR(20), n BIGINT)`, `INSERT INTO t VALUES (1, 'a', 1), (2, 'old', 2), (4, 'x', 4)`)
			spec := repair.Spec{Source: src, Sink: dst, Table: "t", Keys: diffKeys(t, src, dst, "t"), Upsert: true}
			fix, err := repair.Plan(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			sql := fix.SQLText()
			if !strings.Contains(sql, "ON CONFLICT") && !strings.Contains(sql, "ON DUPLICATE KEY UPDATE") {
				t.Fatalf("no upsert in:\n%s", sql)
			}
			applied, err := fix.Apply(ctx, spec, repair.ApplyOptions{Reason: "test", RollbackFile: filepath.Join(t.TempDir(), "rb.sql")})
			if err != nil {
				t.Fatalf("%v\n%s", err, sql)
			}
			if !applied.Verify.Equal {
				t.Fatalf("still differs: %+v", applied.Verify.Differences)
			}
			if keys := diffKeys(t, src, dst, "t"); len(keys) != 0 {
				t.Fatalf("reconcile after upsert finds %v", keys)
			}
		})
	}
}
