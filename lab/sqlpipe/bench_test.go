package sqlpipe_test

import (
	"context"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/sqlpipe"
)

// BenchmarkPipeline10k measures 10,000 mixed changes from the first write
// on the source until every row of the sink matches, through the lab's
// Kafka and worker. It reports the load time and the end-to-end time.
func BenchmarkPipeline10k(b *testing.B) {
	for _, pair := range []struct {
		name      string
		src, sink func(testing.TB) string
	}{
		{"sqlite_to_sqlite", testenv.SQLite, testenv.SQLite},
		{"postgres_to_mariadb", testenv.Postgres, testenv.MySQL},
		{"mariadb_to_postgres", testenv.MySQL, testenv.Postgres},
	} {
		b.Run(pair.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
				r := startPipelineTB(b, ctx, pair.src(b), pair.sink(b))
				b.StartTimer()
				start := time.Now()
				res, err := sqlpipe.Load(ctx, r.src, sqlpipe.LoadOptions{Tables: sqlpipe.DemoTables, Changes: 10000, Seed: 11})
				if err != nil {
					b.Fatal(err)
				}
				loaded := time.Since(start)
				if _, err := sqlpipe.WaitInSync(ctx, r.src, r.sink, sqlpipe.DemoTables, 2*time.Minute); err != nil {
					b.Fatal(err)
				}
				total := time.Since(start)
				b.ReportMetric(loaded.Seconds(), "load-s")
				b.ReportMetric(total.Seconds(), "in-sync-s")
				b.ReportMetric(float64(res.Changes)/total.Seconds(), "changes/s")
				cancel()
			}
		})
	}
}

// BenchmarkApply10k measures the sink alone: 10,000 captured change events
// applied in batches of 500 (one transaction each) to each engine.
func BenchmarkApply10k(b *testing.B) {
	ctx := context.Background()
	src := testenv.Open(b, testenv.SQLite(b))
	if err := sqlpipe.CreateDemoSchema(ctx, src); err != nil {
		b.Fatal(err)
	}
	c, err := sqlpipe.NewCapturer(ctx, src, "bench", sqlpipe.DemoTables)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := sqlpipe.Load(ctx, src, sqlpipe.LoadOptions{Tables: sqlpipe.DemoTables, Changes: 10000, Seed: 4}); err != nil {
		b.Fatal(err)
	}
	s := &sqlpipe.Stream{C: c, GapWait: time.Second}
	evs, err := s.Next(ctx, 20000, false)
	if err != nil || len(evs) != 10000 {
		b.Fatalf("captured %d events: %v", len(evs), err)
	}
	items := make([]sqlpipe.Item, len(evs))
	for i, ev := range evs {
		d, err := sqlpipe.Decode(ev.Key, ev.Value)
		if err != nil {
			b.Fatal(err)
		}
		table, _ := sqlpipe.TableFor(sqlpipe.DefaultTableNameFormat, ev.Topic)
		items[i] = sqlpipe.Item{Table: table, Event: d, Index: i}
	}
	for name, dsnFor := range map[string]func(testing.TB) string{"sqlite": testenv.SQLite, "postgres": testenv.Postgres, "mariadb": testenv.MySQL} {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				sink := testenv.Open(b, dsnFor(b))
				if err := sqlpipe.CreateDemoSchema(ctx, sink); err != nil {
					b.Fatal(err)
				}
				ap := sqlpipe.NewApplier(sink)
				b.StartTimer()
				start := time.Now()
				for j := 0; j < len(items); j += 500 {
					failed, err := ap.Apply(ctx, items[j:min(j+500, len(items))])
					if err != nil || len(failed) > 0 {
						b.Fatal(err, failed)
					}
				}
				b.ReportMetric(float64(len(items))/time.Since(start).Seconds(), "events/s")
			}
		})
	}
}
