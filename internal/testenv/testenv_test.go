package testenv

import (
	"context"
	"testing"
)

// Each engine's helper hands out a working, empty, writable database.
func TestDatabasesAreFreshAndWritable(t *testing.T) {
	for name, dsnFor := range map[string]func(testing.TB) string{"postgres": Postgres, "mysql": MySQL, "sqlite": SQLite} {
		t.Run(name, func(t *testing.T) {
			db := Open(t, dsnFor(t))
			ctx := context.Background()
			if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INT PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (1), (2)"); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
				t.Fatalf("count = %d, %v; want 2", n, err)
			}
		})
	}
}
