package reconcile_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/benchdata"
	"github.com/cdcops/cdcops/internal/throttle"
	"github.com/cdcops/cdcops/reconcile"
)

// One timed run of a contestant.
type shot struct {
	wall, cpu time.Duration
	bytes     int64 // -1: not measured
	found     string
	ok        bool
}

type contestant struct {
	name string
	run  func(b *testing.B) shot
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func benchPairs() int {
	if n, err := strconv.Atoi(os.Getenv("CDCOPS_BENCH_PAIRS")); err == nil && n > 0 {
		return n
	}
	return 3
}

// tool finds a peer's executable: $env, then PATH, then the bench venv
// scripts/bench-peers.sh creates.
func tool(env, name string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	home, _ := os.UserHomeDir()
	p := filepath.Join(home, ".cache", "cdcops", "bench-venv", "bin", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runCmd runs a peer as its own process: wall time and its CPU time.
func runCmd(b *testing.B, name string, args ...string) (shot, string) {
	b.Helper()
	cmd := exec.Command(name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	s := shot{wall: time.Since(start), bytes: -1, ok: true}
	if cmd.ProcessState != nil {
		s.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil && (cmd.ProcessState == nil || cmd.ProcessState.ExitCode() > 1) {
		b.Logf("%s failed: %v\n%s", filepath.Base(name), err, lastLines(errb.String(), 5))
		s.ok = false
	}
	return s, out.String()
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// cdcopsShot runs cdcops in this process: wall, this process's CPU, bytes.
func cdcopsShot(b *testing.B, spec reconcile.Spec, wantDiffs int64) shot {
	b.Helper()
	cpu0 := selfCPU()
	start := time.Now()
	rep, err := reconcile.Run(context.Background(), spec)
	s := shot{wall: time.Since(start), cpu: selfCPU() - cpu0}
	if err != nil {
		b.Logf("cdcops: %v", err)
		return s
	}
	s.bytes = rep.BytesMoved.Source + rep.BytesMoved.Sink
	s.found = fmt.Sprintf("%d/%d/%d %s", rep.Missing, rep.Extra, rep.Changed, rep.Mode)
	s.ok = rep.Total() == wantDiffs
	return s
}

// BenchmarkPeers puts cdcops side by side with reladiff (PyPI) and
// pg_comparator (Debian postgresql-comparator) on the same tables,
// interleaved, on loopback and through a throttling proxy (100 Mbit/s,
// 5 ms one way), identical and with 1,000 scattered differences. Peers that
// are not installed are skipped with a message (scripts/bench-peers.sh
// installs them). CDCOPS_BENCH_ROWS (default 1,000,000 here),
// CDCOPS_BENCH_PAIRS (default 3).
func BenchmarkPeers(b *testing.B) {
	if os.Getenv("CDCOPS_BENCH_PEERS") == "" {
		b.Skip("side by side with the peers: run scripts/bench-peers.sh (make bench does)")
	}
	e := setupBench(b)
	n := int64(1_000_000)
	if v, err := strconv.ParseInt(os.Getenv("CDCOPS_BENCH_ROWS"), 10, 64); err == nil && v > 0 {
		n = v
	}
	src, same, diff := e.ensure(b, n, true)
	samePG, diffPG := e.ensurePG(b, n)
	rd, pgc := tool("CDCOPS_RELADIFF", "reladiff"), tool("CDCOPS_PG_COMPARATOR", "pg_comparator")
	if rd == "" {
		fmt.Println("peers: reladiff not installed; skipped (run scripts/bench-peers.sh)")
	}
	if pgc == "" {
		fmt.Println("peers: pg_comparator not installed; skipped (apt-get install postgresql-comparator)")
	}
	const cols = "name,email,amount,created_at,active,score"
	// The "1% of the table's bytes" goal is read against the source
	// table's size in PostgreSQL (heap and TOAST, no indexes).
	if err := e.pg.QueryRowContext(context.Background(), "SELECT pg_table_size($1)", src).Scan(&tableBytes); err != nil {
		b.Fatal(err)
	}
	want := map[string]int64{same: 0, diff: benchDiffs, samePG: 0, diffPG: benchDiffs}
	for range b.N {
		for _, link := range []string{"loopback", "proxy"} {
			pgAddr, myAddr := "127.0.0.1:5432", "127.0.0.1:3306"
			var proxies []*throttle.Proxy
			if link == "proxy" {
				for _, a := range []*string{&pgAddr, &myAddr} {
					p, err := throttle.Start(*a, throttle.Link{BitsPerSecond: 100e6, Latency: 5 * time.Millisecond})
					if err != nil {
						b.Fatal(err)
					}
					proxies = append(proxies, p)
					*a = p.Addr()
				}
			}
			pgDSN := "postgres://postgres@" + pgAddr + "/cdcops_bench?sslmode=disable"
			myDSN := "mysql://root@" + myAddr + "/cdcops_bench"
			var onWire func() int64 // bytes through the proxies so far; nil on loopback
			if link == "proxy" {
				onWire = func() int64 { return proxies[0].Bytes() + proxies[1].Bytes() }
			}
			for _, sink := range []string{same, diff} {
				var cs []contestant
				if link == "loopback" {
					cs = append(cs, contestant{"floor (raw scan)", func(b *testing.B) shot { return e.rawScan(b, src, sink) }})
				}
				cs = append(cs, contestant{"cdcops auto", func(b *testing.B) shot {
					return cdcopsShot(b, reconcile.Spec{Source: pgDSN, Sink: myDSN, Table: src, SinkTable: sink}, want[sink])
				}})
				cs = append(cs, contestant{"cdcops pushdown", func(b *testing.B) shot {
					return cdcopsShot(b, reconcile.Spec{Source: pgDSN, Sink: myDSN, Table: src, SinkTable: sink, Mode: "pushdown"}, want[sink])
				}})
				if rd != "" {
					cs = append(cs, contestant{"reladiff", func(b *testing.B) shot {
						args := []string{"postgresql://postgres@" + pgAddr + "/cdcops_bench", src, "mysql://root@" + myAddr + "/cdcops_bench", sink, "-k", "id"}
						for _, c := range strings.Split(cols, ",") {
							args = append(args, "-c", c)
						}
						s, out := runCmd(b, rd, args...)
						minus, plus := strings.Count(out, "\n-"), strings.Count(out, "\n+")
						if strings.HasPrefix(out, "-") {
							minus++
						}
						if strings.HasPrefix(out, "+") {
							plus++
						}
						s.found = fmt.Sprintf("%d '-' / %d '+' lines", minus, plus)
						return s
					}})
				}
				e.contest(b, fmt.Sprintf("%s PG→MariaDB %s", link, label(sink, same)), cs, onWire)
			}
			if link == "loopback" {
				for _, sink := range []string{samePG, diffPG} {
					cs := []contestant{{"cdcops pushdown", func(b *testing.B) shot {
						return cdcopsShot(b, reconcile.Spec{Source: pgDSN, Sink: pgDSN, Table: src, SinkTable: sink, Mode: "pushdown"}, want[sink])
					}}}
					if pgc != "" {
						cs = append(cs, contestant{"pg_comparator", func(b *testing.B) shot {
							u := "pgsql://postgres@127.0.0.1:5432/cdcops_bench/"
							s, out := runCmd(b, pgc, "--no-lock", u+src+"?id:"+cols, u+sink+"?id:"+cols)
							s.found = fmt.Sprintf("%d lines", strings.Count(out, "\n"))
							return s
						}})
					}
					e.contest(b, "loopback PG→PG "+label(sink, samePG), cs, nil)
				}
			}
			for _, p := range proxies {
				p.Close()
			}
		}
	}
}

// tableBytes is the source table's size, for the bytes-moved percentages.
var tableBytes int64

func label(sink, same string) string {
	if sink == same {
		return "identical"
	}
	return fmt.Sprintf("%d diffs", benchDiffs)
}

// contest runs the contestants interleaved, pairs times, and prints each
// one's medians and its ratio to the first and to the peers. Peers' bytes
// are counted by the proxy (onWire); cdcops counts its own.
func (e *benchEnv) contest(b *testing.B, title string, cs []contestant, onWire func() int64) {
	b.Helper()
	walls := make([][]time.Duration, len(cs))
	cpus := make([][]time.Duration, len(cs))
	last := make([]shot, len(cs))
	for range benchPairs() {
		for i, c := range cs {
			var before int64
			if onWire != nil {
				before = onWire()
			}
			s := c.run(b)
			if onWire != nil && s.bytes < 0 {
				s.bytes = onWire() - before
			}
			walls[i] = append(walls[i], s.wall)
			cpus[i] = append(cpus[i], s.cpu)
			last[i] = s
		}
	}
	fmt.Printf("== %s (%d interleaved runs each, medians; %s)\n", title, benchPairs(), loadAvg())
	base := median(walls[0])
	for i, c := range cs {
		m := median(walls[i])
		by := "-"
		if last[i].bytes >= 0 {
			by = fmt.Sprintf("%.1f MB", float64(last[i].bytes)/1e6)
			if last[i].bytes < 1e6 {
				by = fmt.Sprintf("%.0f KB", float64(last[i].bytes)/1e3)
			}
		}
		ratios := ""
		if i > 0 {
			ratios = fmt.Sprintf(" %.2f× %s", m.Seconds()/base.Seconds(), cs[0].name)
		}
		for j, p := range cs {
			if strings.HasPrefix(p.name, "reladiff") || strings.HasPrefix(p.name, "pg_comparator") {
				if strings.HasPrefix(c.name, "cdcops") {
					ratios += fmt.Sprintf(", %.2f× %s", m.Seconds()/median(walls[j]).Seconds(), p.name)
				}
			}
		}
		if last[i].bytes >= 0 && tableBytes > 0 {
			by += fmt.Sprintf(" (%.2f%% of the table)", 100*float64(last[i].bytes)/float64(tableBytes))
		}
		fmt.Printf("   %-18s %6.2fs wall  %5.2fs client CPU  %9s moved  found %s%s\n", c.name, m.Seconds(), median(cpus[i]).Seconds(), by, last[i].found, ratios)
	}
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load unknown"
	}
	return "load " + strings.Join(strings.Fields(string(b))[:3], " ")
}

// rawScan is the physical floor: an ordered raw read of both tables in
// parallel into nothing (psql \copy ∥ mysql --quick).
func (e *benchEnv) rawScan(b *testing.B, pgTable, myTable string) shot {
	b.Helper()
	const cols = "id, name, email, amount, created_at, active, score"
	script := fmt.Sprintf(`psql -h 127.0.0.1 -U postgres -d cdcops_bench -Atc "\copy (SELECT %s FROM %s ORDER BY id) TO '/dev/null'" &
mysql -h127.0.0.1 -uroot --quick -N -B cdcops_bench -e "SELECT %s FROM %s ORDER BY id" > /dev/null &
wait`, cols, pgTable, cols, myTable)
	s, _ := runCmd(b, "bash", "-c", script)
	s.found = "-"
	return s
}

// ensurePG loads PostgreSQL copies of the sink tables (for PG→PG peers).
func (e *benchEnv) ensurePG(b *testing.B, n int64) (same, diff string) {
	b.Helper()
	ctx := context.Background()
	same, diff = fmt.Sprintf("pgsame_%d", n), fmt.Sprintf("pgdiff_%d", n)
	for _, t := range []struct {
		name  string
		diffs []benchdata.Diff
	}{{same, nil}, {diff, benchdata.Diffs(n, benchDiffs)}} {
		if benchdata.Exists(ctx, e.pg, t.name, n) {
			continue
		}
		fmt.Printf("generating postgres.%s (%d rows)…\n", t.name, n)
		if err := benchdata.Load(ctx, e.pg, e.pgDSN, t.name, n, t.diffs); err != nil {
			b.Fatal(err)
		}
	}
	return same, diff
}
