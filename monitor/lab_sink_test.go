package monitor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/lab/sqlpipe"
	"github.com/cdcops/cdcops/monitor"
)

// A stopped sink (STOPPED: its group has no members) with records
// arriving is STOP once no commit came for longer than the window spans.
func TestLabSinkStopped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := startRig(t, ctx, sqlpipe.PipelineOptions{}, labConfig())
	r.settle(t, ctx)
	if err := r.c.Stop(ctx, r.p.Sink); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.WaitFor(ctx, r.p.Sink, connect.WantState(cdcops.StateStopped), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	r.insert(t, ctx, 20, 2)
	c := r.until(t, ctx, r.p.Sink, "STOP", func(c monitor.Connector) bool { return c.Status == monitor.STOP })
	if c.Severity != monitor.ERR || c.Up || c.Sink.TotalLag < 20 || c.Sink.Members != 0 || !partitionStatus(c, monitor.STOP) {
		t.Fatalf("stopped sink: %+v", c)
	}
}

// A paused sink keeps its group membership (the consumer stays) but its
// offset does not move while lag grows: STALL.
func TestLabSinkStalled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := startRig(t, ctx, sqlpipe.PipelineOptions{}, labConfig())
	r.settle(t, ctx)
	if err := r.c.Pause(ctx, r.p.Sink); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.WaitFor(ctx, r.p.Sink, connect.WantState(cdcops.StatePaused), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	stop := r.load(t, ctx, 40, 3)
	defer stop()
	c := r.until(t, ctx, r.p.Sink, "STALL", func(c monitor.Connector) bool { return c.Status == monitor.STALL })
	if c.Severity != monitor.ERR || c.Sink.Members == 0 || c.Sink.TotalLag == 0 {
		t.Fatalf("stalled sink: %+v", c)
	}
	// Resumed, it catches up and is OK again.
	stop()
	if err := r.c.Resume(ctx, r.p.Sink); err != nil {
		t.Fatal(err)
	}
	r.until(t, ctx, r.p.Sink, "OK after resume", func(c monitor.Connector) bool { return c.Status == monitor.OK && c.Sink.TotalLag == 0 })
}

// Rewinding a stopped sink's offsets (KIP-875 PATCH) is REWIND until the
// sink consumes past the old offset again.
func TestLabSinkRewound(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := startRig(t, ctx, sqlpipe.PipelineOptions{}, labConfig())
	r.settle(t, ctx)
	if err := r.c.Stop(ctx, r.p.Sink); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.WaitFor(ctx, r.p.Sink, connect.WantState(cdcops.StateStopped), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	var body cdcops.ConnectorOffsets
	for _, topic := range r.p.Topics {
		body.Offsets = append(body.Offsets, cdcops.ConnectorOffset{
			Partition: json.RawMessage(fmt.Sprintf(`{"kafka_topic":%q,"kafka_partition":0}`, topic)),
			Offset:    json.RawMessage(`{"kafka_offset":0}`),
		})
	}
	if _, err := r.c.AlterOffsets(ctx, r.p.Sink, body); err != nil {
		t.Fatal(err)
	}
	_, c := r.cycle(t, ctx, r.p.Sink)
	if c.Status != monitor.REWIND || !partitionStatus(c, monitor.REWIND) || c.Severity != monitor.ERR {
		t.Fatalf("rewound sink: %+v", c)
	}
}

// A consumer that commits progress but less than arrives (lag grows at
// every commit) is WARN. The lab sink is too quick to fall behind, so the
// test commits for a stopped sink's group itself, as a slow consumer would.
func TestLabSinkFallingBehind(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := startRig(t, ctx, sqlpipe.PipelineOptions{}, labConfig())
	const topic = "slow-topic"
	cfg := map[string]string{"connector.class": sqlpipe.SinkClass, "tasks.max": "1", "topics": topic,
		sqlpipe.KeyConnectionURL: r.p.SinkDSN, "consumer.override.group.id": "slow-group"}
	if _, _, err := r.c.PutConfig(ctx, "slow-sink", cfg); err != nil {
		t.Fatal(err)
	}
	if err := r.c.Stop(ctx, "slow-sink"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.WaitFor(ctx, "slow-sink", connect.WantState(cdcops.StateStopped), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	cl := r.k.Kgo()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	committed := int64(0)
	var last monitor.Connector
	for i := 0; i < 12; i++ {
		recs := make([]*kgo.Record, 10)
		for j := range recs {
			recs[j] = &kgo.Record{Topic: topic, Value: []byte(`{}`)}
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		committed += 5 // consumes half of what arrives
		off := kadm.Offsets{}
		off.Add(kadm.Offset{Topic: topic, Partition: 0, At: committed, LeaderEpoch: -1})
		if err := adm.CommitAllOffsets(ctx, "slow-group", off); err != nil {
			t.Fatal(err)
		}
		_, last = r.cycle(t, ctx, "slow-sink")
		if last.Status == monitor.WARN {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last.Status != monitor.WARN || !partitionStatus(last, monitor.WARN) || last.Sink.Group != "slow-group" || last.Sink.TotalLag <= 0 {
		t.Fatalf("falling-behind sink: %+v", last)
	}
	if p := last.Sink.Partitions[0]; p.LagFrom != "record" || p.LagMS <= 0 {
		t.Fatalf("time lag should come from the record at the committed offset: %+v", p)
	}
}
