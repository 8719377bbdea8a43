package sqlconn_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
)

// A query whose context ends (timeout, Ctrl-C) must stop on the server,
// not only in the client: otherwise a cancelled reconcile keeps scanning.
func TestCancelledQueryStopsOnTheServer(t *testing.T) {
	for _, tc := range []struct {
		engine, sleep, running string
		dsn                    func(testing.TB) string
	}{
		{"postgres", "SELECT pg_sleep(30) /* %s */",
			"SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%%%s%%' AND pid <> pg_backend_pid()", testenv.Postgres},
		{"mysql", "SELECT SLEEP(30) /* %s */",
			"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%%%s%%' AND ID <> CONNECTION_ID()", testenv.MySQL},
	} {
		t.Run(tc.engine, func(t *testing.T) {
			db := testenv.Open(t, tc.dsn(t))
			marker := testenv.UniqueName("cancel_probe")
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			rows, err := db.QueryContext(ctx, fmt.Sprintf(tc.sleep, marker))
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
			if err == nil {
				t.Fatal("a 30 s sleep finished inside a 300 ms timeout")
			}
			if !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				t.Fatalf("query failed for another reason: %v", err)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Fatalf("cancelled query returned after %v", took)
			}
			// The server must be rid of it well before the 30 s sleep would end
			// (give the kill time to land on a loaded machine).
			probe := fmt.Sprintf(tc.running, marker)
			var n int
			for i := 0; i < 150; i++ {
				if err := db.QueryRowContext(context.Background(), probe).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Fatalf("%d cancelled query still running on the %s server after 15 s", n, tc.engine)
		})
	}
}

// The wrapper must not change what normal queries see.
func TestKillWrapperPassesQueriesThrough(t *testing.T) {
	db := testenv.Open(t, testenv.MySQL(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (?, ?), (?, ?)", 1, "a", 2, "b"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT id, v FROM t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	types, err := rows.ColumnTypes()
	if err != nil || types[1].DatabaseTypeName() != "VARCHAR" {
		t.Fatalf("column types through the wrapper: %v %v", types, err)
	}
	var got []string
	for rows.Next() {
		var id int
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %s", id, v))
	}
	rows.Close()
	if fmt.Sprint(got) != "[1 a 2 b]" {
		t.Errorf("rows %v", got)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("count in tx: %d %v", n, err)
	}
	tx.Rollback()
}
