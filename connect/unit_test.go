package connect

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
)

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Version
		err  bool
	}{
		{"3.7.0", Version{3, 7, 0}, false},
		{"3.8.0-SNAPSHOT", Version{3, 8, 0}, false},
		{"3.4", Version{3, 4, 0}, false},
		{"7.5.0-ccs", Version{3, 5, 0}, false}, // Confluent Platform 7.5 ships AK 3.5
		{"8.0.1-ce", Version{4, 0, 1}, false},
		{"2.8.2", Version{2, 8, 2}, false},
		{"banana", Version{}, true},
		{"3.x.0", Version{}, true},
	} {
		got, err := ParseVersion(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v, err=%v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestCapabilitiesBoundaries(t *testing.T) {
	for _, tc := range []struct {
		v                                  string
		stop, get, alter, reset, init, pat bool
	}{
		{"3.4.1", false, false, false, false, false, false},
		{"3.5.0", true, true, false, false, false, false},
		{"3.6.2", true, true, true, true, false, false},
		{"3.7.0", true, true, true, true, true, false},
		{"3.8.0", true, true, true, true, true, true},
		{"4.0.0", true, true, true, true, true, true},
	} {
		k := CapabilitiesOf(ServerInfo{Version: tc.v})
		got := [6]bool{k.Stop, k.GetOffsets, k.AlterOffsets, k.ResetOffsets, k.InitialState, k.PatchConfig}
		want := [6]bool{tc.stop, tc.get, tc.alter, tc.reset, tc.init, tc.pat}
		if got != want || !k.Known {
			t.Errorf("%s: capabilities %v, want %v", tc.v, got, want)
		}
	}
	if k := CapabilitiesOf(ServerInfo{Version: "weird"}); k.Known || !k.AlterOffsets {
		t.Errorf("unparseable version should assume every endpoint and let the worker answer: %+v", k)
	}
}

// The PATCH body must carry partition/offset bytes exactly as given: key
// order is meaningful to Connect (HashMap order on the wire) and a Go map
// would sort it.
func TestEncodeOffsetsKeepsRawBytes(t *testing.T) {
	in := cdcops.ConnectorOffsets{Offsets: []cdcops.ConnectorOffset{
		{Partition: json.RawMessage(`{"server":"s","database":"db"}`), Offset: json.RawMessage(`{"lsn":9007199254740993,"txId":1.0}`)},
		{Partition: json.RawMessage(`{"server":"other"}`), Offset: nil},
		{Partition: json.RawMessage(` {"z":1,"a":2} `), Offset: json.RawMessage(`null`)},
	}}
	got, err := encodeOffsets(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"offsets":[{"partition":{"server":"s","database":"db"},"offset":{"lsn":9007199254740993,"txId":1.0}},` +
		`{"partition":{"server":"other"},"offset":null},{"partition":{"z":1,"a":2},"offset":null}]}`
	if string(got) != want {
		t.Fatalf("encoded\n%s\nwant\n%s", got, want)
	}
	_, err = encodeOffsets(cdcops.ConnectorOffsets{Offsets: []cdcops.ConnectorOffset{{Partition: json.RawMessage(`{"a":`)}}})
	if cdcops.ErrorCodeOf(err) != cdcops.EINVALID {
		t.Fatalf("broken partition JSON: got %v, want EINVALID", err)
	}
}

func TestDescribeShowsFirstTraceLine(t *testing.T) {
	s := &ConnectorStatus{Connector: State{State: "RUNNING"}, Tasks: []TaskState{
		{ID: 0, State: "RUNNING"},
		{ID: 1, State: "FAILED", Trace: "org.apache.kafka.connect.errors.ConnectException: boom\n\tat Foo.bar(Foo.java:1)"},
	}}
	got := Describe(s)
	want := "RUNNING, tasks 0 RUNNING, 1 FAILED (org.apache.kafka.connect.errors.ConnectException: boom)"
	if got != want {
		t.Fatalf("Describe = %q, want %q", got, want)
	}
	if got := Describe(&ConnectorStatus{Connector: State{State: "STOPPED"}}); got != "STOPPED, no tasks" {
		t.Fatalf("Describe(stopped) = %q", got)
	}
}

// A worker that is not there is EUNAVAILABLE with a hint naming the URL.
func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here any more
	c := New("http://" + addr)
	_, err = c.List(context.Background())
	if cdcops.ErrorCodeOf(err) != cdcops.EUNAVAILABLE {
		t.Fatalf("List on a closed port: %v (code %s), want EUNAVAILABLE", err, cdcops.ErrorCodeOf(err))
	}
	if h := cdcops.HintOf(err); !strings.Contains(h, "is Kafka Connect running at http://"+addr) || !strings.Contains(h, "--connect") {
		t.Fatalf("hint %q should name the URL and --connect", h)
	}
}
