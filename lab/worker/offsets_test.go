package worker_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/lab"
)

const framework = "The Connect framework-managed offsets for this connector have been %s successfully. However, if this connector manages offsets externally, they will need to be manually %s in the system that the connector uses."

func modified(kind string) string {
	return `{"message":"` + sprintf(framework, kind, kind) + `"}`
}

func produce(t *testing.T, l *lab.Lab, rs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(l.KafkaAddr()), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func TestSourceOffsetsLifecycle(t *testing.T) {
	l, r := newLab(t)
	r.do("POST", "/connectors", sourceBody("pg", pgOffsets, ""))
	r.waitState("pg", "RUNNING", "RUNNING", 1)
	want := `{"offsets":[{"partition":{"server":"dbserver1"},"offset":{"lsn":100,"txId":7}}]}`
	if !poll(func() bool { _, b := r.do("GET", "/connectors/pg/offsets", ""); return b == want }) {
		_, b := r.do("GET", "/connectors/pg/offsets", "")
		t.Fatalf("offsets never flushed: %s", b)
	}
	r.do("PUT", "/connectors/pg/stop", "")
	r.waitState("pg", "STOPPED", "", 0)

	// Nested values are a DataException (500), and nothing is written.
	r.wantErr("PATCH", "/connectors/pg/offsets", `{"offsets":[{"partition":{"server":"dbserver1"},"offset":{"lsn":1,"bad":{"a":1}}}]}`, 500,
		"Offsets may only contain primitive types as values, but field bad contains MAP")
	r.wantErr("PATCH", "/connectors/pg/offsets", `{"offsets":[{"partition":{"server":["x"]},"offset":{"lsn":1}}]}`, 500,
		"Offsets may only contain primitive types as values, but field server contains ARRAY")
	r.want("GET", "/connectors/pg/offsets", "", 200, want)

	// PATCH normalizes like the internal JsonConverter: HashMap order, longs, doubles.
	r.want("PATCH", "/connectors/pg/offsets", `{"offsets":[{"partition":{"database":"testDB","server":"server1"},"offset":{"f":1.0,"commit_lsn":"0000002a:00000bb8:0003"}},{"partition":{"server":"dbserver1"},"offset":{"lsn":5}}]}`, 200, modified("altered"))
	r.want("GET", "/connectors/pg/offsets", "", 200,
		`{"offsets":[{"partition":{"server":"dbserver1"},"offset":{"lsn":5}},{"partition":{"server":"server1","database":"testDB"},"offset":{"f":1.0,"commit_lsn":"0000002a:00000bb8:0003"}}]}`)

	// A null offset is a tombstone for that partition only.
	r.want("PATCH", "/connectors/pg/offsets", `{"offsets":[{"partition":{"server":"dbserver1"},"offset":null}]}`, 200, modified("altered"))
	r.want("GET", "/connectors/pg/offsets", "", 200, `{"offsets":[{"partition":{"server":"server1","database":"testDB"},"offset":{"f":1.0,"commit_lsn":"0000002a:00000bb8:0003"}}]}`)

	// Every read re-reads the topic: a record written behind the worker's
	// back shows up, keys that are not [string, object] are ignored, other
	// connectors' keys are not ours.
	key, _ := connectjson.OffsetKey("pg", connectjson.Object{{Key: "server", Value: "direct"}})
	produce(t, l,
		&kgo.Record{Topic: "connect-offsets", Key: key, Value: []byte(`{"lsn":9}`)},
		&kgo.Record{Topic: "connect-offsets", Key: []byte(`"pg"`), Value: []byte(`{"lsn":1}`)},
		&kgo.Record{Topic: "connect-offsets", Key: []byte(`["other",{"server":"x"}]`), Value: []byte(`{"lsn":1}`)})
	r.want("GET", "/connectors/pg/offsets", "", 200,
		`{"offsets":[{"partition":{"server":"direct"},"offset":{"lsn":9}},{"partition":{"server":"server1","database":"testDB"},"offset":{"f":1.0,"commit_lsn":"0000002a:00000bb8:0003"}}]}`)

	// DELETE tombstones every partition; doing it again still succeeds.
	r.want("DELETE", "/connectors/pg/offsets", "", 200, modified("reset"))
	r.want("GET", "/connectors/pg/offsets", "", 200, `{"offsets":[]}`)
	r.want("DELETE", "/connectors/pg/offsets", "", 200, modified("reset"))
	r.want("GET", "/connectors/other/offsets", "", 404, `{"error_code":404,"message":"Connector other not found"}`)
}

// A resumed source continues from the offsets written while it was
// stopped, not from its script: that is what makes a restore stick.
func TestResumeContinuesFromAlteredOffset(t *testing.T) {
	_, r := newLab(t)
	r.do("POST", "/connectors", sourceBody("pg", pgOffsets, `,"lab.advance":"true","offset.flush.interval.ms":"50"`))
	r.waitState("pg", "RUNNING", "RUNNING", 1)
	r.do("PUT", "/connectors/pg/stop", "")
	r.waitState("pg", "STOPPED", "", 0)
	r.want("PATCH", "/connectors/pg/offsets", `{"offsets":[{"partition":{"server":"dbserver1"},"offset":{"lsn":100000,"txId":1000000}}]}`, 200, modified("altered"))
	r.do("PUT", "/connectors/pg/resume", "")
	// The script says lsn 100, txId 7; advancing from the altered offset
	// keeps lsn 100000 and moves txId past 1000000.
	ok := poll(func() bool {
		_, b := r.do("GET", "/connectors/pg/offsets", "")
		var body struct {
			Offsets []struct {
				Offset struct{ Lsn, TxID int64 } `json:"offset"`
			} `json:"offsets"`
		}
		if json.Unmarshal([]byte(b), &body) != nil || len(body.Offsets) != 1 {
			t.Fatalf("offsets body %s", b)
		}
		o := body.Offsets[0].Offset
		if o.Lsn != 100000 {
			t.Fatalf("resumed task went back to its script: %s", b)
		}
		return o.TxID > 1000000
	})
	if !ok {
		_, b := r.do("GET", "/connectors/pg/offsets", "")
		t.Fatalf("advance from the altered offset not seen; now %s", b)
	}
}

func TestSuspendedFlushKeepsOffsetsStale(t *testing.T) {
	l, r := newLab(t)
	resume := l.Worker().SuspendOffsetFlush("pg")
	r.do("POST", "/connectors", sourceBody("pg", pgOffsets, ""))
	r.waitState("pg", "RUNNING", "RUNNING", 1)
	r.do("PUT", "/connectors/pg/stop", "") // even the final flush is suspended
	r.waitState("pg", "STOPPED", "", 0)
	r.want("GET", "/connectors/pg/offsets", "", 200, `{"offsets":[]}`)
	resume()
	r.do("PUT", "/connectors/pg/resume", "")
	if !poll(func() bool { _, b := r.do("GET", "/connectors/pg/offsets", ""); return b != `{"offsets":[]}` }) {
		t.Fatal("offsets never flushed after resume")
	}
}

// lab.advance keeps bumping the field the script names last (lsn), also
// after a restart, when the committed offset comes back in Java HashMap
// order with ts_usec last.
func TestAdvanceSameFieldAfterRestart(t *testing.T) {
	_, r := newLab(t)
	script := `[{"partition":{"server":"dbserver1"},"offset":{"ts_usec":1700000000000000,"txId":780,"lsn":100}}]`
	r.do("POST", "/connectors", sourceBody("pg", script, `,"lab.advance":"true","offset.flush.interval.ms":"50"`))
	r.waitState("pg", "RUNNING", "RUNNING", 1)
	// offset is the stored lsn; it fails the test if anything else moved.
	offset := func() int64 {
		_, b := r.do("GET", "/connectors/pg/offsets", "")
		var body struct {
			Offsets []struct {
				Offset struct {
					Lsn    int64 `json:"lsn"`
					TxID   int64 `json:"txId"`
					TsUsec int64 `json:"ts_usec"`
				} `json:"offset"`
			} `json:"offsets"`
		}
		if err := json.Unmarshal([]byte(b), &body); err != nil || len(body.Offsets) != 1 {
			return 0
		}
		o := body.Offsets[0].Offset
		if o.TxID != 780 || o.TsUsec != 1700000000000000 {
			t.Fatalf("advance moved a field other than lsn: %s", b)
		}
		return o.Lsn
	}
	if !poll(func() bool { return offset() > 100 }) {
		t.Fatal("lsn never advanced")
	}
	r.do("PUT", "/connectors/pg/stop", "")
	r.waitState("pg", "STOPPED", "", 0)
	stopped := offset()
	r.do("PUT", "/connectors/pg/resume", "")
	if !poll(func() bool { return offset() > stopped }) {
		t.Fatalf("lsn stayed at %d after the restart", stopped)
	}
}
