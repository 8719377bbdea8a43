package sqlpipe

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cdcops/cdcops/sqlconn"
)

// Capturer turns changelog rows into change events for one source
// database: topic <prefix>.<schema>.<table>, key = primary key JSON,
// value = Debezium-style envelope.
type Capturer struct {
	DB     *sqlconn.DB
	Prefix string
	Schema string
	DBName string
	Tables map[string]TableInfo
}

// NewCapturer installs change capture on tables and describes them.
func NewCapturer(ctx context.Context, db *sqlconn.DB, prefix string, tables []string) (*Capturer, error) {
	infos, err := Install(ctx, db, tables)
	if err != nil {
		return nil, err
	}
	schema, err := schemaName(ctx, db)
	if err != nil {
		return nil, err
	}
	dbName := schema
	if db.Engine == sqlconn.Postgres {
		if err := db.QueryRowContext(ctx, "SELECT current_database()").Scan(&dbName); err != nil {
			return nil, fmt.Errorf("read database name: %w", err)
		}
	}
	c := &Capturer{DB: db, Prefix: prefix, Schema: schema, DBName: dbName, Tables: map[string]TableInfo{}}
	for _, ti := range infos {
		c.Tables[ti.Name] = ti
	}
	return c, nil
}

// Topic is the topic of a table's events.
func (c *Capturer) Topic(table string) string { return c.Prefix + "." + c.Schema + "." + table }

// Event is one encoded change event.
type Event struct {
	Topic      string
	Key, Value []byte // Value nil = tombstone
	Pos        int64
	TsMs       int64
}

// Encode encodes a change; snapshot is "" for streamed changes, else
// Debezium's source.snapshot value ("true", "last").
func (c *Capturer) Encode(ch Change, snapshot string) (Event, error) {
	ti, ok := c.Tables[ch.Table]
	if !ok {
		return Event{}, fmt.Errorf("change at pos %d is for table %s, which is not captured", ch.Pos, ch.Table)
	}
	image := ch.After
	if ch.Op == "d" {
		image = ch.Before
	}
	key, err := EncodeKey(ti.Key, image)
	if err != nil {
		return Event{}, fmt.Errorf("change at pos %d (%s): %w", ch.Pos, ch.Table, err)
	}
	if snapshot == "" {
		snapshot = "false"
	}
	env := Envelope{
		Before: ch.Before, After: ch.After, Op: ch.Op, TsMs: time.Now().UnixMilli(),
		Source: Source{Version: "cdcops-lab", Connector: "sqlpipe-" + string(c.DB.Engine), Name: c.Prefix,
			TsMs: ch.TsMs, Snapshot: snapshot, DB: c.DBName, Schema: c.Schema, Table: ch.Table, Pos: ch.Pos},
	}
	value, err := json.Marshal(env)
	if err != nil {
		return Event{}, fmt.Errorf("change at pos %d (%s): %w", ch.Pos, ch.Table, err)
	}
	return Event{Topic: c.Topic(ch.Table), Key: key, Value: value, Pos: ch.Pos, TsMs: ch.TsMs}, nil
}

// Snapshot reads every captured table and returns read ("r") events, all
// at position pos (the changelog position the stream resumes after).
func (c *Capturer) Snapshot(ctx context.Context, order []string, pos int64) ([]Event, error) {
	var out []Event
	now := time.Now().UnixMilli()
	for _, t := range order {
		rows, err := SnapshotTable(ctx, c.DB, c.Tables[t])
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			ev, err := c.Encode(Change{Pos: pos, Table: t, Op: "r", After: r, TsMs: now}, "true")
			if err != nil {
				return nil, err
			}
			out = append(out, ev)
		}
	}
	return out, nil
}

// Stream reads changes after pos, in order, honouring gaps: a position
// missing in the middle may belong to a transaction that has not committed
// yet, so reading stops before it until it has been missing for gapWait
// (then it is taken to be rolled back). gapSince tracks that wait.
type Stream struct {
	C       *Capturer
	Pos     int64
	GapWait time.Duration
	// Other, when set, sees changes of tables that are not captured (the
	// signal table: signal.go).
	Other    func(Change)
	gapAt    int64
	gapSince time.Time
}

// Next returns the next changes (at most limit), as events. Changes of
// tables that are not captured advance the position without an event.
func (s *Stream) Next(ctx context.Context, limit int, tombstones bool) ([]Event, error) {
	changes, err := ReadChanges(ctx, s.C.DB, s.Pos, limit, nil)
	if err != nil {
		return nil, err
	}
	var out []Event
	for _, ch := range changes {
		if ch.Pos != s.Pos+1 {
			if s.gapAt != s.Pos+1 {
				s.gapAt, s.gapSince = s.Pos+1, time.Now()
			}
			if time.Since(s.gapSince) < s.GapWait {
				break
			}
		}
		s.Pos = ch.Pos
		if _, ok := s.C.Tables[ch.Table]; !ok {
			if s.Other != nil {
				s.Other(ch)
			}
			continue
		}
		ev, err := s.C.Encode(ch, "")
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
		if ch.Op == "d" && tombstones {
			out = append(out, Event{Topic: ev.Topic, Key: ev.Key, Pos: ev.Pos, TsMs: ev.TsMs})
		}
	}
	return out, nil
}
