package scripted

import (
	"strings"
	"testing"

	"github.com/cdcops/cdcops/connectjson"
)

func TestParseOffsetsKeepsOrderAndTypes(t *testing.T) {
	es, err := parseOffsets(`[{"partition":{"database":"d","server":"s"},"offset":{"commit_lsn":"x","event_serial_no":1,"f":1.5}},{"partition":{"server":"p"},"offset":null}]`)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].partition[0].Key != "database" || es[1].offset != nil {
		t.Fatalf("parsed %+v", es)
	}
	if v, _ := es[0].offset.Get("event_serial_no"); v != int64(1) {
		t.Fatalf("integers must stay int64, got %T", v)
	}
}

func TestValidateRejectsBadScripts(t *testing.T) {
	for _, bad := range []string{`{`, `{"partition":{}}`, `[1]`, `[{"partition":"x","offset":{}}]`, `[{"partition":{},"offset":[1]}]`} {
		err := Source{}.Validate(map[string]string{KeyOffsets: bad})
		if err == nil || !strings.HasPrefix(err.Error(), "Invalid value "+bad+" for configuration lab.offsets: ") {
			t.Errorf("lab.offsets=%s: error %v", bad, err)
		}
	}
	if err := (Source{}).Validate(map[string]string{}); err != nil {
		t.Errorf("no offsets is valid: %v", err)
	}
}

func TestAdvancedBumpsLastNumber(t *testing.T) {
	o := connectjson.Object{{Key: "lsn", Value: int64(5)}, {Key: "ts", Value: 1.5}, {Key: "file", Value: "f"}}
	got := advanced(o, "")
	if v, _ := got.Get("ts"); v != 2.5 {
		t.Fatalf("ts = %v", v)
	}
	if v, _ := got.Get("lsn"); v != int64(5) {
		t.Fatalf("lsn changed: %v", v)
	}
	if v, _ := o.Get("ts"); v != 1.5 {
		t.Fatal("advanced must not modify its input")
	}
	none := connectjson.Object{{Key: "file", Value: "f"}}
	if got := advanced(none, ""); len(got) != 1 || got[0].Value != "f" {
		t.Fatalf("no numeric field: %v", got)
	}
}

// lab.advance bumps the last numeric field as the script writes it, also
// when the committed offset comes back in another (Java HashMap) order.
func TestAdvanceFieldComesFromTheScript(t *testing.T) {
	es, err := parseOffsets(`[{"partition":{"server":"s"},"offset":{"ts_usec":1700000000000000,"txId":780,"lsn":100,"file":"f"}},{"partition":{"server":"p"},"offset":null}]`)
	if err != nil {
		t.Fatal(err)
	}
	if es[0].advance != "lsn" || es[1].advance != "" {
		t.Fatalf("advance fields %q %q, want lsn and none", es[0].advance, es[1].advance)
	}
	stored := connectjson.Object{{Key: "lsn", Value: int64(100)}, {Key: "txId", Value: int64(780)}, {Key: "ts_usec", Value: int64(1700000000000000)}}
	got := advanced(stored, es[0].advance)
	if v, _ := got.Get("lsn"); v != int64(101) {
		t.Fatalf("lsn = %v, want 101", v)
	}
	if v, _ := got.Get("ts_usec"); v != int64(1700000000000000) {
		t.Fatalf("ts_usec moved: %v", v)
	}
	// An offset without the scripted field (altered through REST) still moves.
	altered := connectjson.Object{{Key: "pos", Value: int64(4)}, {Key: "file", Value: "f"}}
	if v, _ := advanced(altered, "lsn").Get("pos"); v != int64(5) {
		t.Fatalf("pos = %v, want 5", v)
	}
}

func TestSinkTaskConfigsHonourTasksMax(t *testing.T) {
	tcs, _ := Sink{}.TaskConfigs(map[string]string{"tasks.max": "2", "topics": "a"}, 3)
	if len(tcs) != 2 || tcs[1]["topics"] != "a" {
		t.Fatalf("task configs %v", tcs)
	}
}
