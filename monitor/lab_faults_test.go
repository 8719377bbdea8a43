package monitor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/lab/faults"
	"github.com/cdcops/cdcops/lab/sqlpipe"
	"github.com/cdcops/cdcops/monitor"
)

// The stale-offsets fault (offset flushes suspended while records flow)
// makes the source's offsets stale; with flushes resumed they are fresh.
func TestLabStaleOffsets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := startRig(t, ctx, sqlpipe.PipelineOptions{}, labConfig())
	stop := r.load(t, ctx, 30, 11)
	defer stop()
	r.until(t, ctx, r.p.Source, "a first offset", func(c monitor.Connector) bool { return c.Offsets != nil })
	// Flushing every 100 ms under load: fresh for several cycles.
	for i := 0; i < 8; i++ {
		_, c := r.cycle(t, ctx, r.p.Source)
		if c.Offsets == nil || c.Offsets.Stale {
			t.Fatalf("offsets stale before the fault: %+v", c.Offsets)
		}
		time.Sleep(200 * time.Millisecond)
	}
	_, resume, err := faults.StaleOffsets(ctx, r.ft, r.lab.Worker(), r.p.Source, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := r.until(t, ctx, r.p.Source, "stale offsets", func(c monitor.Connector) bool { return c.Offsets != nil && c.Offsets.Stale })
	if c.Status != monitor.WARN || c.Offsets.AgeMS < 1000 || c.Offsets.Topic != "connect-offsets" || !hasReason(c, "offsets stale") {
		t.Fatalf("stale offsets not reported: %+v", c)
	}
	if err := resume(ctx); err != nil {
		t.Fatal(err)
	}
	r.until(t, ctx, r.p.Source, "fresh offsets after resume", func(c monitor.Connector) bool { return c.Offsets != nil && !c.Offsets.Stale })
}

// Idle sources are not stale: nothing moved since their last offset.
func TestLabIdleSourceNotStale(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := startRig(t, ctx, sqlpipe.PipelineOptions{}, labConfig())
	var c monitor.Connector
	for i := 0; i < 10; i++ {
		_, c = r.cycle(t, ctx, r.p.Source)
		time.Sleep(200 * time.Millisecond)
	}
	if c.Offsets == nil || c.Offsets.AgeMS < 1000 || c.Offsets.Stale || c.Status != monitor.OK {
		t.Fatalf("idle source: %+v", c)
	}
}

// The poison-pill fault sends records to the sink's DLQ: a spike on the
// DLQ partition against its quiet baseline.
func TestLabPoisonPillDLQSpike(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := startRig(t, ctx, sqlpipe.PipelineOptions{DLQ: "lab-dlq"}, labConfig())
	for i := 0; i < 4; i++ {
		if _, c := r.cycle(t, ctx, r.p.Sink); c.DLQ == nil || c.DLQ.Spike {
			t.Fatalf("quiet DLQ: %+v", c.DLQ)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i := 0; i < 3; i++ {
		if _, err := faults.PoisonPill(ctx, r.ft, r.p.Topics[0], nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	c := r.until(t, ctx, r.p.Sink, "a DLQ spike", func(c monitor.Connector) bool { return c.DLQ != nil && c.DLQ.Spike })
	if c.DLQ.Topic != "lab-dlq" || c.DLQ.Total < 1 || len(c.DLQ.Partitions) != 1 || !c.DLQ.Partitions[0].Spike || c.Status != monitor.WARN {
		t.Fatalf("DLQ spike: %+v", c)
	}
	// Quiet again: the spike clears (the total stays).
	c = r.until(t, ctx, r.p.Sink, "no spike after", func(c monitor.Connector) bool { return c.DLQ != nil && !c.DLQ.Spike })
	if c.DLQ.Total != 3 {
		t.Fatalf("DLQ total %d, want the 3 pills", c.DLQ.Total)
	}
}

// A failed sink task under load: throughput dips against its baseline,
// and the connector is down (ERR).
func TestLabThroughputDipAfterTaskFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := startRig(t, ctx, sqlpipe.PipelineOptions{}, labConfig())
	stop := r.load(t, ctx, 50, 21)
	defer stop()
	r.until(t, ctx, r.p.Sink, "a throughput baseline", func(c monitor.Connector) bool {
		return c.Throughput != nil && c.Throughput.BaselinePerSec > 10
	})
	for i := 0; i < 3; i++ { // let the baseline settle for baselineSamples cycles
		if _, c := r.cycle(t, ctx, r.p.Sink); c.Throughput.Dip {
			t.Fatalf("dip before the failure: %+v", c.Throughput)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := faults.FailTask(ctx, r.ft, r.p.Sink, "boom: password=hunter2 at postgres://app:s3cret@db/x", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	c := r.until(t, ctx, r.p.Sink, "a throughput dip", func(c monitor.Connector) bool { return c.Throughput != nil && c.Throughput.Dip })
	if c.Up || c.Severity != monitor.ERR || !hasReason(c, "throughput dip") || !hasReason(c, "FAILED") {
		t.Fatalf("failed sink: %+v", c)
	}
	for _, reason := range c.Reasons {
		if strings.Contains(reason, "hunter2") || strings.Contains(reason, "s3cret") {
			t.Fatalf("secret in a reason: %q", reason)
		}
	}
}

func hasReason(c monitor.Connector, s string) bool {
	for _, r := range c.Reasons {
		if strings.Contains(r, s) {
			return true
		}
	}
	return false
}
