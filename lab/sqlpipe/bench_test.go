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
