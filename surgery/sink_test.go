package surgery

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/lab/scripted"
)

func (f *fixture) produce(t *testing.T, topic string, values ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(f.l.KafkaAddr()), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, v := range values {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// waitSinkOffset waits until the sink's committed offset of topic[0] is want.
func (f *fixture) waitSinkOffset(t *testing.T, name, topic string, want int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if e, ok := f.current(t, name).Find(SinkPartition(topic, 0)); ok && string(e.Value) == string(SinkOffset(want)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never committed offset %d of %s", name, want, topic)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A sink fails on a poison pill; skipping it (with a reason) through a
// plan gets the task running again past it.
func TestSinkSkipPoisonPill(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.produce(t, "orders", `{"id":0}`, `{"id":1}`)
	if _, err := f.cc.Create(ctx, connect.CreateRequest{Name: "orders-sink", Config: map[string]string{
		"connector.class": scripted.SinkClass, "topics": "orders", scripted.KeyErrantMatch: "POISON"}}); err != nil {
		t.Fatal(err)
	}
	f.waitSinkOffset(t, "orders-sink", "orders", 2)
	f.produce(t, "orders", `POISON`, `{"id":3}`)
	failed := connect.Want{Desc: "a task FAILED", Done: func(s *connect.ConnectorStatus) bool {
		return len(s.Tasks) > 0 && s.Tasks[0].State == cdcops.StateFailed
	}}
	if _, err := f.cc.WaitFor(ctx, "orders-sink", failed, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	_, err := MakePlan(ctx, f.env, Request{Kind: cdcops.PlanSkip, Names: []string{"orders-sink"}, Partition: "orders:0", Count: 1})
	wantCode(t, err, cdcops.EINVALID, "skip without a reason")
	_, err = MakePlan(ctx, f.env, Request{Kind: cdcops.PlanSkip, Names: []string{"orders-sink"}, Partition: "orders:7", Count: 1, Reason: "x"})
	wantCode(t, err, cdcops.EINVALID, "skip in a partition the sink has not consumed")
	p := f.plan(t, Request{Kind: cdcops.PlanSkip, Names: []string{"orders-sink"}, Partition: "orders:0", Count: 1, Reason: "poison pill at offset 2"})
	ch := p.Connectors[0].Changes[0]
	if string(ch.Before) != `{"kafka_offset":2}` || string(ch.After) != `{"kafka_offset":3}` || !strings.Contains(p.Flags[0], "offsets 2..2 are never delivered") {
		t.Fatalf("plan %s → %s, flags %v", ch.Before, ch.After, p.Flags)
	}
	o := applyOpts()
	o.WatchOffsets = true
	if _, err := Apply(ctx, f.env, p.ID, o); err != nil {
		t.Fatalf("apply: %v", err)
	}
	f.waitSinkOffset(t, "orders-sink", "orders", 4)
	st, _ := f.cc.Status(ctx, "orders-sink")
	if !connect.Running.Done(st) {
		t.Fatalf("sink after the skip: %s", connect.Describe(st))
	}
}
