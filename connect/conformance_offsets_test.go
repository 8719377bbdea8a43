package connect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/connectjson"
)

// offsetsBody builds a one-entry ConnectorOffsets; offset "" means null.
func offsetsBody(kv ...string) cdcops.ConnectorOffsets {
	var o cdcops.ConnectorOffsets
	for i := 0; i+1 < len(kv); i += 2 {
		var off json.RawMessage
		if kv[i+1] != "" {
			off = json.RawMessage(kv[i+1])
		}
		o.Offsets = append(o.Offsets, cdcops.ConnectorOffset{Partition: json.RawMessage(kv[i]), Offset: off})
	}
	return o
}

// norm is how Connect stores and serves a JSON map: Java HashMap order,
// longs and doubles (connectjson is tested against Java).
func norm(t *testing.T, s string) string {
	t.Helper()
	b, err := connectjson.Normalize([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// produce writes n records to each of parts partitions of a new topic,
// as JsonConverter's schema+payload envelope (any sink can read that: the
// lab's ignores it, a real JDBC sink needs the schema).
func produce(t *testing.T, e *env, topic string, parts int32, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(e.ctx, parts, 1, nil, topic); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	for p := int32(0); p < parts; p++ {
		for i := 0; i < n; i++ {
			r := &kgo.Record{Topic: topic, Partition: p, Value: []byte(fmt.Sprintf(`{"schema":{"type":"struct","fields":[{"field":"n","type":"int32"}],"optional":false},"payload":{"n":%d}}`, i))}
			if err := cl.ProduceSync(e.ctx, r).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
		}
	}
}

// groupOffsets reads a consumer group's commits with a plain admin client,
// not through the worker: topic/partition → offset.
func groupOffsets(t *testing.T, e *env, group string) (map[string]int64, bool) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	groups, err := adm.ListGroups(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := groups[group]; !ok {
		return nil, false
	}
	resp, err := adm.FetchOffsets(e.ctx, group)
	if err != nil {
		t.Fatalf("fetch offsets of %s: %v", group, err)
	}
	out := map[string]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			out[fmt.Sprintf("%s/%d", o.Topic, o.Partition)] = o.At
		}
	})
	return out, true
}

// offsetsTopic reads the worker's offsets topic to its end with a plain consumer and
// returns, per exact key bytes, the last value (nil = tombstone) and
// whether the key was seen at all.
func offsetsTopic(t *testing.T, e *env) map[string][]byte {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka), kgo.ConsumeTopics(e.offsetsTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(e.ctx, e.offsetsTopic)
	if err != nil {
		t.Fatal(err)
	}
	remaining := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			remaining[o.Partition] = o.Offset
		}
	})
	last := map[string][]byte{}
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	for len(remaining) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %s: %v (left %v)", e.offsetsTopic, ctx.Err(), remaining)
		}
		fs.EachRecord(func(r *kgo.Record) {
			last[string(r.Key)] = r.Value
			// Connect's producer places keys by murmur2 (spec §3.3); a record
			// elsewhere would never be superseded by compaction.
			if want := connectjson.Partition(r.Key, 25); r.Partition != want {
				t.Errorf("offsets record %s in partition %d, want murmur2 partition %d", r.Key, r.Partition, want)
			}
			if r.Offset+1 >= remaining[r.Partition] {
				delete(remaining, r.Partition)
			}
		})
	}
	return last
}

