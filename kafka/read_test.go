package kafka_test

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/kafka/kafkatest"
)

func dial(t *testing.T, addr string) *kafka.Client {
	t.Helper()
	c, err := kafka.Dial(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// produceTxn writes ws in one transaction and commits or aborts it.
func produceTxn(t *testing.T, addr string, ws []kafkatest.Write, commit bool) {
	t.Helper()
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(kafkatest.OffsetsTopic), kgo.TransactionalID("txn-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if err := cl.ProduceSync(ctx, &kgo.Record{Key: w.Key, Value: w.Value}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatal(err)
	}
}

func TestReadTopicIsLastWriteWinsPerExactKeyBytes(t *testing.T) {
	ctx := context.Background()
	_, addr := kafkatest.Cluster(t)
	wl := kafkatest.Debezium(40, 6)
	odd := []kafkatest.Write{
		{Key: []byte(`not json`), Value: []byte(`{"a":1}`)},
		{Key: []byte(`["only-string","x"]`), Value: []byte(`{"a":2}`)},
		// Same logical partition as dbz-0000 but different bytes: Connect
		// treats it as another key, so must the backup.
		{Key: []byte(`["dbz-0000", {"server":"srv0000"}]`), Value: []byte(`{"lsn":1}`)},
	}
	writes := append(append([]kafkatest.Write{}, wl.Writes...), odd...)
	if err := kafkatest.Produce(ctx, addr, kafkatest.OffsetsTopic, writes); err != nil {
		t.Fatal(err)
	}
	committed := []kafkatest.Write{{Key: []byte(`["txn-conn",{"server":"t"}]`), Value: []byte(`{"lsn":10}`)}}
	aborted := []kafkatest.Write{
		{Key: []byte(`["txn-conn",{"server":"t"}]`), Value: []byte(`{"lsn":999}`)},
		{Key: []byte(`["aborted-only",{"server":"a"}]`), Value: []byte(`{"lsn":5}`)},
	}
	produceTxn(t, addr, committed, true)
	produceTxn(t, addr, aborted, false) // an abort marker is now the last offset
	writes = append(writes, committed...)

	st, err := dial(t, addr).ReadTopic(ctx, kafkatest.OffsetsTopic)
	if err != nil {
		t.Fatal(err)
	}
	want := kafkatest.LastWriteWins(writes)
	recs := st.Records()
	if len(recs) != len(want) {
		t.Fatalf("backup has %d keys, last-write-wins gives %d", len(recs), len(want))
	}
	malformed := 0
	for _, r := range recs {
		v, ok := want[string(r.RawKey)]
		if !ok {
			t.Fatalf("key %q is in the backup but not live", r.RawKey)
		}
		if !bytes.Equal(v, r.RawValue) {
			t.Errorf("key %q: value %q, want %q", r.RawKey, r.RawValue, v)
		}
		if p := connectjson.Partition(r.RawKey, 25); p != r.Partition {
			t.Errorf("key %q: partition %d, murmur2 says %d", r.RawKey, r.Partition, p)
		}
		if r.Offset >= st.End[r.Partition] {
			t.Errorf("key %q: offset %d beyond sampled end %d", r.RawKey, r.Offset, st.End[r.Partition])
		}
		_, _, perr := connectjson.ParseOffsetKey(r.RawKey)
		if r.Malformed != (perr != nil) {
			t.Errorf("key %q: malformed=%v, parser says %v", r.RawKey, r.Malformed, perr)
		}
		if r.Malformed {
			malformed++
		}
	}
	if malformed != 2 {
		t.Errorf("%d malformed keys flagged, want 2", malformed)
	}
	if _, ok := want[`["aborted-only",{"server":"a"}]`]; ok {
		t.Fatal("test bug: aborted key in expectation")
	}
}

// While a producer keeps writing, the read must stop at the end offsets
// sampled at its start and hold exactly last-write-wins of that prefix.
func TestReadTopicStopsAtSampledEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, addr := kafkatest.Cluster(t)
	if err := kafkatest.Produce(ctx, addr, kafkatest.OffsetsTopic, kafkatest.Debezium(30, 3).Writes); err != nil {
		t.Fatal(err)
	}
	type placed struct {
		w      kafkatest.Write
		p      int32
		offset int64
	}
	var mu sync.Mutex
	var all []placed
	record := func(r *kgo.Record) {
		mu.Lock()
		all = append(all, placed{kafkatest.Write{Key: r.Key, Value: r.Value}, r.Partition, r.Offset})
		mu.Unlock()
	}
	// Record the initial writes' placement by reading them back raw.
	raw, _ := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(kafkatest.OffsetsTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	defer raw.Close()
	for n := 0; n < len(kafkatest.Debezium(30, 3).Writes); {
		fs := raw.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { record(r); n++ })
	}
	pcl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(kafkatest.OffsetsTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer pcl.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		more := kafkatest.Debezium(30, 40).Writes
		for i := 0; ctx.Err() == nil; i++ {
			w := more[i%len(more)]
			r, err := pcl.ProduceSync(ctx, &kgo.Record{Key: w.Key, Value: w.Value}).First()
			if err == nil {
				record(r)
			}
		}
	}()
	time.Sleep(20 * time.Millisecond)
	st, err := dial(t, addr).ReadTopic(ctx, kafkatest.OffsetsTopic)
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	var prefix []placed
	for _, pl := range all {
		if pl.offset < st.End[pl.p] {
			prefix = append(prefix, pl)
		}
	}
	// A key lives in one partition, so offset order is the order Connect applies.
	sort.Slice(prefix, func(i, j int) bool {
		return prefix[i].p < prefix[j].p || prefix[i].p == prefix[j].p && prefix[i].offset < prefix[j].offset
	})
	ws := make([]kafkatest.Write, len(prefix))
	for i, pl := range prefix {
		ws[i] = pl.w
	}
	want := kafkatest.LastWriteWins(ws)
	got := st.Records()
	if len(got) != len(want) {
		t.Fatalf("%d keys, want %d", len(got), len(want))
	}
	for _, r := range got {
		if !bytes.Equal(want[string(r.RawKey)], r.RawValue) {
			t.Errorf("key %q: %q, want %q", r.RawKey, r.RawValue, want[string(r.RawKey)])
		}
	}
}

func TestDialUnreachableBrokerIsOneClearError(t *testing.T) {
	start := time.Now()
	_, err := kafka.Dial(context.Background(), "127.0.0.1:1")
	if err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	if cdcops.ErrorCodeOf(err) != cdcops.EUNAVAILABLE {
		t.Errorf("code %v, want EUNAVAILABLE: %v", cdcops.ErrorCodeOf(err), err)
	}
	if !strings.Contains(cdcops.HintOf(err), "--bootstrap") {
		t.Errorf("hint %q does not mention --bootstrap", cdcops.HintOf(err))
	}
	t.Logf("failed after %v: %v", time.Since(start), err)
}

func TestReadMissingTopic(t *testing.T) {
	_, addr := kafkatest.Cluster(t)
	_, err := dial(t, addr).ReadTopic(context.Background(), "no-such-topic")
	if cdcops.ErrorCodeOf(err) != cdcops.ENOTFOUND {
		t.Fatalf("want ENOTFOUND, got %v", err)
	}
}

func TestDiscoverOffsetsTopics(t *testing.T) {
	ctx := context.Background()
	cluster, addr := kafkatest.Cluster(t)
	for name, cfg := range map[string]map[string]string{
		"users-compacted": {"cleanup.policy": "compact"},
		"plain-events":    {"cleanup.policy": "delete"},
		"conn-x-offsets":  {"cleanup.policy": "compact"},
		"empty-offsets":   {"cleanup.policy": "compact"},
	} {
		if err := cluster.CreateTopic(name, 3, cfg); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(kafkatest.Produce(ctx, addr, kafkatest.OffsetsTopic, kafkatest.Debezium(5, 2).Writes))
	must(kafkatest.Produce(ctx, addr, "conn-x-offsets", kafkatest.Debezium(2, 1).Writes))
	must(kafkatest.Produce(ctx, addr, "users-compacted", []kafkatest.Write{{Key: []byte("user-1"), Value: []byte("{}")}, {Key: []byte(`["user-2",{}]`), Value: []byte("{}")}, {Key: []byte("user-3"), Value: []byte("{}")}}))
	// An offsets topic with a stray malformed key is still an offsets topic.
	must(kafkatest.Produce(ctx, addr, kafkatest.OffsetsTopic, []kafkatest.Write{{Key: []byte(`{"schema":{},"payload":["x",{}]}`), Value: []byte(`{}`)}}))
	must(kafkatest.Produce(ctx, addr, "plain-events", kafkatest.Debezium(1, 1).Writes))

	found, err := dial(t, addr).DiscoverOffsetsTopics(ctx, map[string]string{"conn-x-offsets": "offsets.storage.topic of connector x"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]kafka.FoundTopic{}
	for _, f := range found {
		got[f.Name] = f
	}
	for _, name := range []string{kafkatest.OffsetsTopic, "conn-x-offsets", "empty-offsets"} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s not discovered: %+v", name, found)
		}
	}
	for _, name := range []string{"users-compacted", "plain-events"} {
		if _, ok := got[name]; ok {
			t.Errorf("%s wrongly discovered: %+v", name, got[name])
		}
	}
	if r := strings.Join(got["conn-x-offsets"].Reasons, "; "); !strings.Contains(r, "offsets.storage.topic") || !strings.Contains(r, "sampled keys are Connect offset keys") {
		t.Errorf("conn-x-offsets reasons: %q", r)
	}
	if co := got[kafkatest.OffsetsTopic]; co.OffsetKeys == 0 || !strings.Contains(strings.Join(co.Reasons, ";"), "sampled keys are Connect offset keys") {
		t.Errorf("connect-offsets sample: %+v", got[kafkatest.OffsetsTopic])
	}
}

func TestGroupOffsets(t *testing.T) {
	ctx := context.Background()
	cluster, addr := kafkatest.Cluster(t)
	if err := cluster.CreateTopic("orders", 2, nil); err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr)
	adm := kadm.NewClient(c.Kgo())
	var offs kadm.Offsets
	offs.AddOffset("orders", 0, 12, -1)
	offs.AddOffset("orders", 1, 7, -1)
	if _, err := adm.CommitOffsets(ctx, "connect-orders-sink", offs); err != nil {
		t.Fatal(err)
	}
	got, err := c.GroupOffsets(ctx, "connect-orders-sink")
	if err != nil {
		t.Fatal(err)
	}
	want := []cdcops.PartitionOffset{{Topic: "orders", Partition: 0, Offset: 12}, {Topic: "orders", Partition: 1, Offset: 7}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	_ = errors.New
}

// A broker that stops answering fetches turns into an error naming the
// partitions that did not reach their end, not a hang.
func TestReadTopicStallIsAnError(t *testing.T) {
	ctx := context.Background()
	cluster, addr := kafkatest.Cluster(t)
	if err := kafkatest.Produce(ctx, addr, kafkatest.OffsetsTopic, kafkatest.Debezium(5, 1).Writes); err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr)
	old := kafka.StallTimeout
	kafka.StallTimeout = 500 * time.Millisecond
	defer func() { kafka.StallTimeout = old }()
	cluster.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		return nil, nil, true // swallow every fetch
	})
	_, err := c.ReadTopic(ctx, kafkatest.OffsetsTopic)
	if cdcops.ErrorCodeOf(err) != cdcops.EUNAVAILABLE || !strings.Contains(err.Error(), "made no progress") {
		t.Fatalf("want a stall error, got %v", err)
	}
}
