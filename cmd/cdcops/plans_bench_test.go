package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/realstack"
)

// BenchmarkRealRestore: restore of one Debezium PostgreSQL 3.6.1 connector
// on real Kafka Connect 4.4 to a snapshot taken before 200 changes:
// `plans apply` = stop → check → backup → write (PATCH) → verify → resume
// → RUNNING (watch without waiting for new offsets). Goal ≤ 30 s.
func BenchmarkRealRestore(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	w := testenv.RealConnect(b, realstack.Version44)
	k := testenv.RealKafka(b)
	p, err := realstack.StartPipeline(ctx, realstack.PipelineOptions{Connect: w.URL(), Bootstrap: k.Addr(), Postgres: testenv.RealPostgres(b), Name: testenv.UniqueName("rb")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c := connect.New(w.URL())
		c.Delete(context.Background(), p.Source)
		c.Delete(context.Background(), p.Sink)
	})
	dir := b.TempDir()
	run := func(args ...string) string {
		var out, errb bytes.Buffer
		base := []string{"--bootstrap", k.Addr(), "--connect", w.URL(), "--vault", "file://" + filepath.Join(dir, "vault"), "--state", "sqlite://" + filepath.Join(dir, "state.db")}
		if code := Main(ctx, append(base, args...), strings.NewReader(""), &out, &errb); code != 0 {
			b.Fatalf("cdcops %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		}
		return out.String()
	}
	time.Sleep(2 * time.Second)
	var snap struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(run("offsets", "backup", p.Source, "-o", "json")), &snap); err != nil {
		b.Fatal(err)
	}
	run("lab", "load", "--db", p.SourceDSN, "--table", p.Table, "--changes", "200", "--rate", "0", "--seed", "21")
	time.Sleep(3 * time.Second) // an offset flush after the load
	run("connectors", "stop", p.Source)
	var plan cdcops.Plan
	if err := json.Unmarshal([]byte(run("offsets", "restore", p.Source, "--snapshot", snap.ID, "-o", "json")), &plan); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	run("plans", "apply", plan.ID, "--reason", "bench", "--watch-offsets=false", "--timeout", "2m")
	took := time.Since(start)
	b.StopTimer()
	b.ReportMetric(took.Seconds(), "restore_s")
	fmt.Printf("restore of 1 Debezium PostgreSQL connector on Kafka Connect 4.4: stop→check→backup→write→verify→resume→RUNNING %.1fs (goal ≤ 30s)\n", took.Seconds())
}
