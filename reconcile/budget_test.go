package reconcile

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
)

// Issue 15: while artificial load holds PostgreSQL's active backends over
// --max-load, reconcile waits between ranges; once the load ends it
// resumes and still finds exactly the planted differences.
func TestMaxLoadWaitsAndResumes(t *testing.T) {
	ctx := context.Background()
	src := testenv.Postgres(t)
	db := testenv.Open(t, src)
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id bigint PRIMARY KEY, v text)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 5000) g"); err != nil {
		t.Fatal(err)
	}
	dst := testenv.Postgres(t)
	ddb := testenv.Open(t, dst)
	for _, q := range []string{"CREATE TABLE t (id bigint PRIMARY KEY, v text)",
		"INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 5000) g WHERE g NOT IN (10, 2500, 4999)",
		"UPDATE t SET v = 'changed' WHERE id IN (7, 3000)"} {
		if _, err := ddb.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// The load: sessions busy in pg_sleep, each on its own connection.
	const sleepers = 8
	hold := 3 * time.Second
	var wg sync.WaitGroup
	var ended time.Time
	var mu sync.Mutex
	for range sleepers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := db.ExecContext(ctx, fmt.Sprintf("SELECT pg_sleep(%g)", hold.Seconds()))
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			if ended.IsZero() {
				ended = time.Now() // the first session to end lowers the load
			}
			mu.Unlock()
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n >= sleepers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d load sessions became active", n, sleepers)
		}
		time.Sleep(20 * time.Millisecond)
	}
	rep, err := Run(ctx, Spec{Source: src, Sink: dst, Table: "t", Mode: "pushdown", MaxLoad: sleepers - 2, LoadPoll: 100 * time.Millisecond, Timeout: time.Minute})
	finished := time.Now()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if rep.WaitedMS <= 0 || len(rep.Waits) == 0 || !strings.Contains(rep.Waits[0], "active backends") {
		t.Fatalf("no wait recorded under load: waited_ms=%d waits=%q", rep.WaitedMS, rep.Waits)
	}
	mu.Lock()
	defer mu.Unlock()
	if finished.Before(ended) {
		t.Fatalf("reconcile finished before the load ended: it did not hold back")
	}
	if rep.Missing != 3 || rep.Changed != 2 || rep.Extra != 0 {
		t.Fatalf("after resuming: missing=%d changed=%d extra=%d; want 3, 2, 0", rep.Missing, rep.Changed, rep.Extra)
	}
}

// --rows-per-second paces reading and says so.
func TestRowsPerSecondPaces(t *testing.T) {
	src, dst := plantDiffs(t, 3000, 5)
	rep, err := Run(context.Background(), Spec{Source: src, Sink: dst, Table: "t", Mode: "stream", RowsPerSecond: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Missing != 5 || rep.WaitedMS <= 0 || len(rep.Waits) == 0 || !strings.Contains(rep.Waits[0], "--rows-per-second 2000") {
		t.Fatalf("missing=%d waited_ms=%d waits=%q; want 5 missing and a recorded pacing wait", rep.Missing, rep.WaitedMS, rep.Waits)
	}
}