// §2.2 source GET of offsets a running ScriptedSource wrote: shape, HashMap
// order, works while RUNNING, {"offsets":[]}. Lab only: it needs a source
// whose offsets the test chooses (the real workers' part is in
// TestConformanceSourceOffsetsPatch).
func TestConformanceLabSourceOffsetsGet(t *testing.T) {
	e := newEnv(t)
	n := name("src-get")
	e.create(n, sourceConfig(pgOffsets), "")
	e.waitFor(n, connect.Running)
	// Works on a running connector (no STOPPED needed); offsets appear after a flush.
	want := map[string]string{`{"server":"dbserver1"}`: norm(t, `{"lsn":37208504,"lsn_proc":37208504,"txId":780,"ts_usec":1700000000000000}`)}
	e.waitOffsets(n, want)
	r := e.raw("GET", "/connectors/"+n+"/offsets", "")
	r.expect(t, "GET offsets", 200, `{"offsets":[{"partition":{"server":"dbserver1"},"offset":`+want[`{"server":"dbserver1"}`]+`}]}`)

	// A connector without offsets answers {"offsets":[]}.
	empty := name("src-empty")
	e.create(empty, sourceConfig("[]"), "STOPPED")
	e.waitFor(empty, connect.Stopped)
	e.raw("GET", "/connectors/"+empty+"/offsets", "").expect(t, "GET offsets (none)", 200, `{"offsets":[]}`)
	if o, err := e.c.Offsets(e.ctx, empty); err != nil || o.Offsets == nil || len(o.Offsets) != 0 {
		t.Errorf("client Offsets(no offsets) = %+v, %v", o, err)
	}
}

// §2.3 source PATCH: 200 + framework-managed message; only listed
// partitions change; "offset": null resets that one; normalisation.
func TestConformanceSourceOffsetsPatch(t *testing.T) {
	forEachWorker(t, conformSourceOffsetsPatch)
}

// startWithTwoOffsets creates a source STOPPED, gives it the partitions s1
// and s2 through PATCH and starts it.
func startWithTwoOffsets(t *testing.T, e *env, n string) {
	e.create(n, e.quietSource(), "STOPPED")
	e.waitFor(n, connect.Stopped)
	e.raw("GET", "/connectors/"+n+"/offsets", "").expect(t, "GET offsets (none)", 200, `{"offsets":[]}`)
	if o, err := e.c.Offsets(e.ctx, n); err != nil || o.Offsets == nil || len(o.Offsets) != 0 {
		t.Errorf("client Offsets(no offsets) = %+v, %v", o, err)
	}
	var two cdcops.ConnectorOffsets
	if err := json.Unmarshal([]byte(`{"offsets":`+twoOffsets+`}`), &two); err != nil {
		t.Fatal(err)
	}
	if msg, err := e.c.AlterOffsets(e.ctx, n, two); err != nil || msg != msgFrameworkAltered {
		t.Fatalf("AlterOffsets(s1, s2) on STOPPED = %q, %v", msg, err)
	}
	e.waitOffsets(n, map[string]string{
		`{"server":"s1"}`: norm(t, `{"lsn":100,"txId":1}`),
		`{"server":"s2"}`: norm(t, `{"lsn":200,"txId":2}`),
	})
	if err := e.c.Resume(e.ctx, n); err != nil {
		t.Fatal(err)
	}
	e.waitFor(n, connect.Running)
}

