package monitor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/debezium"
	"github.com/cdcops/cdcops/sqlconn"
)

// sourceOffset is what the monitor reads from a source connector's offset.
type sourceOffset struct {
	kind   debezium.Kind
	fields connectjson.Object
	at     time.Time // when the offset was written (offsets topic record timestamp)
}

func (o sourceOffset) num(key string) (int64, bool) {
	v, ok := o.fields.Get(key)
	n, isNum := v.(int64)
	return n, ok && isNum
}

func (o sourceOffset) str(key string) (string, bool) {
	v, ok := o.fields.Get(key)
	s, isStr := v.(string)
	return s, ok && isStr
}

// sourceTime is the database time of the last change in the offset:
// ts_usec (PostgreSQL), ts_sec (binlog), ts_ms (others, the lab).
func (o sourceOffset) sourceTime() (time.Time, bool) {
	if n, ok := o.num("ts_usec"); ok {
		return time.UnixMicro(n).UTC(), true
	}
	if n, ok := o.num("ts_sec"); ok {
		return time.Unix(n, 0).UTC(), true
	}
	if n, ok := o.num("ts_ms"); ok {
		return time.UnixMilli(n).UTC(), true
	}
	return time.Time{}, false
}

// sourceLag measures how far the offset is behind the database log.
func (m *Monitor) sourceLag(ctx context.Context, db *sqlconn.DB, off sourceOffset, slot string, now time.Time) (*Source, error) {
	s := &Source{Kind: string(off.kind), Position: debezium.Decode(string(off.kind), off.fields).Position}
	var err error
	switch {
	case db.Engine == sqlconn.Postgres:
		err = m.postgresLag(ctx, db, off, slot, s)
	case db.Engine == sqlconn.MySQL:
		err = mysqlLag(ctx, db, off, s)
	default:
		err = fmt.Errorf("source lag needs a postgres:// or mysql:// source, not %s", db.Engine)
	}
	if t, ok := off.sourceTime(); ok {
		ms := max(now.Sub(t).Milliseconds(), 0)
		if s.LagBytes != nil && *s.LagBytes == 0 {
			ms = 0 // caught up: an idle database is not behind
		}
		s.SourceTime, s.LagMS = &t, &ms
	}
	return s, err
}

func (m *Monitor) postgresLag(ctx context.Context, db *sqlconn.DB, off sourceOffset, slot string, s *Source) error {
	var head string
	if err := db.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&head); err != nil {
		return fmt.Errorf("pg_current_wal_lsn on %s: %w", db.Name, err)
	}
	s.Head = head
	headN, err := debezium.ParsePGLSN(head)
	if err != nil {
		return err
	}
	if lsn, ok := off.num("lsn"); ok {
		d := max(headN-lsn, 0)
		s.LagBytes = &d
	}
	var confirmed, restart, walStatus *string
	var safe *int64
	err = db.QueryRowContext(ctx, `SELECT confirmed_flush_lsn::text, restart_lsn::text, wal_status, safe_wal_size
FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&confirmed, &restart, &walStatus, &safe)
	if err != nil {
		if strings.Contains(err.Error(), "no rows") {
			s.Retention = Retention{Risk: 2, Reason: fmt.Sprintf("replication slot %q does not exist: the offset's position cannot be streamed", slot)}
			return nil
		}
		return fmt.Errorf("pg_replication_slots on %s: %w", db.Name, err)
	}
	if confirmed != nil {
		if c, err := debezium.ParsePGLSN(*confirmed); err == nil {
			d := max(headN-c, 0)
			s.SlotLagBytes = &d
		}
	}
	r := Retention{SafeWALSize: safe}
	if walStatus != nil {
		r.WALStatus = *walStatus
	}
	switch {
	case r.WALStatus == "lost":
		r.Risk, r.Reason = 2, fmt.Sprintf("slot %q wal_status lost: required WAL was removed", slot)
	case restart != nil && offsetBefore(off, *restart):
		r.Risk, r.Reason = 2, fmt.Sprintf("offset LSN is before slot %q restart_lsn %s", slot, *restart)
	case r.WALStatus == "unreserved":
		r.Risk, r.Reason = 1, fmt.Sprintf("slot %q wal_status unreserved: WAL past max_slot_wal_keep_size is removed at the next checkpoint", slot)
	case safe != nil && *safe < m.cfg.RetentionSafeBytes:
		r.Risk, r.Reason = 1, fmt.Sprintf("slot %q safe_wal_size %d bytes, below %d", slot, *safe, m.cfg.RetentionSafeBytes)
	}
	s.Retention = r
	return nil
}

// offsetBefore reports whether the offset's resume LSN (lsn_proc, else
// lsn) is before the slot's restart_lsn (Debezium's validateLogPosition).
func offsetBefore(off sourceOffset, restart string) bool {
	r, err := debezium.ParsePGLSN(restart)
	if err != nil {
		return false
	}
	lsn, ok := off.num("lsn_proc")
	if !ok {
		lsn, ok = off.num("lsn")
	}
	return ok && lsn < r
}
