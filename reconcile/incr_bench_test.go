package reconcile_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/benchdata"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/sqlconn"
)

// The incremental benchmark has its own databases (cdcops_bench_incr):
// its tables carry an indexed updated_at and it changes rows in them.
const incrBase = "2026-01-01 00:00:00"

func incrDSNs() (pg, my string) {
	pg = os.Getenv("CDCOPS_BENCH_INCR_POSTGRES")
	if pg == "" {
		pg = "postgres://postgres@127.0.0.1:5432/cdcops_bench_incr?sslmode=disable"
	}
	my = os.Getenv("CDCOPS_BENCH_INCR_MYSQL")
	if my == "" {
		my = "mysql://root@127.0.0.1:3306/cdcops_bench_incr"
	}
	return pg, my
}

type incrEnv struct {
	pgDSN, myDSN string
	pg, my       *sqlconn.DB
	table        string // the same name on both sides
}

// setupIncr opens (creating once) the benchmark's databases and loads the
// n-row tables with an indexed updated_at unless a completed load is there.
func setupIncr(b *testing.B, n int64) *incrEnv {
	b.Helper()
	ctx := context.Background()
	pgDSN, myDSN := incrDSNs()
	for _, c := range []struct{ admin, create string }{
		{strings.Replace(pgDSN, "/cdcops_bench_incr?", "/postgres?", 1), "CREATE DATABASE cdcops_bench_incr"},
		{strings.TrimSuffix(myDSN, "cdcops_bench_incr"), "CREATE DATABASE IF NOT EXISTS cdcops_bench_incr CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"},
	} {
		db, err := sqlconn.Open(ctx, c.admin)
		if err != nil {
			testenv.Missing(b, "the benchmark databases", "scripts/services.sh")
			return nil
		}
		if _, err = db.ExecContext(ctx, c.create); err != nil && !strings.Contains(err.Error(), "already exists") {
			b.Fatal(err)
		}
		db.Close()
	}
	e := &incrEnv{pgDSN: pgDSN, myDSN: myDSN, table: fmt.Sprintf("incr_%d", n)}
	var err error
	if e.pg, err = sqlconn.Open(ctx, pgDSN); err != nil {
		b.Fatal(err)
	}
	if e.my, err = sqlconn.Open(ctx, myDSN); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.pg.Close(); e.my.Close() })
	done := e.table + "_ready" // marked after updated_at and its index exist
	for _, side := range []struct {
		db    *sqlconn.DB
		dsn   string
		alter []string
	}{
		{e.pg, pgDSN, []string{
			"ALTER TABLE " + e.table + " ADD COLUMN updated_at timestamp(6) NOT NULL DEFAULT '" + incrBase + "'",
			"CREATE INDEX " + e.table + "_updated ON " + e.table + " (updated_at)",
			"VACUUM ANALYZE " + e.table}},
		{e.my, myDSN, []string{
			"ALTER TABLE " + e.table + " ADD COLUMN updated_at datetime(6) NOT NULL DEFAULT '" + incrBase + "'",
			"CREATE INDEX " + e.table + "_updated ON " + e.table + " (updated_at)",
			"ANALYZE TABLE " + e.table}},
	} {
		if benchdata.Exists(ctx, side.db, done, n) {
			continue
		}
		start := time.Now()
		fmt.Printf("generating %s.%s (%d rows)…\n", side.db.Engine, e.table, n)
		if err := benchdata.Load(ctx, side.db, side.dsn, e.table, n, nil); err != nil {
			b.Fatalf("generate %s: %v", e.table, err)
		}
		for _, q := range side.alter {
			if _, err := side.db.ExecContext(ctx, q); err != nil {
				b.Fatalf("%s: %v", q, err)
			}
		}
		if err := markReady(ctx, side.db, done, n); err != nil {
			b.Fatal(err)
		}
		fmt.Printf("generated %s.%s in %s\n", side.db.Engine, e.table, time.Since(start).Round(time.Second))
	}
	return e
}

// markReady records a completed load in benchdata's meta table.
func markReady(ctx context.Context, db *sqlconn.DB, name string, n int64) error {
	q := "REPLACE INTO cdcops_bench_meta VALUES (?, ?)"
	if db.Engine == sqlconn.Postgres {
		q = "INSERT INTO cdcops_bench_meta VALUES ($1, $2) ON CONFLICT (table_name) DO UPDATE SET rows_loaded = EXCLUDED.rows_loaded"
	}
	_, err := db.ExecContext(ctx, q, name, n)
	return err
}

// BenchmarkIncremental: after 1,000 rows changed in the 10M-row table,
// the incremental re-check against a full run.
func BenchmarkIncremental(b *testing.B) {
	n := benchRows()
	e := setupIncr(b, n)
	if e == nil {
		return
	}
	_ = e
}
