package monitor

import (
	"context"
	"testing"
	"time"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/debezium"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/sqlconn"
)

// Against the local PostgreSQL: byte lag from pg_current_wal_lsn() to an
// offset LSN behind it, seconds from ts_usec, and a missing slot is a lost
// position (risk 2). Slots are only made on the real stack's private
// cluster, never on the shared one.
func TestPostgresSourceLag(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := testenv.Open(t, testenv.Postgres(t))
	var head string
	if err := db.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&head); err != nil {
		t.Fatal(err)
	}
	headN, err := debezium.ParsePGLSN(head)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	off := sourceOffset{kind: debezium.Postgres, fields: connectjson.Object{
		{Key: "lsn", Value: headN - 4096}, {Key: "ts_usec", Value: now.Add(-5 * time.Second).UnixMicro()}}}
	m, err := New(Config{}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.sourceLag(ctx, db, off, "cdcops_no_such_slot", now)
	if err != nil {
		t.Fatal(err)
	}
	if s.LagBytes == nil || *s.LagBytes < 4096 || s.LagMS == nil || *s.LagMS < 5000 || *s.LagMS > 6000 {
		t.Fatalf("lag: %+v", s)
	}
	if s.Retention.Risk != 2 || s.SlotLagBytes != nil {
		t.Fatalf("a missing slot must be a lost position: %+v", s.Retention)
	}
	// Caught up (offset at the head): no seconds lag even though ts is old.
	off.fields = connectjson.Object{{Key: "lsn", Value: headN + 1<<40}, {Key: "ts_usec", Value: now.Add(-time.Hour).UnixMicro()}}
	s, err = m.sourceLag(ctx, db, off, "cdcops_no_such_slot", now)
	if err != nil || *s.LagBytes != 0 || *s.LagMS != 0 {
		t.Fatalf("caught up: %+v %v", s, err)
	}
}

// A SQLite database is not a source this check understands: a clear error.
func TestSourceLagWrongEngine(t *testing.T) {
	ctx := context.Background()
	db, err := sqlconn.Open(ctx, testenv.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, _ := New(Config{}, Deps{})
	if _, err := m.sourceLag(ctx, db, sourceOffset{kind: debezium.Postgres}, "x", time.Now()); err == nil {
		t.Fatal("sqlite accepted as a source database")
	}
}

func TestAsTime(t *testing.T) {
	want := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, v := range []any{want, want.Unix(), want.UnixMilli(), want.UnixMicro(), "2026-12-01 10:00:00", []byte("2026-12-01T10:00:00Z"), "1796119200"} {
		got, err := asTime(v)
		if err != nil || !got.Equal(want) {
			t.Errorf("asTime(%T %v) = %v, %v", v, v, got, err)
		}
	}
	if _, err := asTime("yesterday"); err == nil {
		t.Error("asTime accepted yesterday")
	}
}
