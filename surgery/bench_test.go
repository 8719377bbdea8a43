package surgery

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/lab/scripted"
)

// BenchmarkRestore100LabConnectors: 100 lab source connectors, each with a
// Debezium-PostgreSQL-shaped offset; a snapshot is taken, every offset is
// moved on, and `offsets restore --all --snapshot` is planned and applied:
// stop → check → backup → write (PATCH) → verify → resume → RUNNING, at
// most 8 connectors at once. Goal ≤ 2 min. Prints seconds per phase.
func BenchmarkRestore100LabConnectors(b *testing.B) {
	const n = 100
	ctx := context.Background()
	f := newFixture(b)
	var eg errgroup.Group
	eg.SetLimit(8)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("pg-%03d", i)
		eg.Go(func() error {
			_, err := f.cc.Create(ctx, connect.CreateRequest{Name: name, Config: map[string]string{"connector.class": scripted.SourceClass,
				scripted.KeyOffsets: `[{"partition":{"server":"` + name + `"},"offset":` + pgOffset + `}]`}})
			if err != nil {
				return err
			}
			if _, err := f.cc.WaitFor(ctx, name, connect.Running, time.Minute); err != nil {
				return err
			}
			for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				if body, err := f.cc.Offsets(ctx, name); err == nil && len(body.Offsets) == 1 {
					return nil
				}
			}
			return fmt.Errorf("%s committed no offset", name)
		})
	}
	if err := eg.Wait(); err != nil {
		b.Fatal(err)
	}
	snap, err := backup.Take(ctx, f.env.sources(), f.env.Vault, backup.Options{All: true, Via: "topic"})
	if err != nil {
		b.Fatal(err)
	}
	// Move every offset on (a rewind each, applied without resuming).
	moved, err := MakePlan(ctx, f.env, Request{Kind: cdcops.PlanRewind, Names: names(n), Position: "0/1000000", Actor: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	if err := Store(ctx, f.env, moved); err != nil {
		b.Fatal(err)
	}
	o := ApplyOptions{Reason: "bench", Actor: "bench", NoResume: true, Timeout: time.Minute}
	if _, err := Apply(ctx, f.env, moved.ID, o); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	p, err := MakePlan(ctx, f.env, Request{Kind: cdcops.PlanRestore, All: true, Snapshot: snap.ID, Actor: "bench", Reason: "bench: back to the snapshot"})
	if err != nil {
		b.Fatal(err)
	}
	if err := Store(ctx, f.env, p); err != nil {
		b.Fatal(err)
	}
	planned := time.Since(start)
	o.NoResume = false
	if _, err := Apply(ctx, f.env, p.ID, o); err != nil {
		b.Fatal(err)
	}
	total := time.Since(start)
	b.StopTimer()
	if len(p.Connectors) != n {
		b.Fatalf("restore planned %d connectors, want %d", len(p.Connectors), n)
	}
	b.ReportMetric(planned.Seconds(), "plan_s")
	b.ReportMetric(total.Seconds(), "restore_s")
	fmt.Printf("restore of %d lab connectors: plan %.1fs, plan+apply (stop→write→verify→resume→RUNNING) %.1fs (goal ≤ 120s)\n", n, planned.Seconds(), total.Seconds())
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("pg-%03d", i)
	}
	return out
}
