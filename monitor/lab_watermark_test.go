package monitor_test

import (
	"context"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/sqlpipe"
	"github.com/cdcops/cdcops/monitor"
)

// The sink table's newest updated_at an hour behind the source offset's
// time is a watermark breach; brought up to date, it is not.
func TestLabWatermark(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := startRig(t, ctx, sqlpipe.PipelineOptions{}, labConfig())
	sink := testenv.Open(t, r.p.SinkDSN)
	if _, err := sink.ExecContext(ctx, `CREATE TABLE marks (id INTEGER PRIMARY KEY, updated_at TEXT)`); err != nil {
		t.Fatal(err)
	}
	old := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	if _, err := sink.ExecContext(ctx, `INSERT INTO marks VALUES (1, ?)`, old); err != nil {
		t.Fatal(err)
	}
	cfg := labConfig()
	cfg.Connectors = map[string]monitor.ConnectorConfig{r.p.Sink: {Watermark: &monitor.WatermarkConfig{
		DSN: r.p.SinkDSN, Table: "marks", Source: r.p.Source, Budget: time.Minute}}}
	r.watch(t, cfg)
	c := r.until(t, ctx, r.p.Sink, "a watermark breach", func(c monitor.Connector) bool { return c.Watermark != nil && c.Watermark.SourceTime != nil })
	if !c.Watermark.Breach || c.Watermark.GapMS < 59*60*1000 || c.Status != monitor.WARN || !hasReason(c, "watermark") {
		t.Fatalf("watermark: %+v", c.Watermark)
	}
	if _, err := sink.ExecContext(ctx, `UPDATE marks SET updated_at = ?`, time.Now().UTC().Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
	_, c = r.cycle(t, ctx, r.p.Sink)
	if c.Watermark == nil || c.Watermark.Breach {
		t.Fatalf("watermark after catching up: %+v", c.Watermark)
	}
}
