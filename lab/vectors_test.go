package lab_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
)

// The spec §3.3 test vectors: key bytes as Java's JsonConverter writes
// them and the partition of 25 murmur2 puts them in (verified in Java).
var vectors = []struct {
	connector string
	key       string
	partition int32
	offset    string // what the scripted source writes (any field order)
}{
	{"inventory-connector", `["inventory-connector",{"server":"dbserver1"}]`, 11,
		`{"lsn":37208504,"lsn_proc":37208504,"lsn_commit":37208504,"txId":780,"ts_usec":1700000000000000,"messageType":"UPDATE"}`},
	{"inventory-connector", `["inventory-connector",{"server":"server1"}]`, 8,
		`{"ts_sec":1700000000,"file":"mysql-bin.000003","pos":154,"row":1,"server_id":223344,"event":2}`},
	{"kafka", `["kafka",{"server":"tutorial"}]`, 6,
		`{"file":"mysql-bin.000003","pos":4711,"gtids":"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"}`},
	{"sqlserver-connector", `["sqlserver-connector",{"server":"server1","database":"testDB"}]`, 22,
		`{"commit_lsn":"0000002a:00000bb8:0003","change_lsn":"0000002a:00000bb8:0002","event_serial_no":1}`},
}

// startVectors runs ScriptedSources that write the vectors through the
// worker's offset flush. The SQL Server partition is scripted with
// database first: the worker must still write server first (HashMap order).
func startVectors(t *testing.T) *lab.Lab {
	t.Helper()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	partitions := map[string]string{
		`["inventory-connector",{"server":"dbserver1"}]`:                   `{"server":"dbserver1"}`,
		`["inventory-connector",{"server":"server1"}]`:                     `{"server":"server1"}`,
		`["kafka",{"server":"tutorial"}]`:                                  `{"server":"tutorial"}`,
		`["sqlserver-connector",{"server":"server1","database":"testDB"}]`: `{"database":"testDB","server":"server1"}`,
	}
	script := map[string][]string{}
	var order []string
	for _, v := range vectors {
		if _, ok := script[v.connector]; !ok {
			order = append(order, v.connector)
		}
		script[v.connector] = append(script[v.connector], `{"partition":`+partitions[v.key]+`,"offset":`+v.offset+`}`)
	}
	for _, name := range order {
		offsets, _ := json.Marshal("[" + strings.Join(script[name], ",") + "]")
		body := `{"name":"` + name + `","config":{"connector.class":"cdcops.lab.ScriptedSource","lab.offsets":` + string(offsets) + `}}`
		resp, err := http.Post(l.ConnectURL()+"/connectors", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("create %s: %d %s", name, resp.StatusCode, b)
		}
	}
	return l
}

type seen struct {
	partition int32
	value     []byte
}

// readOffsetsTopic reads connect-offsets with a plain franz-go consumer
// (none of the worker's code) until every vector key has shown up.
func readOffsetsTopic(t *testing.T, addr string) map[string]seen {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("connect-offsets"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := map[string]seen{}
	for len(got) < len(vectors) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("only %d of %d vector keys appeared in connect-offsets: %v", len(got), len(vectors), got)
		}
		fs.EachRecord(func(r *kgo.Record) { got[string(r.Key)] = seen{r.Partition, r.Value} })
	}
	return got
}

func TestOffsetsTopicBytesMatchJava(t *testing.T) {
	l := startVectors(t)
	got := readOffsetsTopic(t, l.KafkaAddr())
	for _, v := range vectors {
		s, ok := got[v.key]
		if !ok {
			t.Errorf("key %s not written (keys: %v)", v.key, keysOf(got))
			continue
		}
		if s.partition != v.partition {
			t.Errorf("key %s in partition %d, Java puts it in %d", v.key, s.partition, v.partition)
		}
		var gotV, wantV map[string]any
		if err := json.Unmarshal(s.value, &gotV); err != nil {
			t.Fatalf("value of %s is not JSON: %q", v.key, s.value)
		}
		_ = json.Unmarshal([]byte(v.offset), &wantV)
		if !reflect.DeepEqual(gotV, wantV) {
			t.Errorf("value of %s = %s, want the fields of %s", v.key, s.value, v.offset)
		}
		if strings.ContainsAny(string(s.value), " \n") {
			t.Errorf("value of %s is not compact: %q", v.key, s.value)
		}
	}
	// SQL Server: scripted database-first, written server-first.
	if _, ok := got[`["sqlserver-connector",{"database":"testDB","server":"server1"}]`]; ok {
		t.Error("SQL Server partition written in insertion (database-first) order")
	}
	if len(got) != len(vectors) {
		t.Errorf("unexpected extra keys: %v", keysOf(got))
	}
}

func keysOf(m map[string]seen) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
