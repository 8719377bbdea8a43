package reconcile_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/benchdata"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/sqlconn"
)

// The benchmark's databases; tables are generated once and reused.
func benchDSNs() (pg, my string) { return benchDatabases("cdcops_bench", "CDCOPS_BENCH") }

// benchDatabases are the PostgreSQL and MariaDB DSNs of database db on
// the local services, or ENV_POSTGRES / ENV_MYSQL when set.
func benchDatabases(db, env string) (pg, my string) {
	pg = os.Getenv(env + "_POSTGRES")
	if pg == "" {
		pg = "postgres://postgres@127.0.0.1:5432/" + db + "?sslmode=disable"
	}
	my = os.Getenv(env + "_MYSQL")
	if my == "" {
		my = "mysql://root@127.0.0.1:3306/" + db
	}
	return pg, my
}

func benchRows() int64 {
	if v := os.Getenv("CDCOPS_BENCH_ROWS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil && n > 0 {
			return n
		}
	}
	return 10_000_000
}

const benchDiffs = 1000

type benchEnv struct {
	pgDSN, myDSN string
	pg, my       *sqlconn.DB
}

func setupBench(b *testing.B) *benchEnv {
	b.Helper()
	ctx := context.Background()
	pgDSN, myDSN := benchDSNs()
	// Create the databases if needed, through the server's default database.
	for _, c := range []struct{ admin, create string }{
		{strings.Replace(pgDSN, "/cdcops_bench?", "/postgres?", 1), "CREATE DATABASE cdcops_bench"},
		{strings.TrimSuffix(myDSN, "cdcops_bench"), "CREATE DATABASE IF NOT EXISTS cdcops_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"},
	} {
		db, err := sqlconn.Open(ctx, c.admin)
		if err != nil {
			b.Skipf("benchmark database unreachable: %v", err)
		}
		_, err = db.ExecContext(ctx, c.create)
		if err != nil && !strings.Contains(err.Error(), "already exists") {
			b.Fatal(err)
		}
		db.Close()
	}
	e := &benchEnv{pgDSN: pgDSN, myDSN: myDSN}
	var err error
	if e.pg, err = sqlconn.Open(ctx, pgDSN); err != nil {
		b.Fatal(err)
	}
	if e.my, err = sqlconn.Open(ctx, myDSN); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.pg.Close(); e.my.Close() })
	return e
}

// ensure generates the source (PostgreSQL), identical sink and differing
// sink (MariaDB) of n rows unless already there.
func (e *benchEnv) ensure(b *testing.B, n int64, withDiff bool) (src, same, diff string) {
	b.Helper()
	ctx := context.Background()
	src, same, diff = fmt.Sprintf("src_%d", n), fmt.Sprintf("same_%d", n), fmt.Sprintf("diff_%d", n)
	load := func(db *sqlconn.DB, dsn, table string, diffs []benchdata.Diff) {
		if benchdata.Exists(ctx, db, table, n) {
			return
		}
		start := time.Now()
		fmt.Printf("generating %s.%s (%d rows)…\n", db.Engine, table, n)
		if err := benchdata.Load(ctx, db, dsn, table, n, diffs); err != nil {
			b.Fatalf("generate %s: %v", table, err)
		}
		fmt.Printf("generated %s.%s in %s\n", db.Engine, table, time.Since(start).Round(time.Second))
	}
	load(e.pg, e.pgDSN, src, nil)
	load(e.my, e.myDSN, same, nil)
	if withDiff {
		load(e.my, e.myDSN, diff, benchdata.Diffs(n, benchDiffs))
	}
	return src, same, diff
}

// floor is the physical floor: an ordered raw scan of both tables in
// parallel into nothing (psql \copy ∥ mysql --quick), see rawScan.
func (e *benchEnv) floor(b *testing.B, pgTable, myTable string) time.Duration {
	b.Helper()
	return e.rawScan(b, pgTable, myTable).wall
}

// peakRSS resets the kernel's high-water mark, runs fn and returns the
// process's peak resident set during fn (VmHWM).
func peakRSS(fn func()) int64 {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	fn()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}

func (e *benchEnv) run(b *testing.B, src, sink string, found map[string]string) (*reconcile.Report, time.Duration, int64) {
	b.Helper()
	var mu sync.Mutex
	spec := reconcile.Spec{
		Source: e.pgDSN, Sink: e.myDSN, Table: src, SinkTable: sink, Mode: os.Getenv("CDCOPS_BENCH_MODE"),
		DiffSink: func(d reconcile.Difference) {
			mu.Lock()
			found[d.Key["id"]] = d.Kind
			mu.Unlock()
		},
	}
	var rep *reconcile.Report
	var err error
	var elapsed time.Duration
	rss := peakRSS(func() {
		start := time.Now()
		rep, err = reconcile.Run(context.Background(), spec)
		elapsed = time.Since(start)
	})
	if err != nil {
		b.Fatal(err)
	}
	return rep, elapsed, rss
}

