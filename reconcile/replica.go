package reconcile

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/sqlconn"
)

// ReplicaStatus is the replica the source was read from (--source-replica).
// A replica shows its primary as of LagMS ago: a difference in rows the
// primary changed more recently than that may be replication delay, not
// drift.
type ReplicaStatus struct {
	Replica  string `json:"replica"`    // redacted DSN
	State    string `json:"state"`      // the replication state the replica reports
	LagMS    *int64 `json:"lag_ms"`     // behind its primary when the snapshot was taken; null = unknown
	MaxLagMS int64  `json:"max_lag_ms"` // the most it lagged when checked during the run (--max-replica-lag)
}

// replica is the lag bookkeeping of a side read from a replica.
type replica struct {
	mu     sync.Mutex
	status ReplicaStatus
	first  string // State at the start
}

// openReplica checks that the side is a replica and notes its lag; a side
// that is not one is refused (reading a primary under the name of a replica
// would hide the load the replica was meant to take).
func (s *side) openReplica(ctx context.Context) error {
	r := &replica{status: ReplicaStatus{Replica: s.db.Name}}
	lag, known, state, isReplica, err := s.replicaLag(ctx)
	if err != nil {
		return err
	}
	if !isReplica {
		return cdcops.Errorf(cdcops.EINVALID, replicaHint(s.d.Engine()), "--source-replica %s is not a replica: %s", s.db.Name, state)
	}
	r.status.State, r.first = state, state
	if known {
		ms := lag.Milliseconds()
		r.status.LagMS, r.status.MaxLagMS = &ms, ms
	}
	s.replica = r
	return nil
}

func replicaHint(e sqlconn.Engine) string {
	switch e {
	case sqlconn.Postgres:
		return "pass a hot standby's DSN (pg_is_in_recovery() is true there), or read the primary with --source"
	case sqlconn.MySQL:
		return "pass the DSN of a server that replicates from the source (SHOW REPLICA STATUS lists its primary), or read the primary with --source"
	}
	return "--source-replica takes a PostgreSQL standby or a MariaDB/MySQL replica; read a SQLite file with --source"
}