func conformSourceOffsetsPatch(t *testing.T, e *env) {
	n := name("src-patch")
	startWithTwoOffsets(t, e, n)

	// Not stopped → 400 with the exact text, both PATCH and DELETE, RUNNING and PAUSED.
	patch := `{"offsets":[{"partition":{"server":"s1"},"offset":{"lsn":150,"txId":9}}]}`
	e.raw("PATCH", "/connectors/"+n+"/offsets", patch).expectError(t, "PATCH on RUNNING", 400, msgNotStopped(n))
	e.raw("DELETE", "/connectors/"+n+"/offsets", "").expectError(t, "DELETE on RUNNING", 400, msgNotStopped(n))
	_, err := e.c.AlterOffsets(e.ctx, n, offsetsBody(`{"server":"s1"}`, `{"lsn":150}`))
	if codeOf(err) != cdcops.ECONFLICT || cdcops.HintOf(err) != "run `cdcops connectors stop "+n+"` first" {
		t.Errorf("client AlterOffsets on RUNNING: %v (hint %q), want ECONFLICT with a stop hint", err, cdcops.HintOf(err))
	}
	if ae, ok := connect.AsAPIError(err); !ok || ae.Message != msgNotStopped(n) || !ae.NotStopped() {
		t.Errorf("client error should carry the worker's message: %v", err)
	}
	if err := e.c.Pause(e.ctx, n); err != nil {
		t.Fatal(err)
	}
	e.waitFor(n, connect.Paused)
	e.raw("PATCH", "/connectors/"+n+"/offsets", patch).expectError(t, "PATCH on PAUSED", 400, msgNotStopped(n))

	e.stop(n)
	r := e.raw("PATCH", "/connectors/"+n+"/offsets", patch)
	r.expect(t, "PATCH on STOPPED", 200, `{"message":"`+msgFrameworkAltered+`"}`)
	e.waitOffsets(n, map[string]string{
		`{"server":"s1"}`: norm(t, `{"lsn":150,"txId":9}`),
		`{"server":"s2"}`: norm(t, `{"lsn":200,"txId":2}`), // not listed → untouched
	})

	// A PATCH that meets a rebalance 409 is retried by the client (the
	// lab's fault hook; a real worker is altered without one).
	if e.faults != nil {
		e.faults.RejectNextMutations(2)
	}
	msg, err := e.c.AlterOffsets(e.ctx, n, offsetsBody(`{"server":"s1"}`, `{"lsn":150,"txId":9}`))
	if err != nil || msg != msgFrameworkAltered {
		t.Fatalf("AlterOffsets through two 409s = %q, %v", msg, err)
	}

	// "offset": null resets only that partition; GET omits it afterwards.
	msg, err = e.c.AlterOffsets(e.ctx, n, offsetsBody(`{"server":"s2"}`, ""))
	if err != nil || msg != msgFrameworkAltered {
		t.Fatalf("client AlterOffsets(null) = %q, %v", msg, err)
	}
	e.waitOffsets(n, map[string]string{`{"server":"s1"}`: norm(t, `{"lsn":150,"txId":9}`)})
	key, _ := connectjson.OffsetKey(n, connectjson.Object{{Key: "server", Value: "s2"}})
	if v, seen := offsetsTopic(t, e)[string(key)]; !seen || v != nil {
		t.Errorf("offsets topic: key %s last value %q (seen %v), want a tombstone", key, v, seen)
	}

	// Normalisation: JSON numbers come back as long / double, maps in
	// HashMap order, whatever order the PATCH used.
	msg, err = e.c.AlterOffsets(e.ctx, n, offsetsBody(`{"server":"s3"}`, `{"txId":5,"ratio":1.5,"lsn":7,"file":"a\"b","snapshot":true}`))
	if err != nil || msg != msgFrameworkAltered {
		t.Fatalf("AlterOffsets: %q, %v", msg, err)
	}
	e.waitOffsets(n, map[string]string{
		`{"server":"s1"}`: norm(t, `{"lsn":150,"txId":9}`),
		`{"server":"s3"}`: norm(t, `{"txId":5,"ratio":1.5,"lsn":7,"file":"a\"b","snapshot":true}`),
	})

	// Nested values → 500 with the DataException text (OffsetUtils.validateFormat).
	for _, tc := range []struct{ body, msg string }{
		{`{"offsets":[{"partition":{"server":"s1"},"offset":{"pos":{"a":1}}}]}`, "Offsets may only contain primitive types as values, but field pos contains MAP"},
		{`{"offsets":[{"partition":{"server":"s1"},"offset":{"pos":[1,2]}}]}`, "Offsets may only contain primitive types as values, but field pos contains ARRAY"},
		{`{"offsets":[{"partition":{"server":{"x":1}},"offset":{"pos":1}}]}`, "Offsets may only contain primitive types as values, but field server contains MAP"},
	} {
		e.raw("PATCH", "/connectors/"+n+"/offsets", tc.body).expectError(t, "PATCH nested "+tc.body, 500, tc.msg)
	}
	_, err = e.c.AlterOffsets(e.ctx, n, offsetsBody(`{"server":"s1"}`, `{"pos":{"a":1}}`))
	if codeOf(err) != cdcops.EINVALID {
		t.Errorf("client AlterOffsets(nested): %v, want EINVALID (bad input, not a crash)", err)
	}

	// Missing or empty "offsets" → 400, checked before the connector lookup.
	const emptyMsg = "Partitions / offsets need to be provided for an alter offsets request"
	for _, body := range []string{`{"offsets":[]}`, `{}`, `{"offsets":null}`} {
		e.raw("PATCH", "/connectors/"+n+"/offsets", body).expectError(t, "PATCH "+body, 400, emptyMsg)
		e.raw("PATCH", "/connectors/no-such-connector/offsets", body).expectError(t, "PATCH "+body+" on unknown connector", 400, emptyMsg)
	}
	// Unknown connector → 404 for GET, PATCH and DELETE.
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		body := ""
		if m == "PATCH" {
			body = patch
		}
		e.raw(m, "/connectors/no-such-connector/offsets", body).expectError(t, m+" offsets unknown", 404, "Connector no-such-connector not found")
	}
}