func report(name string, rep *reconcile.Report, took, floor time.Duration, rss int64, goal float64, verdict string) {
	ratio := took.Seconds() / floor.Seconds()
	ok := "MET"
	if ratio > goal || rss > 200<<20 {
		ok = "NOT MET"
	}
	fmt.Printf("%-12s rows=%d/%d mode=%s cdcops=%.2fs floor(raw scan)=%.2fs ratio=%.2f (goal ≤ %.1f) peakRSS=%dMB queries=%d ranges=%d bytes=%d+%d %s; goal %s (%s)\n",
		name, rep.SourceRows, rep.SinkRows, rep.Mode, took.Seconds(), floor.Seconds(), ratio, goal, rss>>20, rep.Queries, rep.Ranges,
		rep.BytesMoved.Source, rep.BytesMoved.Sink, verdict, ok, loadAvg())
}

// BenchmarkReconcile is `make bench`: (a) identical tables, (b) 1,000
// scattered differences, PostgreSQL source vs MariaDB sink, against the
// floor. CDCOPS_BENCH_ROWS sets the size (default 10,000,000).
func BenchmarkReconcile(b *testing.B) {
	e := setupBench(b)
	n := benchRows()
	src, same, diff := e.ensure(b, n, true)
	b.Run("identical", func(b *testing.B) {
		for range b.N {
			floor := e.floor(b, src, same)
			found := map[string]string{}
			rep, took, rss := e.run(b, src, same, found)
			verdict := "equal as expected"
			if !rep.Equal || len(found) != 0 {
				verdict = fmt.Sprintf("WRONG: %d differences reported on identical tables", len(found))
				b.Error(verdict)
			}
			report("identical", rep, took, floor, rss, 1.2, verdict)
			b.ReportMetric(took.Seconds()/floor.Seconds(), "x-floor")
			b.ReportMetric(float64(rss>>20), "MB-peak-rss")
		}
	})
	b.Run("differences", func(b *testing.B) {
		want := benchdata.Diffs(n, benchDiffs)
		for range b.N {
			floor := e.floor(b, src, diff)
			found := map[string]string{}
			rep, took, rss := e.run(b, src, diff, found)
			wrong := 0
			for _, d := range want {
				if found[strconv.FormatInt(d.Key, 10)] != d.Kind {
					wrong++
				}
			}
			verdict := fmt.Sprintf("found exactly the %d injected differences", len(want))
			if wrong > 0 || len(found) != len(want) {
				verdict = fmt.Sprintf("WRONG: found %d differences, %d of the %d injected missed or misclassified", len(found), wrong, len(want))
				b.Error(verdict)
			}
			report("differences", rep, took, floor, rss, 1.3, verdict)
			b.ReportMetric(took.Seconds()/floor.Seconds(), "x-floor")
			b.ReportMetric(float64(rss>>20), "MB-peak-rss")
		}
	})
}

// BenchmarkReconcileVsCSV compares cdcops with a naive export of both
// 1,000,000-row tables (psql COPY, mysql --batch) plus sort and comm.
func BenchmarkReconcileVsCSV(b *testing.B) {
	if _, err := exec.LookPath("psql"); err != nil {
		b.Skip("psql not installed")
	}
	if _, err := exec.LookPath("mysql"); err != nil {
		b.Skip("mysql client not installed")
	}
	e := setupBench(b)
	const n = 1_000_000
	src, same, _ := e.ensure(b, n, false)
	for range b.N {
		dir := b.TempDir()
		start := time.Now()
		script := fmt.Sprintf(`set -e
psql %q -Atc "COPY (SELECT id, name, email, amount, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.US'), active::int, score FROM %s) TO STDOUT" > %s/a.tsv &
mysql -h127.0.0.1 -uroot -B -N --raw cdcops_bench -e "SELECT id, name, email, amount, DATE_FORMAT(created_at, '%%Y-%%m-%%d %%H:%%i:%%s.%%f'), active, IFNULL(score, '\\\\N') FROM %s" > %s/b.tsv &
wait
LC_ALL=C sort -S 200M %s/a.tsv > %s/a.sorted &
LC_ALL=C sort -S 200M %s/b.tsv > %s/b.sorted &
wait
LC_ALL=C comm -3 %s/a.sorted %s/b.sorted | wc -l`, e.pgDSN, src, dir, same, dir, dir, dir, dir, dir, dir, dir)
		out, err := exec.Command("bash", "-c", script).CombinedOutput()
		naive := time.Since(start)
		if err != nil {
			b.Fatalf("naive export: %v\n%s", err, out)
		}
		found := map[string]string{}
		rep, took, rss := e.run(b, src, same, found)
		fmt.Printf("vs-export    rows=%d cdcops=%.2fs (mode %s, equal=%v, peakRSS=%dMB) naive export+sort+comm=%.2fs (%s differing lines) ratio naive/cdcops=%.2f\n",
			n, took.Seconds(), rep.Mode, rep.Equal, rss>>20, naive.Seconds(), strings.TrimSpace(string(out)), naive.Seconds()/took.Seconds())
		b.ReportMetric(naive.Seconds()/took.Seconds(), "x-faster-than-export")
	}
}
