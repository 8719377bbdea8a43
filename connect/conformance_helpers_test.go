package connect_test

// Helpers of the REST conformance suite: it runs the connect client (and
// raw HTTP where the client hides status codes and bodies) against the
// lab's Connect-compatible worker and checks every row of spec §1.1 and
// §1.5 and the rules of §2.2–§2.5: status code, body shape, message text.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/worker"
)

const (
	sourceClass = "cdcops.lab.ScriptedSource"
	sinkClass   = "cdcops.lab.ScriptedSink"

	// Debezium-PostgreSQL-shaped offsets (spec §3.6) for ScriptedSource.
	pgOffsets = `[{"partition":{"server":"dbserver1"},"offset":{"lsn":37208504,"lsn_proc":37208504,"txId":780,"ts_usec":1700000000000000}}]`
	// Two partitions, so a reset of one can be told from a reset of all.
	twoOffsets = `[{"partition":{"server":"s1"},"offset":{"lsn":100,"txId":1}},{"partition":{"server":"s2"},"offset":{"lsn":200,"txId":2}}]`

	msgFrameworkAltered = "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses."
	msgFrameworkReset   = "The Connect framework-managed offsets for this connector have been reset successfully. However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses."
)

func msgNotStopped(name string) string {
	return "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/" + name + "/stop' endpoint"
}

// env is one lab plus a client pointed at it.
type env struct {
	t     *testing.T
	url   string
	kafka string
	c     *connect.Client
	ctx   context.Context
	// faults is the lab worker, for its fault hooks (nil on a real worker).
	faults *worker.Worker
	// offsetsTopic is the worker's offset.storage.topic.
	offsetsTopic string
	// version is the Connect version the target runs (keys byVersion);
	// real is true for a real Connect worker.
	version string
	real    bool
}

var nameSeq atomic.Int64

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, lab.Options{})
}

// newEnvWith is newEnv on a lab started with opts.
func newEnvWith(t *testing.T, opts lab.Options) *env {
	t.Helper()
	l := testenv.LabWith(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return &env{t: t, url: l.ConnectURL(), kafka: l.KafkaAddr(), version: "4.4.0", offsetsTopic: "connect-offsets",
		c: connect.New(l.ConnectURL(), connect.WithPollInterval(50*time.Millisecond)), ctx: ctx, faults: l.Worker()}
}

// name returns a connector name unique within the test binary.
func name(prefix string) string { return fmt.Sprintf("%s-%d", prefix, nameSeq.Add(1)) }

// rawResp is an HTTP answer as the wire carried it.
type rawResp struct {
	Status int
	Header http.Header
	Body   []byte
}

// raw sends one request without the client, so tests see what it hides.
func (e *env) raw(method, path, body string) rawResp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(e.ctx, method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return rawResp{Status: res.StatusCode, Header: res.Header, Body: b}
}

// expect checks a status and, when body is not "-", the exact body bytes
// ("" = empty body).
func (r rawResp) expect(t *testing.T, what string, status int, body string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: HTTP %d, want %d (body %s)", what, r.Status, status, r.Body)
	}
	if body != "-" && string(bytes.TrimSpace(r.Body)) != body {
		t.Errorf("%s: body %q, want %q", what, r.Body, body)
	}
}

// expectError checks Connect's error body {"error_code":N,"message":"…"}
// with error_code equal to the HTTP status and the exact message.
func (r rawResp) expectError(t *testing.T, what string, status int, message string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: HTTP %d, want %d (body %s)", what, r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: error Content-Type %q, want application/json", what, ct)
	}
	var eb map[string]any
	if err := json.Unmarshal(r.Body, &eb); err != nil {
		t.Errorf("%s: error body %q is not JSON: %v", what, r.Body, err)
		return
	}
	if len(eb) != 2 || eb["error_code"] != float64(status) {
		t.Errorf("%s: error body %s, want exactly {\"error_code\":%d,\"message\":…}", what, r.Body, status)
	}
	if eb["message"] != message {
		t.Errorf("%s: message\n  %q\nwant\n  %q", what, eb["message"], message)
	}
}