// check reads the lag now and keeps the most seen.
func (r *replica) check(ctx context.Context, s *side) (time.Duration, bool, error) {
	lag, known, state, _, err := s.replicaLag(ctx)
	if err != nil {
		return 0, false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if known && lag.Milliseconds() > r.status.MaxLagMS {
		r.status.MaxLagMS = lag.Milliseconds()
	}
	r.status.State = r.first
	if state != r.first {
		r.status.State += "; last seen: " + state
	}
	return lag, known, nil
}

func (r *replica) report() *ReplicaStatus {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.status
	return &st
}

// replicaLag asks the side's server whether it is a replica and how far
// behind its primary it is, on a connection outside the snapshot.
func (s *side) replicaLag(ctx context.Context) (lag time.Duration, known bool, state string, isReplica bool, err error) {
	switch s.d.Engine() {
	case sqlconn.Postgres:
		return s.pgReplicaLag(ctx)
	case sqlconn.MySQL:
		return s.myReplicaLag(ctx)
	}
	return 0, false, "a SQLite file has no replication", false, nil
}

// pgReplicaLag: a standby that has replayed all it received while its WAL
// receiver streams is caught up (0), however long ago the last commit it
// replayed was — an idle primary sends nothing. Otherwise the lag is the
// age of the last replayed commit, an upper bound.
func (s *side) pgReplicaLag(ctx context.Context) (time.Duration, bool, string, bool, error) {
	var (
		inRecovery bool
		paused     sql.NullBool
		status     sql.NullString
		pending    sql.NullInt64
		ageMS      sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, `SELECT pg_is_in_recovery(),
  CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END,
  (SELECT status FROM pg_stat_wal_receiver LIMIT 1),
  pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint,
  (EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint`).Scan(&inRecovery, &paused, &status, &pending, &ageMS)
	if err != nil {
		return 0, false, "", false, replicaErr(s, err)
	}
	if !inRecovery {
		return 0, false, "pg_is_in_recovery() is false (a primary)", false, nil
	}
	receiver := "no WAL receiver"
	if status.Valid {
		receiver = "WAL receiver " + status.String
	}
	state := receiver
	if pending.Valid {
		state += fmt.Sprintf(", %d bytes received not yet replayed", pending.Int64)
	}
	if paused.Valid && paused.Bool {
		state += ", replay paused"
	}
	switch {
	case status.String == "streaming" && pending.Valid && pending.Int64 == 0 && !paused.Bool:
		return 0, true, state, true, nil
	case ageMS.Valid:
		return time.Duration(max(ageMS.Int64, 0)) * time.Millisecond, true, state, true, nil
	}
	return 0, false, state + ", nothing replayed yet", true, nil
}

// myReplicaLag reads SHOW REPLICA STATUS (SHOW SLAVE STATUS on servers
// that predate it): no row means not a replica; Seconds_Behind_Master is
// NULL while the SQL thread does not run.
func (s *side) myReplicaLag(ctx context.Context) (time.Duration, bool, string, bool, error) {
	row, err := s.showReplicaStatus(ctx, "SHOW REPLICA STATUS")
	if err != nil {
		row, err = s.showReplicaStatus(ctx, "SHOW SLAVE STATUS")
	}
	if err != nil {
		return 0, false, "", false, cdcops.Errorf(cdcops.EINVALID,
			"grant the user SLAVE MONITOR (MariaDB) or REPLICATION CLIENT (MySQL) so cdcops can check the replica",
			"%s: cannot read the replica's status: %s", s.name, cdcops.RedactDSN(err.Error()))
	}
	if row == nil {
		return 0, false, "SHOW REPLICA STATUS is empty (not replicating from anyone)", false, nil
	}
	get := func(names ...string) sql.NullString {
		for _, n := range names {
			if v, ok := row[strings.ToLower(n)]; ok {
				return v
			}
		}
		return sql.NullString{}
	}
	io, sqlT := get("Slave_IO_Running", "Replica_IO_Running"), get("Slave_SQL_Running", "Replica_SQL_Running")
	state := fmt.Sprintf("IO thread %s, SQL thread %s", io.String, sqlT.String)
	for _, e := range []string{"Last_IO_Error", "Last_SQL_Error"} {
		if v := get(e); v.String != "" {
			state += ", " + e + ": " + cdcops.RedactDSN(v.String)
		}
	}
	behind := get("Seconds_Behind_Master", "Seconds_Behind_Source")
	var secs int64
	if _, err := fmt.Sscan(behind.String, &secs); !behind.Valid || err != nil {
		return 0, false, state, true, nil
	}
	return time.Duration(secs) * time.Second, true, state, true, nil
}

// showReplicaStatus returns the first row by lower-case column name, nil
// for none.
func (s *side) showReplicaStatus(ctx context.Context, q string) (map[string]sql.NullString, error) {
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		return nil, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	out := make(map[string]sql.NullString, len(cols))
	for i, c := range cols {
		out[strings.ToLower(c)] = vals[i]
	}
	return out, nil
}

func replicaErr(s *side, err error) error {
	return cdcops.Errorf(cdcops.EUNAVAILABLE, "check the replica is reachable and healthy",
		"%s: replica status: %s", s.name, cdcops.RedactDSN(err.Error()))
}

// reportReplica puts the replica's status in the report, with the warning
// that recent differences may be in flight.
func (e *engine) reportReplica() {
	st := e.src.replica.report()
	e.rep.SourceReplica = st
	if st == nil {
		return
	}
	lag := "an unknown time"
	if st.LagMS != nil {
		lag = (time.Duration(*st.LagMS) * time.Millisecond).String()
	}
	e.rep.Notes = append(e.rep.Notes, fmt.Sprintf("the source was read from a replica %s behind its primary when the snapshot was taken: differences in rows changed on the primary within that time may be replication delay, not drift", lag))
}
