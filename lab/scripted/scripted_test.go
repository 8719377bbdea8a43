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
	got := advanced(o)
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
	if got := advanced(none); len(got) != 1 || got[0].Value != "f" {
		t.Fatalf("no numeric field: %v", got)
	}
}

func TestSinkTaskConfigsHonourTasksMax(t *testing.T) {
	tcs, _ := Sink{}.TaskConfigs(map[string]string{"tasks.max": "2", "topics": "a"}, 3)
	if len(tcs) != 2 || tcs[1]["topics"] != "a" {
		t.Fatalf("task configs %v", tcs)
	}
}
