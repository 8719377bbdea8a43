package sqlpipe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/lab/plugin"
	"github.com/cdcops/cdcops/sqlconn"
)

// SqlSource is the cdcops.lab.SqlSource connector class.
type SqlSource struct{}

var _ plugin.SourcePlugin = SqlSource{}

// Type implements plugin.Plugin.
func (SqlSource) Type() string { return "source" }

// Validate implements plugin.Plugin.
func (SqlSource) Validate(config map[string]string) error {
	c, err := parseSourceConfig(config)
	if err != nil {
		return err
	}
	_, err = parseSignalConfig(config, c.prefix)
	return err
}

// TaskConfigs implements plugin.Plugin: one task, since one changelog is
// one ordered stream.
func (SqlSource) TaskConfigs(config map[string]string, _ int) ([]map[string]string, error) {
	return []map[string]string{copyConfig(config)}, nil
}

// NewTask implements plugin.SourcePlugin.
func (SqlSource) NewTask() plugin.SourceTask { return &sourceTask{} }

func copyConfig(c map[string]string) map[string]string {
	out := make(map[string]string, len(c))
	for k, v := range c {
		out[k] = v
	}
	return out
}

type sourceTask struct {
	cfg       sourceConfig
	db        *sqlconn.DB
	capt      *Capturer
	stream    *Stream
	partition connectjson.Object
	log       *slog.Logger

	snapshotPending bool
	snapshot        []Event // read, not yet handed to the worker
	snapshotPos     int64
	resumeOffset    connectjson.Object // what Start read; re-emitted while offsets are frozen
	signals         *signals           // execute-snapshot signals (signal.go)
	halted          bool               // set-binlog-position seen: nothing more until a restart
}

// Offset keys, Debezium-like (spec §3.6): pos is the changelog position.
const (
	offPos               = "pos"
	offTsMs              = "ts_ms"
	offSnapshot          = "snapshot"
	offSnapshotCompleted = "snapshot_completed"
)

func (t *sourceTask) Start(ctx context.Context, tc plugin.SourceTaskContext) error {
	cfg, err := parseSourceConfig(tc.Config())
	if err != nil {
		return err
	}
	t.cfg, t.log = cfg, tc.Logger()
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.db, err = sqlconn.Open(ctx, cfg.dsn); err != nil {
		return err
	}
	if t.capt, err = NewCapturer(ctx, t.db, cfg.prefix, cfg.tables); err != nil {
		t.db.Close()
		return err
	}
	for table, schema := range cfg.schemas {
		if schema != t.capt.Schema {
			t.db.Close()
			return configError("%s names %s.%s, but %s's schema is %s", KeyTableInclude, schema, table, t.db.Name, t.capt.Schema)
		}
	}
	t.partition = connectjson.Object{{Key: "server", Value: cfg.prefix}}
	off, err := tc.Offset(ctx, t.partition)
	if err != nil {
		t.db.Close()
		return fmt.Errorf("read stored offset: %w", err)
	}
	pos, inSnapshot, err := parseSourceOffset(off)
	if err != nil {
		t.db.Close()
		return err
	}
	t.stream = &Stream{C: t.capt, Pos: pos, GapWait: cfg.gapWait}
	t.resumeOffset = off
	if off == nil {
		t.resumeOffset = connectjson.Object{{Key: offPos, Value: pos}, {Key: offTsMs, Value: time.Now().UnixMilli()}}
	}
	// No offset yet, or a snapshot that never completed: (re)take it.
	t.snapshotPending = cfg.snapshot && (off == nil || inSnapshot)
	sc, err := parseSignalConfig(tc.Config(), cfg.prefix)
	if err == nil {
		err = t.startSignals(ctx, sc)
	}
	if err != nil {
		t.signals.close()
		t.db.Close()
		return err
	}
	t.log.Info("sql source started", "db", t.db.Name, "tables", cfg.tables, "resume_pos", pos, "snapshot", t.snapshotPending)
	return nil
}

