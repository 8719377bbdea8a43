package reconcile

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
)

// Issue 15: the source is read from a real MariaDB GTID replica. With its
// SQL thread stopped the lag is unknown and the rows the primary wrote
// since are not read; once it has caught up the lag is 0 and they are.
// With MASTER_DELAY the replica lags for real: --max-replica-lag holds
// the run until the delayed transaction is applied.
func TestSourceReplicaMariaDB(t *testing.T) {
	ctx := context.Background()
	primary := testenv.RealMariaDB(t)
	replica := testenv.RealMariaDBReplica(t)
	name := testenv.UniqueName("mreplica")
	srcDSN, err := primary.CreateDatabase(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	src := testenv.Open(t, srcDSN)
	if _, err := src.ExecContext(ctx, "CREATE TABLE t (id bigint PRIMARY KEY, v varchar(20))"); err != nil {
		t.Fatal(err)
	}
	insert := func(from, to int) {
		t.Helper()
		if _, err := src.ExecContext(ctx, "INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_"+itoa(from)+"_to_"+itoa(to)); err != nil {
			t.Fatal(err)
		}
	}
	insert(1, 2000)
	dst := testenv.MySQL(t)
	ddb := testenv.Open(t, dst)
	for _, q := range []string{"CREATE TABLE t (id bigint PRIMARY KEY, v varchar(20))",
		"INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_2000 WHERE seq NOT IN (10, 1500)",
		"UPDATE t SET v = 'changed' WHERE id = 7"} {
		if _, err := ddb.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := replica.CatchUp(ctx, primary); err != nil {
		t.Fatal(err)
	}
	ctl := testenv.Open(t, replica.DSN())
	if _, err := ctl.ExecContext(ctx, "STOP SLAVE SQL_THREAD"); err != nil {
		t.Fatal(err)
	}
	insert(2001, 2500) // not applied on the replica
	rep, err := Run(ctx, Spec{SourceReplica: replica.DSNFor(name), Sink: dst, Table: "t", Mode: "stream"})
	if err != nil {
		t.Fatal(err)
	}
	rs := rep.SourceReplica
	if rs == nil || rs.LagMS != nil || !strings.Contains(rs.State, "SQL thread No") || rep.SourceRows != 2000 || rep.Missing != 2 || rep.Changed != 1 {
		t.Fatalf("SQL thread stopped: source_replica=%+v source_rows=%d missing=%d changed=%d; want unknown lag, the replica's 2000 rows, 2 missing, 1 changed",
			rs, rep.SourceRows, rep.Missing, rep.Changed)
	}

	// Caught up: lag 0, the primary's later rows are read too.
	if _, err := ctl.ExecContext(ctx, "START SLAVE SQL_THREAD"); err != nil {
		t.Fatal(err)
	}
	if err := replica.CatchUp(ctx, primary); err != nil {
		t.Fatal(err)
	}
	rep, err = Run(ctx, Spec{SourceReplica: replica.DSNFor(name), Sink: dst, Table: "t", Mode: "pushdown"})
	if err != nil {
		t.Fatal(err)
	}
	if rs := rep.SourceReplica; rs == nil || rs.LagMS == nil || *rs.LagMS != 0 || rep.SourceRows != 2500 || rep.Missing != 502 {
		t.Fatalf("caught up: source_replica=%+v source_rows=%d missing=%d; want lag 0, 2500 rows, 502 missing", rs, rep.SourceRows, rep.Missing)
	}

	// A delayed replica: a transaction waits MASTER_DELAY before it is
	// applied, and Seconds_Behind_Master grows meanwhile.
	for _, q := range []string{"STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 4", "START SLAVE"} {
		if _, err := ctl.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, q := range []string{"STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 0", "START SLAVE"} {
			_, _ = ctl.ExecContext(context.Background(), q)
		}
	}()
	insert(2501, 2600)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		behind := secondsBehind(t, ctl.DB)
		if behind >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delayed replica never reported a lag ≥ 2 s (Seconds_Behind_Master %d)", behind)
		}
	}
	started := time.Now()
	rep, err = Run(ctx, Spec{SourceReplica: replica.DSNFor(name), Sink: dst, Table: "t", Mode: "stream",
		MaxReplicaLag: time.Second, LoadPoll: 100 * time.Millisecond, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	rs = rep.SourceReplica
	if rs == nil || rs.LagMS == nil || *rs.LagMS < 2000 || rep.WaitedMS <= 0 || len(rep.Waits) == 0 || !strings.Contains(rep.Waits[0], "replica lag") {
		t.Fatalf("delayed: source_replica=%+v waited_ms=%d waits=%q; want a lag ≥ 2 s and a wait for it", rs, rep.WaitedMS, rep.Waits)
	}
	if rep.SourceRows != 2500 || rep.Missing != 502 || rep.Changed != 1 {
		t.Fatalf("delayed: source_rows=%d missing=%d changed=%d; want the snapshot's 2500 rows, 502 missing, 1 changed", rep.SourceRows, rep.Missing, rep.Changed)
	}
	t.Logf("waited %d ms (run took %s) for the delayed replica; max lag seen %d ms", rep.WaitedMS, time.Since(started).Round(time.Millisecond), rs.MaxLagMS)
}

// secondsBehind is the replica's Seconds_Behind_Master (-1 for NULL).
func secondsBehind(t *testing.T, db *sql.DB) int {
	t.Helper()
	rows, err := db.Query("SHOW SLAVE STATUS")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if !rows.Next() {
		t.Fatal("SHOW SLAVE STATUS is empty on the replica")
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	for i, c := range cols {
		if c == "Seconds_Behind_Master" && vals[i].Valid {
			n, _ := strconv.Atoi(vals[i].String)
			return n
		}
	}
	return -1
}
