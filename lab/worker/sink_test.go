package worker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/lab"
)

func createTopic(t *testing.T, l *lab.Lab, topic string, partitions int32) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(l.KafkaAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(context.Background(), partitions, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
}

func records(topic string, partition int32, values ...string) []*kgo.Record {
	var out []*kgo.Record
	for _, v := range values {
		out = append(out, &kgo.Record{Topic: topic, Partition: partition, Value: []byte(v)})
	}
	return out
}

func manualProduce(t *testing.T, l *lab.Lab, rs []*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(l.KafkaAddr()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func TestSinkOffsetsLifecycle(t *testing.T) {
	l, r := newLab(t)
	createTopic(t, l, "orders", 2)
	manualProduce(t, l, append(records("orders", 0, `{"id":1}`, `{"id":2}`, `{"id":3}`), records("orders", 1, `{"id":4}`, `{"id":5}`)...))
	r.do("POST", "/connectors", `{"name":"snk","config":{"connector.class":"cdcops.lab.ScriptedSink","topics":"orders"}}`)
	r.waitState("snk", "RUNNING", "RUNNING", 1)
	want := `{"offsets":[{"partition":{"kafka_partition":0,"kafka_topic":"orders"},"offset":{"kafka_offset":3}},{"partition":{"kafka_partition":1,"kafka_topic":"orders"},"offset":{"kafka_offset":2}}]}`
	if !poll(func() bool { _, b := r.do("GET", "/connectors/snk/offsets", ""); return b == want }) {
		_, b := r.do("GET", "/connectors/snk/offsets", "")
		t.Fatalf("sink offsets %s, want %s", b, want)
	}
	r.do("PUT", "/connectors/snk/stop", "")
	r.waitState("snk", "STOPPED", "", 0)

	bad := []struct{ body, msg string }{
		{`{"offsets":[{"offset":{"kafka_offset":1}}]}`, "The partition for a sink connector offset cannot be null or missing"},
		{`{"offsets":[{"partition":{"kafka_topic":"orders"},"offset":{"kafka_offset":1}}]}`, "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'"},
		{`{"offsets":[{"partition":{"kafka_topic":null,"kafka_partition":0},"offset":{"kafka_offset":1}}]}`, "Kafka topic names must be valid strings and may not be null"},
		{`{"offsets":[{"partition":{"kafka_topic":"orders","kafka_partition":null},"offset":{"kafka_offset":1}}]}`, "Kafka partitions must be valid numbers and may not be null"},
		{`{"offsets":[{"partition":{"kafka_topic":"orders","kafka_partition":"zero"},"offset":{"kafka_offset":1}}]}`, "Failed to parse the following Kafka partition value in the provided offsets: 'zero'. Partition values for sink connectors need to be integers."},
		{`{"offsets":[{"partition":{"kafka_topic":"orders","kafka_partition":0},"offset":{"kafka_offset":1.5}}]}`, "Failed to parse the following Kafka offset value in the provided offsets: '1.5'. Offset values for sink connectors need to be integers."},
		{`{"offsets":[{"partition":{"kafka_topic":"orders","kafka_partition":0},"offset":{"offset":1}}]}`, "The offset for a sink connector should either be null or contain the key 'kafka_offset'"},
	}
	for _, b := range bad {
		r.wantErr("PATCH", "/connectors/snk/offsets", b.body, 400, b.msg)
	}
	r.want("GET", "/connectors/snk/offsets", "", 200, want)

	// Numeric strings are accepted ("1" and 1 alike); null resets one partition.
	r.want("PATCH", "/connectors/snk/offsets", `{"offsets":[{"partition":{"kafka_topic":"orders","kafka_partition":"0"},"offset":{"kafka_offset":"1"}},{"partition":{"kafka_topic":"orders","kafka_partition":1},"offset":null}]}`, 200, modified("altered"))
	r.want("GET", "/connectors/snk/offsets", "", 200, `{"offsets":[{"partition":{"kafka_partition":0,"kafka_topic":"orders"},"offset":{"kafka_offset":1}}]}`)
	r.want("DELETE", "/connectors/snk/offsets", "", 200, modified("reset"))
	r.want("GET", "/connectors/snk/offsets", "", 200, `{"offsets":[]}`)
	r.want("DELETE", "/connectors/snk/offsets", "", 200, modified("reset")) // idempotent

	// Resumed, it re-reads everything from the start (the group is gone).
	r.do("PUT", "/connectors/snk/resume", "")
	if !poll(func() bool { _, b := r.do("GET", "/connectors/snk/offsets", ""); return b == want }) {
		t.Fatal("sink did not re-consume after reset")
	}
}

func TestSinkGroupOverride(t *testing.T) {
	l, r := newLab(t)
	createTopic(t, l, "t1", 1)
	manualProduce(t, l, records("t1", 0, `1`, `2`))
	r.do("POST", "/connectors", `{"name":"snk","config":{"connector.class":"cdcops.lab.ScriptedSink","topics":"t1","consumer.override.group.id":"custom-group"}}`)
	want := `{"offsets":[{"partition":{"kafka_partition":0,"kafka_topic":"t1"},"offset":{"kafka_offset":2}}]}`
	if !poll(func() bool { _, b := r.do("GET", "/connectors/snk/offsets", ""); return b == want }) {
		t.Fatal("offsets of the overridden group not reported")
	}
	cl, _ := kgo.NewClient(kgo.SeedBrokers(l.KafkaAddr()))
	defer cl.Close()
	adm := kadm.NewClient(cl)
	got, err := adm.FetchOffsets(context.Background(), "custom-group")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := got.Lookup("t1", 0); !ok || o.At != 2 {
		t.Fatalf("custom-group offsets %+v", got)
	}
	def, _ := adm.FetchOffsets(context.Background(), "connect-snk")
	if _, ok := def.Lookup("t1", 0); ok {
		t.Fatal("default group connect-snk must not be used when overridden")
	}
}

func TestDeadLetterQueue(t *testing.T) {
	l, r := newLab(t)
	createTopic(t, l, "in", 1)
	manualProduce(t, l, records("in", 0, `{"ok":1}`, `not json`, `{"ok":2}`))
	r.do("POST", "/connectors", `{"name":"snk","config":{"connector.class":"cdcops.lab.ScriptedSink","topics":"in","errors.tolerance":"all","errors.deadletterqueue.topic.name":"dlq","errors.deadletterqueue.context.headers.enable":"true"}}`)
	want := `{"offsets":[{"partition":{"kafka_partition":0,"kafka_topic":"in"},"offset":{"kafka_offset":3}}]}`
	if !poll(func() bool { _, b := r.do("GET", "/connectors/snk/offsets", ""); return b == want }) {
		t.Fatal("sink did not get past the bad record")
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(l.KafkaAddr()), kgo.ConsumeTopics("dlq"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fs := cl.PollFetches(ctx)
	recs := fs.Records()
	if len(recs) != 1 || string(recs[0].Value) != "not json" {
		t.Fatalf("dlq records %d (%v)", len(recs), fs.Err())
	}
	h := map[string]string{}
	for _, x := range recs[0].Headers {
		h[x.Key] = string(x.Value)
	}
	if h["__connect.errors.topic"] != "in" || h["__connect.errors.partition"] != "0" || h["__connect.errors.offset"] != "1" ||
		h["__connect.errors.exception.class.name"] != "org.apache.kafka.connect.errors.DataException" ||
		!strings.HasPrefix(h["__connect.errors.exception.message"], "Converting byte[] to Kafka Connect data failed due to serialization error: ") ||
		!strings.HasPrefix(h["__connect.errors.exception.stacktrace"], "org.apache.kafka.connect.errors.DataException: ") {
		t.Fatalf("dlq headers %v", h)
	}
	s, _ := r.status("snk")
	if s.Tasks[0].State != "RUNNING" {
		t.Fatalf("tolerated errors must not fail the task: %+v", s)
	}
}

func TestBadRecordFailsTaskWithoutTolerance(t *testing.T) {
	l, r := newLab(t)
	createTopic(t, l, "in", 1)
	manualProduce(t, l, records("in", 0, `{"ok":1}`, `{broken`))
	r.do("POST", "/connectors", `{"name":"snk","config":{"connector.class":"cdcops.lab.ScriptedSink","topics":"in"}}`)
	s := r.waitState("snk", "RUNNING", "FAILED", 1)
	tr := s.Tasks[0].Trace
	if !strings.HasPrefix(tr, "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\n") ||
		!strings.Contains(tr, "Caused by: org.apache.kafka.connect.errors.DataException: Converting byte[] to Kafka Connect data failed due to serialization error: ") {
		t.Fatalf("trace %q", tr)
	}
	// The errant-record reporter path: the task itself reports a record.
	r.do("POST", "/connectors", `{"name":"rep","config":{"connector.class":"cdcops.lab.ScriptedSink","topics":"in","value.converter":"org.apache.kafka.connect.storage.StringConverter","lab.errant.match":"ok","errors.tolerance":"all","errors.deadletterqueue.topic.name":"dlq2"}}`)
	want := `{"offsets":[{"partition":{"kafka_partition":0,"kafka_topic":"in"},"offset":{"kafka_offset":2}}]}`
	if !poll(func() bool { _, b := r.do("GET", "/connectors/rep/offsets", ""); return b == want }) {
		t.Fatal("reporting sink did not commit")
	}
}

func TestSinkTopicsRegex(t *testing.T) {
	l, r := newLab(t)
	createTopic(t, l, "rx-a", 1)
	createTopic(t, l, "rx-b", 1)
	createTopic(t, l, "other", 1)
	manualProduce(t, l, append(append(records("rx-a", 0, `1`), records("rx-b", 0, `1`, `2`)...), records("other", 0, `1`)...))
	r.do("POST", "/connectors", `{"name":"snk","config":{"connector.class":"cdcops.lab.ScriptedSink","topics.regex":"rx-.*"}}`)
	want := `{"offsets":[{"partition":{"kafka_partition":0,"kafka_topic":"rx-a"},"offset":{"kafka_offset":1}},{"partition":{"kafka_partition":0,"kafka_topic":"rx-b"},"offset":{"kafka_offset":2}}]}`
	if !poll(func() bool { _, b := r.do("GET", "/connectors/snk/offsets", ""); return b == want }) {
		_, b := r.do("GET", "/connectors/snk/offsets", "")
		t.Fatalf("regex sink offsets %s", b)
	}
	r.want("GET", "/connectors/snk/topics", "", 200, `{"snk":{"topics":["rx-a","rx-b"]}}`)
	r.wantErr("POST", "/connectors", `{"name":"both","config":{"connector.class":"cdcops.lab.ScriptedSink","topics":"a","topics.regex":"b"}}`, 400,
		"Connector configuration is invalid and contains the following 2 error(s):\ntopics and topics.regex are mutually exclusive options, but both are set.\ntopics and topics.regex are mutually exclusive options, but both are set.\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`")
}

func TestSchemasEnabledNeedsEnvelope(t *testing.T) {
	l, r := newLab(t)
	createTopic(t, l, "in", 1)
	manualProduce(t, l, records("in", 0, `{"schema":null,"payload":{"id":1}}`, `{"id":2}`))
	r.do("POST", "/connectors", `{"name":"snk","config":{"connector.class":"cdcops.lab.ScriptedSink","topics":"in","value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"true"}}`)
	s := r.waitState("snk", "RUNNING", "FAILED", 1)
	if !strings.Contains(s.Tasks[0].Trace, `DataException: JsonConverter with schemas.enable requires "schema" and "payload" fields`) {
		t.Fatalf("trace %q", s.Tasks[0].Trace)
	}
}
