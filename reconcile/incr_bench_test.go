package reconcile_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/benchdata"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/sqlconn"
)

// The incremental benchmark has its own databases (cdcops_bench_incr):
// its tables carry an indexed updated_at and it changes rows in them.
const incrBase = "2026-01-01 00:00:00"

func incrDSNs() (pg, my string) { return benchDatabases("cdcops_bench_incr", "CDCOPS_BENCH_INCR") }

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

// reset puts both tables back to the loaded state: every row the
// benchmark touched (updated_at after the base) gets its generated values.
func (e *incrEnv) reset(b *testing.B) {
	b.Helper()
	ctx := context.Background()
	for _, q := range []struct {
		db *sqlconn.DB
		q  string
	}{
		{e.pg, "UPDATE " + e.table + " SET name = rtrim(name, '~'), updated_at = '" + incrBase + "' WHERE updated_at > '" + incrBase + "'"},
		{e.my, "UPDATE " + e.table + " SET name = TRIM(TRAILING '~' FROM name), updated_at = '" + incrBase + "' WHERE updated_at > '" + incrBase + "'"},
	} {
		if _, err := q.db.ExecContext(ctx, q.q); err != nil {
			b.Fatalf("%s: %v", q.q, err)
		}
	}
}

// touch sets updated_at of keys to at (UTC) on db, appending '~' to the
// name when change is set (a difference the other side does not have).
func touch(b *testing.B, db *sqlconn.DB, table string, keys []int64, at time.Time, change bool) {
	b.Helper()
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = strconv.FormatInt(k, 10)
	}
	set := "updated_at = '" + at.UTC().Format("2006-01-02 15:04:05.000000") + "'"
	if change {
		set += ", name = " + map[sqlconn.Engine]string{sqlconn.Postgres: "name || '~'", sqlconn.MySQL: "CONCAT(name, '~')"}[db.Engine]
	}
	if _, err := db.ExecContext(context.Background(), "UPDATE "+table+" SET "+set+" WHERE id IN ("+strings.Join(ids, ",")+")"); err != nil {
		b.Fatal(err)
	}
}

func (e *incrEnv) run(b *testing.B, in *reconcile.Incremental, found map[string]string) (*reconcile.Report, time.Duration) {
	b.Helper()
	var mu sync.Mutex
	spec := reconcile.Spec{Source: e.pgDSN, Sink: e.myDSN, Table: e.table, Mode: os.Getenv("CDCOPS_BENCH_MODE"), Incremental: in,
		DiffSink: func(d reconcile.Difference) {
			mu.Lock()
			found[d.Key["id"]] = d.Kind
			mu.Unlock()
		}}
	if os.Getenv("CDCOPS_BENCH_DEBUG") != "" {
		spec.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	start := time.Now()
	rep, err := reconcile.Run(context.Background(), spec)
	if err != nil {
		b.Fatal(err)
	}
	return rep, time.Since(start)
}

// BenchmarkIncremental: after 1,000 rows changed on the source of the
// 10M-row table (PostgreSQL → MariaDB), the incremental re-check must
// find exactly them in ≤ 5% of a full run's time.
func BenchmarkIncremental(b *testing.B) {
	n := benchRows()
	e := setupIncr(b, n)
	if e == nil {
		return
	}
	const changes = 1000
	for range b.N {
		e.reset(b)
		// A live table: a few rows changed (on both sides) just before
		// the full check, so the watermark is now, not the load's value.
		warm := []int64{benchdata.Key(1), benchdata.Key(n / 2), benchdata.Key(n)}
		t0 := time.Now().Add(-time.Hour)
		touch(b, e.pg, e.table, warm, t0, false)
		touch(b, e.my, e.table, warm, t0, false)

		plain, fullTook := e.run(b, nil, map[string]string{})
		if !plain.Equal {
			b.Fatalf("tables differ before the changes: %+v", plain)
		}
		in := &reconcile.Incremental{UpdatedColumn: "updated_at", Margin: 5 * time.Minute}
		base, baseTook := e.run(b, in, map[string]string{})
		if !base.Equal || !base.Incremental.Full {
			b.Fatalf("incremental baseline: equal=%v full=%v (%s)", base.Equal, base.Incremental.Full, base.Incremental.Reason)
		}
		start := time.Now()
		body, err := json.Marshal(base.Checkpoint)
		if err != nil {
			b.Fatal(err)
		}
		marshal := time.Since(start)

		r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
		want := map[string]bool{}
		var keys []int64
		for len(keys) < changes {
			k := benchdata.Key(r.Int64N(n) + 1)
			if !want[strconv.FormatInt(k, 10)] {
				want[strconv.FormatInt(k, 10)] = true
				keys = append(keys, k)
			}
		}
		touch(b, e.pg, e.table, keys, time.Now(), true)

		in.Prev = base.Checkpoint
		found := map[string]string{}
		re, reTook := e.run(b, in, found)
		wrong := 0
		for k := range want {
			if found[k] != reconcile.Changed {
				wrong++
			}
		}
		verdict := fmt.Sprintf("found exactly the %d changed rows", changes)
		if wrong > 0 || len(found) != changes || re.Incremental.Full {
			verdict = fmt.Sprintf("WRONG: full=%v (%s), found %d differences, %d of the %d changed rows missed", re.Incremental.Full, re.Incremental.Reason, len(found), wrong, changes)
			b.Error(verdict)
		}
		ratio := reTook.Seconds() / fullTook.Seconds()
		goal := "MET"
		if ratio > 0.05 {
			goal = "NOT MET"
		}
		x := re.Incremental
		fmt.Printf("incremental  rows=%d full run (mode %s)=%.2fs incremental full check=%.2fs re-check=%.3fs ratio=%.4f (goal ≤ 0.05: %s) ranges rechecked=%d reused=%d changed rows=%d/%d rows read=%d bytes=%d+%d checkpoint=%d KB (marshal %s); %s (%s)\n",
			re.SourceRows, plain.Mode, fullTook.Seconds(), baseTook.Seconds(), reTook.Seconds(), ratio, goal, x.RangesRechecked, x.RangesReused,
			x.ChangedRows.Source, x.ChangedRows.Sink, re.RowsRead, re.BytesMoved.Source, re.BytesMoved.Sink, len(body)>>10, marshal.Round(time.Millisecond), verdict, loadAvg())
		b.ReportMetric(ratio, "x-full-run")
		// The same re-check counting every range on both sides (what a
		// source delete seen in PostgreSQL's statistics, or --count-ranges,
		// costs).
		in.CountRanges = true
		counted := map[string]string{}
		cr, crTook := e.run(b, in, counted)
		if len(counted) != changes || !cr.Incremental.RangesCounted || cr.Incremental.Full {
			b.Errorf("re-check with range counts: full=%v counted=%v found %d differences, want %d", cr.Incremental.Full, cr.Incremental.RangesCounted, len(counted), changes)
		}
		fmt.Printf("incremental  with --count-ranges: re-check=%.2fs ratio=%.3f found=%d (%s)\n", crTook.Seconds(), crTook.Seconds()/fullTook.Seconds(), len(counted), loadAvg())
		e.reset(b)
	}
}