// parseSourceOffset reads {"pos":N,...}; pos may be an integer, a float or
// a numeric string (PATCHed by hand), like Debezium's longOffsetValue.
func parseSourceOffset(off connectjson.Object) (pos int64, inSnapshot bool, err error) {
	if off == nil {
		return 0, false, nil
	}
	v, ok := off.Get(offPos)
	if !ok {
		return 0, false, configError("stored offset %v has no %q", off, offPos)
	}
	switch x := v.(type) {
	case int64:
		pos = x
	case float64:
		pos = int64(x)
	case string:
		if pos, err = strconv.ParseInt(x, 10, 64); err != nil {
			return 0, false, configError("stored offset pos %q is not a number", x)
		}
	default:
		return 0, false, configError("stored offset pos %v is not a number", v)
	}
	if pos < 0 {
		return 0, false, configError("stored offset pos %d is negative", pos)
	}
	if s, ok := off.Get(offSnapshot); ok && s != nil && s != false && s != "false" {
		done, _ := off.Get(offSnapshotCompleted)
		inSnapshot = done != true && done != "true"
	}
	return pos, inSnapshot, nil
}

// Poll may return records while the task is stopping: the worker neither
// produces nor commits them, so they are read again on the next start.
func (t *sourceTask) Poll(ctx context.Context) ([]plugin.SourceRecord, error) {
	if t.cfg.failMessage != "" {
		return nil, errors.New(t.cfg.failMessage)
	}
	if t.snapshotPending {
		return t.pollSnapshot(ctx)
	}
	if t.halted {
		select {
		case <-ctx.Done():
		case <-time.After(t.cfg.poll):
		}
		return nil, nil
	}
	evs, err := t.stream.Next(ctx, t.cfg.maxBatch, t.cfg.tombstones)
	if err != nil {
		return nil, err
	}
	snap, err := t.snapshotSignals(ctx)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 && len(snap) == 0 {
		select {
		case <-ctx.Done():
		case <-time.After(t.cfg.poll):
		}
		return nil, nil
	}
	recs := make([]plugin.SourceRecord, len(evs))
	for i, ev := range evs {
		off := connectjson.Object{{Key: offPos, Value: ev.Pos}, {Key: offTsMs, Value: ev.TsMs}}
		if t.cfg.freezeOffset {
			off = t.resumeOffset // fault: the stored offset stops advancing
		}
		recs[i] = t.record(ev, off)
	}
	return append(recs, snap...), nil
}

func (t *sourceTask) pollSnapshot(ctx context.Context) ([]plugin.SourceRecord, error) {
	if t.snapshot == nil {
		p0, err := MaxPos(ctx, t.db)
		if err != nil {
			return nil, err
		}
		evs, err := t.capt.Snapshot(ctx, t.cfg.tables, p0)
		if err != nil {
			return nil, err
		}
		t.snapshot, t.snapshotPos = evs, p0
		t.log.Info("snapshot read", "rows", len(evs), "pos", p0)
	}
	n := min(len(t.snapshot), t.cfg.maxBatch)
	recs := make([]plugin.SourceRecord, 0, n+1)
	now := time.Now().UnixMilli()
	for _, ev := range t.snapshot[:n] {
		recs = append(recs, t.record(ev, connectjson.Object{{Key: offPos, Value: t.snapshotPos},
			{Key: offTsMs, Value: now}, {Key: offSnapshot, Value: "INITIAL"}, {Key: offSnapshotCompleted, Value: false}}))
	}
	t.snapshot = t.snapshot[n:]
	if len(t.snapshot) == 0 {
		// An offset-only record (no topic) marks the snapshot done; the
		// stream resumes after the position read before the snapshot.
		recs = append(recs, plugin.SourceRecord{SourcePartition: t.partition,
			SourceOffset: connectjson.Object{{Key: offPos, Value: t.snapshotPos}, {Key: offTsMs, Value: now}}})
		t.snapshotPending, t.snapshot = false, nil
		t.stream.Pos = t.snapshotPos
	}
	return recs, nil
}

func (t *sourceTask) record(ev Event, offset connectjson.Object) plugin.SourceRecord {
	return plugin.SourceRecord{SourcePartition: t.partition, SourceOffset: offset,
		Topic: ev.Topic, Key: ev.Key, Value: ev.Value, Timestamp: time.UnixMilli(ev.TsMs)}
}

func (t *sourceTask) Stop() error {
	t.signals.close()
	if t.db != nil {
		return t.db.Close()
	}
	return nil
}
