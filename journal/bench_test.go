package journal_test

import (
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

	"github.com/cdcops/cdcops/kafka/kafkatest"
	"github.com/cdcops/cdcops/state"
)

// cpuTicks is a process's user+system CPU in clock ticks (/proc/PID/stat).
func cpuTicks(b *testing.B, pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

const clockTicks = 100 // USER_HZ on Linux

// BenchmarkJournal5000WritesPerSecond (issue 12): a journal process keeps
// up with 5,000 offsets writes per second for 10 s. Reports the tail lag
// (record time → stored), storage against the raw record bytes, and the
// journal's CPU while idle afterwards.
func BenchmarkJournal5000WritesPerSecond(b *testing.B) {
	const rate, seconds, keys = 5000, 10, 2000
	_, addr := kafkatest.Cluster(b)
	dir := b.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "state.db")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childEnv+"="+addr+" "+dsn)
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = child.Process.Signal(syscall.SIGKILL); _ = child.Wait() }()
	time.Sleep(time.Second)

	ctx := context.Background()
	var raw int64
	start := time.Now()
	b.ResetTimer()
	for tick := 0; tick < seconds*10; tick++ {
		ws := make([]kafkatest.Write, rate/10)
		for i := range ws {
			n := tick*len(ws) + i
			k := fmt.Sprintf(`["dbz-%04d",{"server":"srv%04d"}]`, n%keys, n%keys)
			v := fmt.Sprintf(`{"lsn_proc":%d,"messageType":"UPDATE","lsn_commit":%d,"lsn":%d,"txId":%d,"ts_usec":%d}`,
				40000000+n, 40000000+n, 40000000+n, 700+n, 1764547200000000+int64(n))
			ws[i] = kafkatest.Write{Key: []byte(k), Value: []byte(v)}
			raw += int64(len(k) + len(v))
		}
		if err := kafkatest.Produce(ctx, addr, kafkatest.OffsetsTopic, ws); err != nil {
			b.Fatal(err)
		}
		if d := time.Until(start.Add(time.Duration(tick+1) * 100 * time.Millisecond)); d > 0 {
			time.Sleep(d)
		}
	}
	sent := int64(rate * seconds)
	achieved := float64(sent) / time.Since(start).Seconds()
	st, err := state.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		pos, err := st.JournalPositions(ctx)
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		for _, next := range pos[kafkatest.OffsetsTopic] {
			n += next
		}
		if n >= sent || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	es, err := st.JournalEntries(ctx, state.JournalQuery{})
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if int64(len(es)) != sent {
		b.Fatalf("journal stored %d of %d writes", len(es), sent)
	}
	lags := make([]float64, len(es))
	for i, e := range es {
		lags[i] = float64(e.Seen.Sub(e.Time).Milliseconds())
	}
	sort.Float64s(lags)
	time.Sleep(6 * time.Second) // one housekeeping round: the journal checkpoints its store
	idle0 := cpuTicks(b, child.Process.Pid)
	time.Sleep(10 * time.Second)
	idle := float64(cpuTicks(b, child.Process.Pid)-idle0) / clockTicks / 10 * 100
	var stored int64
	for _, f := range []string{"state.db", "state.db-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			stored += fi.Size()
		}
	}
	b.ReportMetric(achieved, "writes/s")
	b.ReportMetric(lags[len(lags)/2], "lag-p50-ms")
	b.ReportMetric(lags[len(lags)*99/100], "lag-p99-ms")
	b.ReportMetric(lags[len(lags)-1], "lag-max-ms")
	b.ReportMetric(float64(stored)/float64(raw), "storage/raw")
	b.ReportMetric(idle, "idle-cpu-%")
	fmt.Printf("journal: %.0f writes/s for %ds; tail lag p50 %.0f ms, p99 %.0f ms, max %.0f ms; storage %.2f× raw (%d of %d bytes); idle CPU %.2f%%\n",
		achieved, seconds, lags[len(lags)/2], lags[len(lags)*99/100], lags[len(lags)-1], float64(stored)/float64(raw), stored, raw, idle)
}
