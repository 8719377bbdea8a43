package sqlpipe_test

import (
	"context"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/sqlpipe"
	"github.com/cdcops/cdcops/sqlconn"
)

var engines = map[string]func(testing.TB) string{
	"sqlite": testenv.SQLite, "postgres": testenv.Postgres, "mysql": testenv.MySQL,
}

// pump moves every pending change from src to sink without Kafka:
// capture → encode → decode → apply, the same code the connectors run.
func pump(t *testing.T, ctx context.Context, s *sqlpipe.Stream, ap *sqlpipe.Applier) int {
	t.Helper()
	n := 0
	for {
		evs, err := s.Next(ctx, 1000, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return n
		}
		applyEvents(t, ctx, ap, evs)
		n += len(evs)
	}
}

func applyEvents(t *testing.T, ctx context.Context, ap *sqlpipe.Applier, evs []sqlpipe.Event) {
	t.Helper()
	items := make([]sqlpipe.Item, 0, len(evs))
	for i, ev := range evs {
		d, err := sqlpipe.Decode(ev.Key, ev.Value)
		if err != nil {
			t.Fatalf("decode %s: %v", ev.Value, err)
		}
		table, err := sqlpipe.TableFor(sqlpipe.DefaultTableNameFormat, ev.Topic)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, sqlpipe.Item{Table: table, Event: d, Index: i})
	}
	failed, err := ap.Apply(ctx, items)
	if err != nil || len(failed) > 0 {
		t.Fatalf("apply: %v %v", err, failed)
	}
}

func assertSame(t *testing.T, ctx context.Context, src, sink *sqlconn.DB) {
	t.Helper()
	for _, table := range sqlpipe.DemoTables {
		c, err := sqlpipe.Compare(ctx, src, sink, table, "")
		if err != nil {
			t.Fatal(err)
		}
		if !c.Equal() {
			t.Fatalf("%s differs: %+v", table, c)
		}
		if c.SourceRows == 0 {
			t.Fatalf("%s: source is empty, the comparison proves nothing", table)
		}
	}
}

// Snapshot, then mixed load streamed through capture and apply, ends with
// the sink equal to the source for every pair of engines.
func TestCaptureApplyAcrossEngines(t *testing.T) {
	pairs := [][2]string{{"sqlite", "sqlite"}, {"postgres", "mysql"}, {"mysql", "postgres"}, {"sqlite", "postgres"}}
	for _, p := range pairs {
		t.Run(p[0]+"_to_"+p[1], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			src, sink := testenv.Open(t, engines[p[0]](t)), testenv.Open(t, engines[p[1]](t))
			for _, db := range []*sqlconn.DB{src, sink} {
				if err := sqlpipe.CreateDemoSchema(ctx, db); err != nil {
					t.Fatal(err)
				}
			}
			// Rows that exist before capture is installed reach the sink by snapshot.
			if _, err := sqlpipe.Load(ctx, src, sqlpipe.LoadOptions{Tables: sqlpipe.DemoTables, Changes: 300, Seed: 1}); err != nil {
				t.Fatal(err)
			}
			c, err := sqlpipe.NewCapturer(ctx, src, "lab", sqlpipe.DemoTables)
			if err != nil {
				t.Fatal(err)
			}
			ap := sqlpipe.NewApplier(sink)
			p0, err := sqlpipe.MaxPos(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			snap, err := c.Snapshot(ctx, sqlpipe.DemoTables, p0)
			if err != nil {
				t.Fatal(err)
			}
			if len(snap) == 0 {
				t.Fatal("snapshot read no rows")
			}
			applyEvents(t, ctx, ap, snap)
			assertSame(t, ctx, src, sink)

			res, err := sqlpipe.Load(ctx, src, sqlpipe.LoadOptions{Tables: sqlpipe.DemoTables, Changes: 2000, Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			if res.Inserts == 0 || res.Updates == 0 || res.Deletes == 0 {
				t.Fatalf("load is not mixed: %+v", res)
			}
			s := &sqlpipe.Stream{C: c, Pos: p0, GapWait: time.Second}
			if n := pump(t, ctx, s, ap); n < res.Changes {
				t.Fatalf("streamed %d events for %d changes", n, res.Changes)
			}
			assertSame(t, ctx, src, sink)

			// Replaying from an earlier position changes nothing (idempotent apply).
			s.Pos = p0 + 10
			pump(t, ctx, s, ap)
			assertSame(t, ctx, src, sink)
		})
	}
}
