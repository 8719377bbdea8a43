package worker_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/lab"
)

// latestByKey reads a topic to its end with a plain consumer: last value
// per key (nil for a tombstone) and the partition count.
func latestByKey(t *testing.T, l *lab.Lab, topic string) (map[string][]byte, int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(l.KafkaAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	parts := 0
	want := map[int32]kgo.Offset{}
	remaining := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		parts++
		if o.Offset > 0 {
			want[o.Partition] = kgo.NewOffset().AtStart()
			remaining[o.Partition] = o.Offset
		}
	})
	out := map[string][]byte{}
	if len(want) == 0 {
		return out, parts
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(l.KafkaAddr()), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: want}))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	for len(remaining) > 0 {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %s: %v", topic, ctx.Err())
		}
		fs.EachRecord(func(r *kgo.Record) {
			out[string(r.Key)] = r.Value
			if r.Offset+1 >= remaining[r.Partition] {
				delete(remaining, r.Partition)
			}
		})
	}
	return out, parts
}

func TestConnectorSpecificOffsetsTopic(t *testing.T) {
	l, r := newLab(t)
	r.do("POST", "/connectors", sourceBody("own", pgOffsets, `,"offsets.storage.topic":"own-offsets"`))
	want := `{"offsets":[{"partition":{"server":"dbserver1"},"offset":{"lsn":100,"txId":7}}]}`
	if !poll(func() bool { _, b := r.do("GET", "/connectors/own/offsets", ""); return b == want }) {
		t.Fatal("offsets never visible")
	}
	key := `["own",{"server":"dbserver1"}]`
	own, parts := latestByKey(t, l, "own-offsets")
	if parts != 25 || string(own[key]) != `{"lsn":100,"txId":7}` {
		t.Fatalf("own-offsets: %d partitions, %q", parts, own[key])
	}
	// Written to the worker topic as well (ConnectorOffsetBackingStore.set),
	// just after the connector topic, so the copy may land a moment later.
	var global map[string][]byte
	if !poll(func() bool {
		global, _ = latestByKey(t, l, "connect-offsets")
		return string(global[key]) == `{"lsn":100,"txId":7}`
	}) {
		t.Fatalf("connect-offsets copy: %q", global[key])
	}
	// A key only in the worker topic is hidden: the connector store's null wins.
	extra, _ := connectjson.OffsetKey("own", connectjson.Object{{Key: "server", Value: "only-global"}})
	produce(t, l, &kgo.Record{Topic: "connect-offsets", Key: extra, Value: []byte(`{"lsn":1}`)})
	r.want("GET", "/connectors/own/offsets", "", 200, want)

	// Reset tombstones the union of both topics' partitions, in both topics.
	r.do("PUT", "/connectors/own/stop", "")
	r.waitState("own", "STOPPED", "", 0)
	r.want("DELETE", "/connectors/own/offsets", "", 200, modified("reset"))
	r.want("GET", "/connectors/own/offsets", "", 200, `{"offsets":[]}`)
	global, _ = latestByKey(t, l, "connect-offsets")
	own, _ = latestByKey(t, l, "own-offsets")
	for _, k := range []string{key, string(extra)} {
		if v, ok := global[k]; !ok || v != nil {
			t.Errorf("connect-offsets %s = %q, want a tombstone", k, v)
		}
		if v, ok := own[k]; !ok || v != nil {
			t.Errorf("own-offsets %s = %q, want a tombstone", k, v)
		}
	}
}

// Delta K8 (Connect 3.8+, KAFKA-15018): with a connector-specific offsets
// topic, a write with tombstones goes to the worker topic first (so a
// reset partition cannot come back from it), then everything to the
// connector topic; a write of values goes to the connector topic, then to
// the worker topic. The order is seen at the broker: the topics of the
// Produce requests, in arrival order.
func TestConnectorSpecificOffsetsTombstoneOrder(t *testing.T) {
	l, r := newLab(t)
	r.do("POST", "/connectors", sourceBody("own", pgOffsets, `,"offsets.storage.topic":"own-offsets"`))
	r.waitState("own", "RUNNING", "RUNNING", 1)
	r.do("PUT", "/connectors/own/stop", "")
	r.waitState("own", "STOPPED", "", 0)

	// Produce v13+ names topics by id.
	cl, err := kgo.NewClient(kgo.SeedBrokers(l.KafkaAddr()))
	if err != nil {
		t.Fatal(err)
	}
	details, err := kadm.NewClient(cl).ListTopics(context.Background(), "connect-offsets", "own-offsets")
	cl.Close()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[[16]byte]string{}
	for name, d := range details {
		byID[d.ID] = name
	}
	var mu sync.Mutex
	var seen []string
	l.Cluster().ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		l.Cluster().KeepControl()
		mu.Lock()
		defer mu.Unlock()
		for _, tp := range req.(*kmsg.ProduceRequest).Topics {
			name := tp.Topic
			if name == "" {
				name = byID[tp.TopicID]
			}
			if name == "connect-offsets" || name == "own-offsets" {
				seen = append(seen, name)
			}
		}
		return nil, nil, false
	})
	order := func(body string) string {
		t.Helper()
		mu.Lock()
		seen = nil
		mu.Unlock()
		r.want("PATCH", "/connectors/own/offsets", body, 200, modified("altered"))
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(seen, ",")
	}
	if got := order(`{"offsets":[{"partition":{"server":"dbserver1"},"offset":{"lsn":5}}]}`); got != "own-offsets,connect-offsets" {
		t.Errorf("values written to %s, want own-offsets,connect-offsets", got)
	}
	if got := order(`{"offsets":[{"partition":{"server":"dbserver1"},"offset":null}]}`); got != "connect-offsets,own-offsets" {
		t.Errorf("a tombstone written to %s, want connect-offsets (first), then own-offsets", got)
	}
	if got := order(`{"offsets":[{"partition":{"server":"a"},"offset":null},{"partition":{"server":"b"},"offset":{"lsn":1}}]}`); got != "connect-offsets,own-offsets,connect-offsets" {
		t.Errorf("mixed write to %s, want the tombstone to connect-offsets, all to own-offsets, the value to connect-offsets", got)
	}
}