// §2.5 source DELETE: 200 + reset message, tombstones for every partition,
// GET → [], idempotent.
func TestConformanceSourceOffsetsReset(t *testing.T) {
	forEachWorker(t, conformSourceOffsetsReset)
}

func conformSourceOffsetsReset(t *testing.T, e *env) {
	n := name("src-reset")
	startWithTwoOffsets(t, e, n)
	e.stop(n)
	e.raw("DELETE", "/connectors/"+n+"/offsets", "").expect(t, "DELETE offsets", 200, `{"message":"`+msgFrameworkReset+`"}`)
	e.waitOffsets(n, map[string]string{})
	topic := offsetsTopic(t, e)
	for _, s := range []string{"s1", "s2"} {
		key, _ := connectjson.OffsetKey(n, connectjson.Object{{Key: "server", Value: s}})
		if v, seen := topic[string(key)]; !seen || v != nil {
			t.Errorf("after DELETE, key %s last value %q (seen %v), want a tombstone", key, v, seen)
		}
	}
	// Nothing left: still 200 (idempotent), through the client.
	if msg, err := e.c.ResetOffsets(e.ctx, n); err != nil || msg != msgFrameworkReset {
		t.Errorf("second reset = %q, %v; want success again", msg, err)
	}
	// The connector starts again from nothing.
	if err := e.c.Resume(e.ctx, n); err != nil {
		t.Fatal(err)
	}
	e.waitFor(n, connect.Running)
}

// §2.2/§2.3/§2.4/§2.5/§2.7 sink offsets: consumer group connect-<name> or
// consumer.override.group.id; PATCH validation messages; DELETE drops the group.
func TestConformanceSinkOffsets(t *testing.T) {
	forEachWorker(t, conformSinkOffsets)
}

