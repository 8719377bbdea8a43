package backup

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/kafka/kafkatest"
)

// noConnect is a Connect URL nothing listens on: topic reads go on
// without metadata, REST reads fail.
const noConnect = "http://127.0.0.1:1"

// kfakeSources starts a kfake broker holding ws in its offsets topic.
func kfakeSources(t *testing.T, ws []kafkatest.Write) Sources {
	t.Helper()
	_, addr := kafkatest.Cluster(t)
	if len(ws) > 0 {
		if err := kafkatest.Produce(context.Background(), addr, kafkatest.OffsetsTopic, ws); err != nil {
			t.Fatal(err)
		}
	}
	return Sources{Connect: connect.New(noConnect), Bootstrap: addr}
}

func TestCollectTopicIsLastWriteWinsInScope(t *testing.T) {
	ctx := context.Background()
	wl := kafkatest.Debezium(8, 3)
	junk := kafkatest.Write{Key: []byte(`not-a-connect-key`), Value: []byte(`{"lsn":1}`)}
	src := kfakeSources(t, append(wl.Writes, junk))
	want := kafkatest.LastWriteWins(wl.Writes)

	all, err := Collect(ctx, src, Options{All: true, Via: "topic", AllowPartial: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Content.Records) != len(want)+1 {
		t.Fatalf("%d records, want %d last-write-wins keys + 1 malformed", len(all.Content.Records), len(want))
	}
	for _, r := range all.Content.Records {
		if r.Malformed {
			if string(r.RawKey) != string(junk.Key) {
				t.Errorf("unexpected malformed key %q", r.RawKey)
			}
			continue
		}
		if v, ok := want[string(r.RawKey)]; !ok || !bytes.Equal(v, r.RawValue) {
			t.Errorf("key %s: %s, want %s", r.RawKey, r.RawValue, v)
		}
	}
	m := all.Meta
	if m.Via != "topic" || len(m.Scope) != 1 || m.Scope[0] != "*" || m.KafkaClusterID != "kfake-test-cluster" ||
		len(m.Topics) != 1 || m.Topics[0].Name != kafkatest.OffsetsTopic || m.ConnectURL != noConnect {
		t.Errorf("meta %+v", m)
	}

	// A named scope holds that connector's keys only, and no malformed ones.
	const name = "dbz-0001"
	n := 0
	for k := range want {
		if ns, ok := kafka.KeyNamespace([]byte(k)); ok && ns == name {
			n++
		}
	}
	if n == 0 {
		t.Fatalf("workload has no live keys for %s", name)
	}
	one, err := Collect(ctx, src, Options{Names: []string{name}, Via: "topic", AllowPartial: true, Topics: []string{kafkatest.OffsetsTopic}})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Content.Records) != n {
		t.Errorf("%d records for %s, want %d", len(one.Content.Records), name, n)
	}
	for _, r := range one.Content.Records {
		if r.Malformed || r.Connector != name {
			t.Errorf("record out of scope: %+v", r)
		}
	}
	if len(one.Meta.Topics) != 1 || one.Meta.Topics[0].Reason != "named with --topic" {
		t.Errorf("explicit topic: %+v", one.Meta.Topics)
	}

	// Reading the same scope again gives the same content hash input.
	scope := ScopeOf(one)
	scope.AllowPartial = true // noConnect: the topics alone
	again, err := Collect(ctx, src, scope)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Content.Records) != n || again.Meta.Scope[0] != name {
		t.Errorf("ScopeOf read back %d records, scope %v", len(again.Content.Records), again.Meta.Scope)
	}
}

func TestCollectFailures(t *testing.T) {
	ctx := context.Background()
	src := kfakeSources(t, nil)
	if _, err := Collect(ctx, src, Options{All: true, Via: "rest"}); err == nil || !strings.Contains(err.Error(), "offsets via REST") {
		t.Errorf("REST without Connect: %v", err)
	}
	_, err := Collect(ctx, Sources{Connect: connect.New(noConnect), Bootstrap: "127.0.0.1:1"}, Options{All: true, Via: "topic", AllowPartial: true})
	if code := cdcops.ErrorCodeOf(err); err == nil || code != cdcops.EUNAVAILABLE {
		t.Errorf("unreachable broker: %v (code %s)", err, code)
	}
	// An empty offsets topic is an empty snapshot (Take refuses to store it).
	s, err := Collect(ctx, src, Options{All: true, Via: "topic", AllowPartial: true})
	if err != nil || len(s.Content.Records) != 0 || len(s.Meta.Topics) != 1 {
		t.Errorf("empty offsets topic: %v %+v", err, s)
	}
}