// expectRoutingError checks Jersey's own 404/405 for a path or method no
// resource has: Connect's error body, but sent without a Content-Type
// (seen on real 3.9.1 and 4.4.0: no resource method, so no media type).
func (r rawResp) expectRoutingError(t *testing.T, what string, status int, message string) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "" {
		t.Errorf("%s: Content-Type %q, want none (as Connect's Jersey routing errors)", what, ct)
	}
	r.Header = r.Header.Clone()
	r.Header.Set("Content-Type", "application/json")
	r.expectError(t, what, status, message)
}

// decode unmarshals a raw body, failing the test on error.
func decodeJSON[T any](t *testing.T, what string, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v (body %s)", what, err, b)
	}
	return v
}

// create makes a connector through the client and fails the test on error.
func (e *env) create(name string, config map[string]string, initialState string) *connect.ConnectorInfo {
	e.t.Helper()
	info, err := e.c.Create(e.ctx, connect.CreateRequest{Name: name, Config: config, InitialState: initialState})
	if err != nil {
		e.t.Fatalf("create %s: %v", name, err)
	}
	if e.real { // a real worker outlives the test: leave it clean (and free the replication slot)
		e.t.Cleanup(func() { _ = e.c.Delete(context.Background(), name) })
	}
	return info
}

func sourceConfig(offsets string, kv ...string) map[string]string {
	m := map[string]string{
		"connector.class":          sourceClass,
		"tasks.max":                "1",
		"lab.offsets":              offsets,
		"offset.flush.interval.ms": "100",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func sinkConfig(topic string, kv ...string) map[string]string {
	m := map[string]string{"connector.class": sinkClass, "tasks.max": "1", "topics": topic}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// waitFor polls the status until want holds.
func (e *env) waitFor(name string, want connect.Want) *connect.ConnectorStatus {
	e.t.Helper()
	st, err := e.c.WaitFor(e.ctx, name, want, 30*time.Second)
	if err != nil {
		e.t.Fatalf("wait for %s: %v", name, err)
	}
	return st
}

// stop stops a connector and waits for STOPPED with no tasks.
func (e *env) stop(name string) {
	e.t.Helper()
	if err := e.c.Stop(e.ctx, name); err != nil {
		e.t.Fatalf("stop %s: %v", name, err)
	}
	e.waitFor(name, connect.Stopped)
}

// offsetsMap reads GET offsets as partition JSON → offset JSON, both as
// the worker's exact bytes (offset "null" never appears in a GET).
func (e *env) offsetsMap(name string) map[string]string {
	e.t.Helper()
	o, err := e.c.Offsets(e.ctx, name)
	if err != nil {
		e.t.Fatalf("offsets of %s: %v", name, err)
	}
	m := map[string]string{}
	for _, x := range o.Offsets {
		if e.real && strings.HasPrefix(string(x.Partition), realPartitionPrefix) {
			continue // the real source's own position
		}
		m[string(x.Partition)] = string(x.Offset)
	}
	return m
}

// eventually polls f until it returns "" (done) or 20 s pass; the last
// complaint is the failure message. Lab states move asynchronously, like
// Connect's, so reads after a write must poll.
func (e *env) eventually(what string, f func() string) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitOffsets polls GET offsets until it equals want (partition → offset JSON).
func (e *env) waitOffsets(name string, want map[string]string) {
	e.t.Helper()
	e.eventually("offsets of "+name, func() string {
		got := e.offsetsMap(name)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Sprintf("got %v, want %v", got, want)
		}
		return ""
	})
}

// codeOf is the cdcops error code of err, for client-level checks.
func codeOf(err error) cdcops.ErrorCode { return cdcops.ErrorCodeOf(err) }