func conformSinkOffsets(t *testing.T, e *env) {
	topic := name("orders")
	produce(t, e, topic, 2, 5)
	n := name("sink")
	e.create(n, e.sink(topic), "")
	e.waitFor(n, connect.Running)
	wantGet := map[string]string{
		`{"kafka_topic":"` + topic + `","kafka_partition":0}`: `{"kafka_offset":5}`,
		`{"kafka_topic":"` + topic + `","kafka_partition":1}`: `{"kafka_offset":5}`,
	}
	// Exact bytes: SinkUtils builds both maps as java.util.HashMap, so
	// Jackson writes them in HashMap order (kafka_partition first).
	want := map[string]string{}
	for k, v := range wantGet {
		want[norm(t, k)] = norm(t, v)
	}
	e.waitOffsets(n, want)
	if g, ok := groupOffsets(t, e, "connect-"+n); !ok || g[topic+"/0"] != 5 || g[topic+"/1"] != 5 {
		t.Errorf("group connect-%s = %v (exists %v), want both partitions at 5", n, g, ok)
	}

	// Validation happens after the STOPPED check: a running sink gets the STOPPED text.
	e.raw("PATCH", "/connectors/"+n+"/offsets", `{"offsets":[{"partition":{"kafka_topic":"`+topic+`"},"offset":{"kafka_offset":1}}]}`).
		expectError(t, "sink PATCH while RUNNING", 400, msgNotStopped(n))
	e.stop(n)

	for _, tc := range []struct{ what, entry, msg string }{
		{"null partition", `{"partition":null,"offset":{"kafka_offset":1}}`, "The partition for a sink connector offset cannot be null or missing"},
		{"missing partition", `{"offset":{"kafka_offset":1}}`, "The partition for a sink connector offset cannot be null or missing"},
		{"missing keys", `{"partition":{"kafka_topic":"t"},"offset":{"kafka_offset":1}}`, "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'"},
		{"null topic", `{"partition":{"kafka_topic":null,"kafka_partition":0},"offset":{"kafka_offset":1}}`, "Kafka topic names must be valid strings and may not be null"},
		{"null partition value", `{"partition":{"kafka_topic":"t","kafka_partition":null},"offset":{"kafka_offset":1}}`, "Kafka partitions must be valid numbers and may not be null"},
		{"bad partition", `{"partition":{"kafka_topic":"t","kafka_partition":"abc"},"offset":{"kafka_offset":1}}`, "Failed to parse the following Kafka partition value in the provided offsets: 'abc'. Partition values for sink connectors need to be integers."},
		{"no kafka_offset", `{"partition":{"kafka_topic":"t","kafka_partition":0},"offset":{"other":1}}`, "The offset for a sink connector should either be null or contain the key 'kafka_offset'"},
		{"bad offset", `{"partition":{"kafka_topic":"t","kafka_partition":0},"offset":{"kafka_offset":"x"}}`, "Failed to parse the following Kafka offset value in the provided offsets: 'x'. Offset values for sink connectors need to be integers."},
	} {
		e.raw("PATCH", "/connectors/"+n+"/offsets", `{"offsets":[`+tc.entry+`]}`).expectError(t, "sink PATCH "+tc.what, 400, tc.msg)
	}

	// Success: numbers or numeric strings; null deletes one partition's commit.
	body := `{"offsets":[{"partition":{"kafka_topic":"` + topic + `","kafka_partition":"0"},"offset":{"kafka_offset":"2"}},` +
		`{"partition":{"kafka_topic":"` + topic + `","kafka_partition":1},"offset":null}]}`
	e.raw("PATCH", "/connectors/"+n+"/offsets", body).expect(t, "sink PATCH", 200, `{"message":"`+msgFrameworkAltered+`"}`)
	e.eventually("sink offsets after PATCH", func() string {
		g, _ := groupOffsets(t, e, "connect-"+n)
		if len(g) != 1 || g[topic+"/0"] != 2 {
			return fmt.Sprintf("group offsets %v, want only %s/0 at 2", g, topic)
		}
		return ""
	})
	o, err := e.c.Offsets(e.ctx, n)
	if err != nil || len(o.Offsets) != 1 || normJSON(o.Offsets[0].Offset) != `{"kafka_offset":2}` {
		t.Errorf("GET sink offsets after PATCH = %+v, %v", o, err)
	}

	// DELETE deletes the whole group; idempotent.
	e.raw("DELETE", "/connectors/"+n+"/offsets", "").expect(t, "sink DELETE", 200, `{"message":"`+msgFrameworkReset+`"}`)
	if g, ok := groupOffsets(t, e, "connect-"+n); ok && len(g) > 0 {
		t.Errorf("group connect-%s still has offsets %v after DELETE", n, g)
	}
	e.raw("GET", "/connectors/"+n+"/offsets", "").expect(t, "GET after sink reset", 200, `{"offsets":[]}`)
	e.raw("DELETE", "/connectors/"+n+"/offsets", "").expect(t, "sink DELETE again", 200, `{"message":"`+msgFrameworkReset+`"}`)

	// consumer.override.group.id moves the offsets to that group.
	ov := name("sink-override")
	group := name("custom-group")
	e.create(ov, e.sink(topic, "consumer.override.group.id", group), "")
	e.waitFor(ov, connect.Running)
	e.eventually("override group committed", func() string {
		g, _ := groupOffsets(t, e, group)
		if g[topic+"/0"] != 5 || g[topic+"/1"] != 5 {
			return fmt.Sprintf("group %s = %v", group, g)
		}
		return ""
	})
	if g, ok := groupOffsets(t, e, "connect-"+ov); ok && len(g) > 0 {
		t.Errorf("connect-%s has offsets %v although consumer.override.group.id=%s", ov, g, group)
	}
	e.eventually("GET offsets reads the override group", func() string {
		o, err := e.c.Offsets(e.ctx, ov)
		if err != nil || len(o.Offsets) != 2 {
			return fmt.Sprintf("%+v %v", o, err)
		}
		return ""
	})
	e.stop(ov)
	if _, err := e.c.ResetOffsets(e.ctx, ov); err != nil {
		t.Fatal(err)
	}
	if g, ok := groupOffsets(t, e, group); ok && len(g) > 0 {
		t.Errorf("override group %s still has %v after reset", group, g)
	}
}

