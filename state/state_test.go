package state_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/state"
)

// Runs survive a reopen, list newest first, filter by table, and the
// schema is created once (reopening does not re-run migrations).
func TestReconcileRunsRoundTrip(t *testing.T) {
	for name, url := range map[string]func(testing.TB) string{"sqlite": testenv.SQLite, "postgres": testenv.Postgres} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dsn := url(t)
			st, err := state.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			for i, tbl := range []string{"orders", "customers", "orders"} {
				_, err := st.AddReconcileRun(ctx, state.ReconcileRun{Started: t0.Add(time.Duration(i) * time.Minute), ElapsedMS: int64(i),
					Source: "postgres://u:xxxxx@h/db", Sink: "mysql://h/db", SourceTable: tbl, SinkTable: tbl, Equal: i == 1,
					SourceRows: 10, SinkRows: int64(10 - i), Missing: int64(i), Summary: json.RawMessage(`{"equal":false}`)})
				if err != nil {
					t.Fatal(err)
				}
			}
			st.Close()
			st, err = state.Open(ctx, dsn)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer st.Close()
			runs, err := st.ReconcileRuns(ctx, "orders", 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 2 || runs[0].Missing != 2 || runs[1].Missing != 0 || !runs[0].Started.Equal(t0.Add(2*time.Minute)) {
				t.Fatalf("runs = %+v", runs)
			}
			all, _ := st.ReconcileRuns(ctx, "", 0)
			if len(all) != 3 || !all[1].Equal || all[1].SourceTable != "customers" {
				t.Fatalf("all runs = %+v", all)
			}
		})
	}
}

func TestOpenRejectsUnsupportedURL(t *testing.T) {
	if _, err := state.Open(context.Background(), "redis://localhost"); err == nil {
		t.Fatal("expected an error for redis://")
	}
}

// Checkpoints: the newest of a pair is returned, other pairs are apart,
// and only the newest few of a pair are kept.
func TestCheckpoints(t *testing.T) {
	for name, url := range map[string]func(testing.TB) string{"sqlite": testenv.SQLite, "postgres": testenv.Postgres} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st, err := state.Open(ctx, url(t))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if b, err := st.LatestCheckpoint(ctx, "a"); err != nil || b != nil {
				t.Fatalf("empty store: %q, %v", b, err)
			}
			t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			for i := range 5 {
				if err := st.AddCheckpoint(ctx, "a", t0.Add(time.Duration(i)*time.Minute), i == 0, []byte(`{"n":`+string(rune('0'+i))+`}`)); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.AddCheckpoint(ctx, "b", t0, true, []byte(`{"n":9}`)); err != nil {
				t.Fatal(err)
			}
			if b, err := st.LatestCheckpoint(ctx, "a"); err != nil || string(b) != `{"n":4}` {
				t.Fatalf("latest of a: %q, %v", b, err)
			}
			if b, err := st.LatestCheckpoint(ctx, "b"); err != nil || string(b) != `{"n":9}` {
				t.Fatalf("latest of b: %q, %v", b, err)
			}
			n, err := st.CountCheckpoints(ctx, "a")
			if err != nil || n != 3 {
				t.Fatalf("checkpoints kept for a: %d, %v; want 3", n, err)
			}
		})
	}
}
