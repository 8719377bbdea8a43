package journal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/journal"
	"github.com/cdcops/cdcops/kafka/kafkatest"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/scripted"
	"github.com/cdcops/cdcops/lab/sqlpipe"
)

// waitUnaudited waits up to 5 s for a new unaudited entry of connector
// after seq and returns it.
func waitUnaudited(t *testing.T, r *rig, connector string, after int) journal.Entry {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		h, err := journal.ReadHistory(context.Background(), r.store, journal.HistoryOptions{Connector: connector})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range h.Entries {
			if e.Unaudited {
				n++
				if n > after {
					return e
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no unaudited change #%d of %s within 5s", after+1, connector)
	return journal.Entry{}
}

// javaJSON is s as Connect writes it (Java HashMap key order).
func javaJSON(t *testing.T, s string) string {
	t.Helper()
	b, err := connectjson.Normalize([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func kcatProduce(t *testing.T, addr, line string) {
	t.Helper()
	// murmur2 as Connect's producer, so the record lands where Connect reads it.
	cmd := exec.Command(testenv.Kcat(t), "-P", "-b", addr, "-t", offsetsTopic, "-Z", "-K", "\t", "-X", "partitioner=murmur2_random")
	cmd.Stdin = strings.NewReader(line + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v %s", err, out)
	}
}

// Acceptance (issue 12): a REST PATCH made with curl, a tombstone written
// with kcat and a record written straight to the topic with kcat each show
// up as unaudited within 5 s with before → after; the running task's own
// writes do not.
func TestUnauditedChangesAreFlagged(t *testing.T) {
	testenv.Kcat(t)
	curl, err := exec.LookPath("curl")
	if err != nil {
		testenv.Missing(t, "curl", "apt-get install -y curl")
	}
	ctx := context.Background()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	r := startRig(t, l, testenv.SQLite(t))
	createAdvancing(t, r.cc, "src", `[{"partition":{"server":"db1"},"offset":{"txId":3,"lsn":1000}}]`)
	time.Sleep(1500 * time.Millisecond)

	// 1. curl PATCH on the stopped connector.
	if err := r.cc.Stop(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.cc.WaitFor(ctx, "src", connect.Stopped, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	out, err := exec.Command(curl, "-sS", "-f", "-X", "PATCH", "-H", "Content-Type: application/json",
		"--data", `{"offsets":[{"partition":{"server":"db1"},"offset":{"txId":3,"lsn":1200}}]}`,
		l.ConnectURL()+"/connectors/src/offsets").CombinedOutput()
	if err != nil {
		t.Fatalf("curl PATCH: %v %s", err, out)
	}
	e := waitUnaudited(t, r, "src", 0)
	if !strings.Contains(e.Reason, "STOPPED") || string(e.After) != javaJSON(t, `{"txId":3,"lsn":1200}`) || string(e.Before) == "null" {
		t.Errorf("PATCH entry: %+v", e)
	}

	// 2. A tombstone with kcat (connector still stopped).
	kcatProduce(t, l.KafkaAddr(), `["src",{"server":"db1"}]`+"\t")
	e = waitUnaudited(t, r, "src", 1)
	if !strings.Contains(e.Reason, "tombstone") || string(e.After) != "null" || string(e.Before) != javaJSON(t, `{"txId":3,"lsn":1200}`) {
		t.Errorf("tombstone entry: %+v", e)
	}

	// 3. A record written straight to the topic while the task runs, moving
	// the position back.
	if err := r.cc.Resume(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.cc.WaitFor(ctx, "src", connect.Running, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(800 * time.Millisecond)
	kcatProduce(t, l.KafkaAddr(), `["src",{"server":"db1"}]`+"\t"+`{"txId":3,"lsn":5}`)
	e = waitUnaudited(t, r, "src", 2)
	// kcat writes the bytes as given, not in Java's key order.
	if !strings.Contains(e.Reason, "backwards") || string(e.After) != `{"txId":3,"lsn":5}` {
		t.Errorf("direct write entry: %+v", e)
	}

	// Exactly those three, however many writes the task made.
	time.Sleep(500 * time.Millisecond)
	h, err := journal.ReadHistory(ctx, r.store, journal.HistoryOptions{Connector: "src"})
	if err != nil {
		t.Fatal(err)
	}
	var flagged []string
	for _, e := range h.Entries {
		if e.Unaudited {
			flagged = append(flagged, e.Reason)
		}
	}
	if len(flagged) != 3 || len(h.Entries) < 5 {
		t.Errorf("%d entries, unaudited %q; want exactly the 3 outside changes", len(h.Entries), flagged)
	}
}

// Sink connectors' group commits are journaled too; a rewind through the
// REST API is flagged, and the state at an instant holds the group offsets.
func TestSinkGroupCommitsJournaled(t *testing.T) {
	ctx := context.Background()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	r := startRig(t, l, testenv.SQLite(t))
	if err := l.Cluster().CreateTopic("orders", 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := r.cc.Create(ctx, connect.CreateRequest{Name: "snk", Config: map[string]string{
		"connector.class": scripted.SinkClass, "topics": "orders"}}); err != nil {
		t.Fatal(err)
	}
	var ws []kafkatest.Write
	for i := range 20 {
		ws = append(ws, kafkatest.Write{Key: []byte(fmt.Sprint(i)), Value: []byte(`{"v":1}`)})
	}
	if err := kafkatest.Produce(ctx, l.KafkaAddr(), "orders", ws); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if err := r.cc.Stop(ctx, "snk"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.cc.WaitFor(ctx, "snk", connect.Stopped, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	before := time.Now()
	if _, err := r.cc.AlterOffsets(ctx, "snk", cdcops.ConnectorOffsets{Offsets: []cdcops.ConnectorOffset{{
		Partition: json.RawMessage(`{"kafka_topic":"orders","kafka_partition":0}`), Offset: json.RawMessage(`{"kafka_offset":5}`)}}}); err != nil {
		t.Fatal(err)
	}
	e := waitUnaudited(t, r, "snk", 0)
	if !strings.Contains(e.Reason, "backwards") || compactJSON(t, e.After) != `{"kafka_offset":5}` || compactJSON(t, e.Before) != `{"kafka_offset":20}` {
		t.Errorf("sink rewind entry: %+v", e)
	}
	for _, tc := range []struct {
		at   time.Time
		want int64
	}{{before, 20}, {time.Now(), 5}} {
		snap, _, err := journal.SnapshotAt(ctx, r.store, journal.AtOptions{Connectors: []string{"snk"}, At: tc.at})
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Content.Groups) != 1 || len(snap.Content.Groups[0].Offsets) != 1 || snap.Content.Groups[0].Offsets[0] != (cdcops.PartitionOffset{Topic: "orders", Offset: tc.want}) ||
			snap.Content.Groups[0].Group != "connect-snk" {
			t.Errorf("groups at %s: %+v, want orders[0]@%d", tc.at, snap.Content.Groups, tc.want)
		}
	}
}

func compactJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Acceptance (issue 12): Debezium's set-binlog-position signal moves a
// connector's position back behind cdcops's back; on the lab source, which
// honours the signal, the journal flags it within 5 s.
func TestSetBinlogPositionSignalIsUnaudited(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	dir := t.TempDir()
	srcDSN := "sqlite://" + filepath.Join(dir, "source.db")
	src := testenv.Open(t, srcDSN)
	if _, err := src.ExecContext(ctx, `CREATE TABLE debezium_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)`); err != nil {
		t.Fatal(err)
	}
	r := startRig(t, l, testenv.SQLite(t))
	p, err := sqlpipe.SetupPipeline(ctx, r.cc, sqlpipe.PipelineOptions{Dir: dir, Kafka: l.KafkaAddr(), PollInterval: 50 * time.Millisecond,
		SourceConfig: map[string]string{sqlpipe.KeySignalChannels: "source", sqlpipe.KeySignalCollection: "main.debezium_signal", sqlpipe.KeyGapWait: "100", sqlpipe.KeyHeartbeat: "1000"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.cc.WaitFor(ctx, p.Source, connect.Running, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	sink := testenv.Open(t, p.SinkDSN)
	if _, err := sqlpipe.Load(ctx, src, sqlpipe.LoadOptions{Tables: []string{"customers"}, Changes: 100, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlpipe.WaitInSync(ctx, src, sink, []string{"customers"}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if _, err := src.ExecContext(ctx, `INSERT INTO debezium_signal VALUES ('rewind-1', 'set-binlog-position', '{"binlog_filename":"lab","binlog_position":10}')`); err != nil {
		t.Fatal(err)
	}
	e := waitUnaudited(t, r, p.Source, 0)
	if !strings.Contains(e.Reason, "backwards") || !strings.Contains(compactJSON(t, e.After), `"pos":10`) {
		t.Errorf("set-binlog-position entry: %+v", e)
	}
	// Nothing after it is flagged (the lab, like Debezium, takes the new
	// position on the task's restart).
	time.Sleep(1500 * time.Millisecond)
	h, err := journal.ReadHistory(ctx, r.store, journal.HistoryOptions{Connector: p.Source})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range h.Entries {
		if e.Unaudited {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d unaudited entries, want only the signal's", n)
	}
}
