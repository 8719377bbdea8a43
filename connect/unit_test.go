package connect

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

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
		// Delta K1: CP 5.3-5.5 = AK 2.3-2.5, CP 6.0-6.2 = AK 2.6-2.8, CP 8.4 dev builds say "-0-ccs".
		{"5.3.1-ccs", Version{2, 3, 1}, false},
		{"5.5.0-ccs", Version{2, 5, 0}, false},
		{"6.0.0-ccs", Version{2, 6, 0}, false},
		{"6.2.4-ccs", Version{2, 8, 4}, false},
		{"7.9.0-ccs", Version{3, 9, 0}, false},
		{"8.4.0-0-ccs", Version{4, 4, 0}, false},
		{"8.0.0-ccs", Version{4, 0, 0}, false},
		{"5.0.0", Version{5, 0, 0}, false}, // a plain AK 5.0 is not CP
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
		{"6.2.0-ccs", false, false, false, false, false, false}, // AK 2.8: nothing of KIP-875 (delta K1)
		{"5.5.1-ccs", false, false, false, false, false, false},
		{"8.4.0-0-ccs", true, true, true, true, true, true},
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

// A status read right after a 202 restart can still be the old RUNNING;
// RestartedFrom only accepts RUNNING once the restart was seen (or after
// the grace period).
func TestRestartedFromWaitsForTheRestart(t *testing.T) {
	running := &ConnectorStatus{Connector: State{State: "RUNNING"}, Tasks: []TaskState{{ID: 0, State: "RUNNING"}}}
	restarting := &ConnectorStatus{Connector: State{State: "RUNNING"}, Tasks: []TaskState{{ID: 0, State: "RESTARTING"}}}
	plan := &ConnectorStatus{Connector: State{State: "RUNNING"}, Tasks: []TaskState{{ID: 0, State: "RESTARTING"}}}

	w := RestartedFrom(plan, time.Hour)
	if w.Done(running) {
		t.Fatal("RUNNING before the restart was seen counted as done")
	}
	if w.Done(restarting) {
		t.Fatal("RESTARTING counted as done")
	}
	if !w.Done(running) {
		t.Fatal("RUNNING after RESTARTING not done")
	}
	if w := RestartedFrom(plan, 0); !w.Done(running) {
		t.Fatal("after the grace period RUNNING must be enough")
	}
	if w := RestartedFrom(nil, time.Hour); !w.Done(running) {
		t.Fatal("a 204 restart (nil plan) waits for RUNNING only")
	}
	healthy := &ConnectorStatus{Connector: State{State: "RUNNING"}, Tasks: []TaskState{{ID: 0, State: "RUNNING"}}}
	if w := RestartedFrom(healthy, time.Hour); !w.Done(running) {
		t.Fatal("a plan with nothing RESTARTING (onlyFailed on a healthy connector) waits for RUNNING only")
	}
}

// Every §1.5 row mapped to a cdcops code, including the ones a single lab
// worker cannot produce (no leader, forwarding failed, request timeout).
func TestClassifySpecRows(t *testing.T) {
	c := New("http://connect:8083")
	for _, tc := range []struct {
		status    int
		path, msg string
		code      cdcops.ErrorCode
		retry     bool
		hint      string
	}{
		{400, "/connectors/a/offsets", "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/a/stop' endpoint", cdcops.ECONFLICT, false, "run `cdcops connectors stop a` first"},
		{400, "/connectors/a/offsets", "Partitions / offsets need to be provided for an alter offsets request", cdcops.EINVALID, false, ""},
		{400, "/connectors/a/offsets", "The partition for a sink connector offset cannot be null or missing", cdcops.EINVALID, false, ""},
		{400, "/connectors/a/config", "Connector name configuration (b) doesn't match connector name in the URL (a)", cdcops.EINVALID, false, ""},
		{404, "/connectors/a/offsets", "Connector a not found", cdcops.ENOTFOUND, false, "cdcops connectors list --connect http://connect:8083"},
		{404, "/connectors/a/status", "No status found for connector a", cdcops.ENOTFOUND, false, "cdcops connectors list"},
		{404, "/connectors/a/pause", "Unknown connector a", cdcops.ENOTFOUND, false, "cdcops connectors list"},
		{409, "/connectors/a/restart", "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)", cdcops.ECONFLICT, true, "rebalancing"},
		{409, "/connectors/a/restart", "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.", cdcops.ECONFLICT, true, "rebalancing"},
		{409, "/connectors/a/offsets", "Cannot complete request because of a conflicting operation (e.g. worker rebalance)", cdcops.ECONFLICT, true, "rebalancing"},
		{409, "/connectors", "Connector a already exists", cdcops.ECONFLICT, false, "cdcops connectors delete a"},
		{500, "/connectors/a/offsets", "Request timed out", cdcops.EUNAVAILABLE, false, "request timeout"},
		{500, "/connectors/a/offsets", "Offsets may only contain primitive types as values, but field pos contains MAP", cdcops.EINVALID, false, ""},
		{500, "/connectors/a/offsets", "Failed to reset consumer group offsets for connector a either because its tasks haven't stopped completely yet", cdcops.ECONFLICT, false, "cdcops connectors stop a"},
		{403, "/connectors/a/topics", "Topic tracking is disabled.", cdcops.ECONFLICT, false, ""},
	} {
		body, _ := json.Marshal(ErrorBody{ErrorCode: tc.status, Message: tc.msg})
		ae := newAPIError("PUT", tc.path, &response{status: tc.status, body: body})
		if ae.retryable() != tc.retry {
			t.Errorf("%d %q: retryable=%v, want %v", tc.status, tc.msg, ae.retryable(), tc.retry)
		}
		err := c.classify(ae)
		if cdcops.ErrorCodeOf(err) != tc.code || !strings.Contains(cdcops.HintOf(err), tc.hint) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%d %q: %v (code %s, hint %q), want code %s, hint containing %q", tc.status, tc.msg, err, cdcops.ErrorCodeOf(err), cdcops.HintOf(err), tc.code, tc.hint)
		}
		if got, ok := AsAPIError(err); !ok || got.Message != tc.msg || got.ErrorCode != tc.status {
			t.Errorf("%d %q: APIError not reachable with the worker's message: %+v", tc.status, tc.msg, got)
		}
	}
}