// normJSON re-marshals through a map so key order does not matter (for
// sink offsets, whose order the spec leaves to Jackson).
func normJSON(b json.RawMessage) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "invalid:" + string(b)
	}
	out, _ := json.Marshal(v)
	return strings.TrimSpace(string(out))
}

// §2.2 GET reads the offsets topic to its end on every call and keeps only
// keys shaped [string, object] for this connector (OffsetUtils.processPartitionKey):
// records written by someone else (here: a plain producer) show up, keys
// of other shapes are ignored, tombstones remove.
func TestConformanceSourceOffsetsReadTopic(t *testing.T) {
	forEachWorker(t, conformSourceOffsetsReadTopic)
}

func conformSourceOffsetsReadTopic(t *testing.T, e *env) {
	n := name("src-topic")
	e.create(n, e.quietSource(), "STOPPED")
	e.waitFor(n, connect.Stopped)

	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka)) // default partitioner: murmur2, like Java's
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	put := func(key, value string) {
		t.Helper()
		r := &kgo.Record{Topic: e.offsetsTopic, Key: []byte(key)}
		if value != "" {
			r.Value = []byte(value)
		}
		if err := cl.ProduceSync(e.ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	put(`["`+n+`",{"server":"ext"}]`, `{"lsn":42}`)
	put(`["`+n+`",{"server":"gone"}]`, `{"lsn":1}`)
	put(`["`+n+`",{"server":"gone"}]`, "") // tombstone
	put(`["`+n+`"]`, `{"lsn":2}`)          // not [string, object]
	put(`{"server":"ext"}`, `{"lsn":3}`)   // not an array
	put(`not json`, `{"lsn":4}`)
	put(`[42,{"server":"ext"}]`, `{"lsn":5}`) // namespace not a string
	put(`["other-connector",{"server":"ext"}]`, `{"lsn":6}`)

	e.waitOffsets(n, map[string]string{`{"server":"ext"}`: `{"lsn":42}`})
	// Last write wins, read straight away: no cache between calls.
	put(`["`+n+`",{"server":"ext"}]`, `{"lsn":43}`)
	if got := e.offsetsMap(n); got[`{"server":"ext"}`] != `{"lsn":43}` || len(got) != 1 {
		t.Errorf("GET offsets right after a topic write = %v, want lsn 43 (the worker must re-read to the end)", got)
	}
}
