package reconcile

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/testenv"
)

// Issue 15: the source is read from a real streaming standby. With replay
// paused while the primary keeps writing, the standby falls behind: the
// report shows the lag, --max-replica-lag holds the run until replay
// resumes, and the run finds exactly the planted differences as of the
// standby's snapshot (the primary's later rows are not there).
func TestSourceReplicaLagAndBudget(t *testing.T) {
	ctx := context.Background()
	primary := testenv.RealPostgres(t)
	name := testenv.UniqueName("replica")
	srcDSN, err := primary.CreateDatabase(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	src := testenv.Open(t, srcDSN)
	for _, q := range []string{"CREATE TABLE t (id bigint PRIMARY KEY, v text)", "CREATE TABLE busy (n bigint)",
		"INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 5000) g"} {
		if _, err := src.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
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
	standby := testenv.RealPostgresReplica(t) // a base backup taken after the rows above
	ctl := testenv.Open(t, standby.DSN())
	// One commit replayed after the standby started gives it a replay time.
	if _, err := src.ExecContext(ctx, "INSERT INTO busy VALUES (0)"); err != nil {
		t.Fatal(err)
	}
	onStandby := testenv.Open(t, standby.DSNFor(name))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var n int
		if err := onStandby.QueryRowContext(ctx, "SELECT count(*) FROM busy").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the standby did not replay a commit in 30 s")
		}
	}
	if _, err := ctl.ExecContext(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	// Load on the primary the standby does not replay while paused: rows
	// in the compared table and a stream of small writes.
	if _, err := src.ExecContext(ctx, "INSERT INTO t SELECT g, 'late' FROM generate_series(5001, 6000) g"); err != nil {
		t.Fatal(err)
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	var load sync.WaitGroup
	load.Add(1)
	go func() {
		defer load.Done()
		for i := 0; loadCtx.Err() == nil; i++ {
			_, _ = src.ExecContext(loadCtx, "INSERT INTO busy VALUES ($1)", i)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	defer func() { stopLoad(); load.Wait() }()
	const limit = 700 * time.Millisecond
	waitLag(t, ctl.DB, 2*limit)

	var resumed time.Time
	var mu sync.Mutex
	go func() {
		time.Sleep(2 * time.Second)
		mu.Lock()
		defer mu.Unlock()
		if _, err := ctl.ExecContext(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
			t.Error(err)
		}
		resumed = time.Now()
	}()
	replicaDSN := strings.Replace(standby.DSNFor(name), "postgres@", "postgres:s3cret-pw@", 1) // trust auth ignores it; it must never print
	rep, err := Run(ctx, Spec{SourceReplica: replicaDSN, Sink: dst, Table: "t", Mode: "pushdown",
		MaxReplicaLag: limit, LoadPoll: 100 * time.Millisecond, Timeout: time.Minute})
	finished := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	rs := rep.SourceReplica
	if rs == nil || rs.LagMS == nil || *rs.LagMS < (2*limit).Milliseconds() || !strings.Contains(rs.State, "replay paused") {
		t.Fatalf("source_replica = %+v; want the lag (≥ %s) and the paused replay at the snapshot", rs, 2*limit)
	}
	if rep.WaitedMS <= 0 || len(rep.Waits) == 0 || !strings.Contains(rep.Waits[0], "replica lag") {
		t.Fatalf("no wait for the replica's lag: waited_ms=%d waits=%q", rep.WaitedMS, rep.Waits)
	}
	mu.Lock()
	if resumed.IsZero() || finished.Before(resumed) {
		t.Errorf("reconcile finished before replay resumed: it did not hold back")
	}
	mu.Unlock()
	if rep.Missing != 3 || rep.Changed != 2 || rep.Extra != 0 || rep.SourceRows != 5000 {
		t.Fatalf("missing=%d changed=%d extra=%d source_rows=%d; want 3, 2, 0 and the standby's 5000 rows (not the primary's 6000)",
			rep.Missing, rep.Changed, rep.Extra, rep.SourceRows)
	}
	var out strings.Builder
	if err := rep.Print(&out, true); err != nil {
		t.Fatal(err)
	}
	if err := rep.Print(&out, false); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", out.String())
	if strings.Contains(out.String(), "s3cret-pw") || !strings.Contains(out.String(), "replication delay, not drift") {
		t.Fatalf("report leaks the password or lacks the lag warning:\n%s", out.String())
	}
}

// waitLag waits until the standby's last replayed commit is older than d.
func waitLag(t *testing.T, db *sql.DB, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var ms sql.NullFloat64
		if err := db.QueryRow("SELECT EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000").Scan(&ms); err != nil {
			t.Fatal(err)
		}
		if ms.Valid && ms.Float64 > float64(d.Milliseconds()) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("standby lag stayed %v ms (want > %s)", ms, d)
		}
	}
}

// A --source-replica that is a primary is refused before anything is read
// (exit 2 in the CLI), its DSN redacted: PostgreSQL and MariaDB.
func TestSourceReplicaRefusesAPrimary(t *testing.T) {
	for _, tc := range []struct{ name, dsn string }{{"postgres", testenv.Postgres(t)}, {"mariadb", testenv.MySQL(t)}} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := strings.Replace(tc.dsn, "postgres@", "postgres:s3cret-pw@", 1) // PostgreSQL: trust auth ignores it
			db := testenv.Open(t, tc.dsn)
			if _, err := db.Exec("CREATE TABLE t (id int PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			_, err := Run(context.Background(), Spec{SourceReplica: dsn, Sink: tc.dsn, Table: "t"})
			if cdcops.ErrorCodeOf(err) != cdcops.EINVALID || !strings.Contains(err.Error(), "is not a replica") || cdcops.HintOf(err) == "" {
				t.Fatalf("err = %v (code %s); want invalid: not a replica, with a hint", err, cdcops.ErrorCodeOf(err))
			}
			if strings.Contains(err.Error()+cdcops.HintOf(err), "s3cret-pw") {
				t.Fatalf("the password printed: %v", err)
			}
		})
	}
}
