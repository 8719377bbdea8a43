package sqlpipe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cdcops/cdcops/lab/plugin"
	"github.com/cdcops/cdcops/sqlconn"
)

// SqlSink is the cdcops.lab.SqlSink connector class.
type SqlSink struct{}

var _ plugin.SinkPlugin = SqlSink{}

// Type implements plugin.Plugin.
func (SqlSink) Type() string { return "sink" }

// Validate implements plugin.Plugin.
func (SqlSink) Validate(config map[string]string) error {
	_, err := parseSinkConfig(config)
	return err
}

// TaskConfigs implements plugin.Plugin. One task keeps the per-key order
// simple to reason about in drills.
func (SqlSink) TaskConfigs(config map[string]string, _ int) ([]map[string]string, error) {
	return []map[string]string{copyConfig(config)}, nil
}

// NewTask implements plugin.SinkPlugin.
func (SqlSink) NewTask() plugin.SinkTask { return &sinkTask{} }

type sinkTask struct {
	cfg   sinkConfig
	db    *sqlconn.DB
	ap    *Applier
	tc    plugin.SinkTaskContext
	log   *slog.Logger
	fault *sinkFault
}

func (t *sinkTask) Start(ctx context.Context, tc plugin.SinkTaskContext) error {
	cfg, err := parseSinkConfig(tc.Config())
	if err != nil {
		return err
	}
	t.cfg, t.tc, t.log = cfg, tc, tc.Logger()
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.db, err = sqlconn.Open(ctx, cfg.dsn); err != nil {
		return err
	}
	t.ap = NewApplier(t.db)
	if cfg.dropEvents > 0 || cfg.corruptRows > 0 {
		if t.fault, err = loadSinkFault(ctx, t.db, cfg); err != nil {
			t.db.Close()
			return err
		}
	}
	t.log.Info("sql sink started", "db", t.db.Name)
	return nil
}

func (t *sinkTask) Put(ctx context.Context, records []plugin.SinkRecord) error {
	if t.cfg.failMessage != "" && len(records) > 0 {
		return errors.New(t.cfg.failMessage)
	}
	items := make([]Item, 0, len(records))
	for i, rec := range records {
		d, err := Decode(rec.Key, rec.Value)
		var table string
		if err == nil {
			table, err = TableFor(t.cfg.tableFormat, rec.Topic)
		}
		if err != nil {
			if rerr := t.errant(ctx, rec, err); rerr != nil {
				return rerr
			}
			continue
		}
		items = append(items, Item{Table: table, Event: d, Index: i})
	}
	if t.fault != nil {
		// Faults act on the events that will really be applied (the last
		// per key), so each logged action has an effect.
		kept := lastPerKey(items)
		items = kept[:0]
		for _, it := range kept {
			if !t.fault.apply(&it) {
				items = append(items, it)
			} // else silently dropped
		}
	}
	failed, err := t.ap.Apply(ctx, items)
	if err != nil {
		return err
	}
	for _, f := range failed {
		if rerr := t.errant(ctx, records[f.Index], f.Err); rerr != nil {
			return rerr
		}
	}
	if t.fault != nil {
		return t.fault.flush(ctx)
	}
	return nil
}

// errant hands a record the sink cannot apply to the worker: DLQ with
// errors.tolerance=all, else the error comes back and fails the task.
func (t *sinkTask) errant(ctx context.Context, rec plugin.SinkRecord, err error) error {
	err = fmt.Errorf("cannot apply record %s[%d]@%d: %w", rec.Topic, rec.Partition, rec.Offset, err)
	t.log.Warn("errant record", "err", err)
	return t.tc.ReportErrant(ctx, rec, err)
}

func (t *sinkTask) Stop() error {
	if t.db != nil {
		return t.db.Close()
	}
	return nil
}
