package monitor

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a webhook endpoint that keeps every body it gets.
type receiver struct {
	mu     sync.Mutex
	bodies []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, string(b))
	r.mu.Unlock()
}

func (r *receiver) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.bodies
	r.bodies = nil
	return out
}

func reportWith(status Status, reasons ...string) *Report {
	return &Report{Connectors: []Connector{{Name: "orders-sink", Type: "sink", Status: status, Severity: status.Severity(), Reasons: reasons}}}
}

// Firing, resend after the interval, escalation, resolved; nothing sent
// for an unchanged alert within the resend interval or below threshold.
func TestNotifierLifecycle(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	hooks := []WebhookConfig{{URL: srv.URL + "/hook?token=T0KEN"}}
	cfg, err := Config{Webhooks: hooks}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	n := NewNotifier(cfg.Webhooks, srv.Client(), clock)
	ctx := context.Background()
	step := func(rep *Report, wantStates ...string) []Notice {
		t.Helper()
		if err := n.Notify(ctx, rep); err != nil {
			t.Fatal(err)
		}
		var got []Notice
		for _, b := range rcv.take() {
			var nt Notice
			if err := json.Unmarshal([]byte(b), &nt); err != nil {
				t.Fatalf("payload %q: %v", b, err)
			}
			got = append(got, nt)
		}
		if len(got) != len(wantStates) {
			t.Fatalf("sent %+v, want states %v", got, wantStates)
		}
		for i, s := range wantStates {
			if got[i].State+"/"+string(got[i].Status) != s {
				t.Fatalf("notice %d: %s/%s, want %s", i, got[i].State, got[i].Status, s)
			}
		}
		return got
	}
	step(reportWith(OK))
	step(reportWith(WARN, "throughput dip"), "firing/WARN")
	now = now.Add(time.Minute)
	step(reportWith(WARN, "throughput dip")) // within resend: quiet
	step(reportWith(STALL, "stalled"), "firing/STALL")
	now = now.Add(2 * time.Hour)
	got := step(reportWith(STALL, "stalled"), "firing/STALL") // resend
	if !got[0].Since.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("since %v: should be when it started firing", got[0].Since)
	}
	step(reportWith(OK), "resolved/OK")
	step(reportWith(OK))
	step(reportWith(ERR, "x"), "firing/ERR")
	step(&Report{}, "resolved/OK") // connector deleted
}

// Planted secrets (in a trace-derived reason and a DSN) never reach a
// payload, in either format; a webhook error does not print its URL.
func TestNotifierNeverSendsSecrets(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	for _, format := range []string{"json", "slack"} {
		cfg, err := Config{Webhooks: []WebhookConfig{{URL: srv.URL, Format: format}}}.WithDefaults()
		if err != nil {
			t.Fatal(err)
		}
		n := NewNotifier(cfg.Webhooks, srv.Client(), nil)
		rep := reportWith(ERR, "task 0 FAILED: cannot connect to postgres://app:s3cretPW@db:5432/x password=hunter2",
			"source lag of pg: mysql://root:tops3cret@tcp(db:3306)/inv refused")
		if err := n.Notify(context.Background(), rep); err != nil {
			t.Fatal(err)
		}
		bodies := rcv.take()
		if len(bodies) != 1 {
			t.Fatalf("%s: %d payloads", format, len(bodies))
		}
		for _, secret := range []string{"s3cretPW", "hunter2", "tops3cret"} {
			if strings.Contains(bodies[0], secret) {
				t.Fatalf("%s payload carries secret %q: %s", format, secret, bodies[0])
			}
		}
		if !strings.Contains(bodies[0], "orders-sink") || !strings.Contains(bodies[0], "FAILED") {
			t.Fatalf("%s payload lost the finding: %s", format, bodies[0])
		}
		if format == "slack" {
			var s map[string]string
			if err := json.Unmarshal([]byte(bodies[0]), &s); err != nil || !strings.Contains(s["text"], "orders-sink") || len(s) != 1 {
				t.Fatalf("slack payload %s: %v", bodies[0], err)
			}
		}
	}
	// An unreachable hook: the error names its host, not the token path.
	cfg, _ := Config{Webhooks: []WebhookConfig{{URL: "http://127.0.0.1:1/services/T0/B0/SECRETTOKEN"}}}.WithDefaults()
	err := NewNotifier(cfg.Webhooks, nil, nil).Notify(context.Background(), reportWith(ERR, "x"))
	if err == nil || strings.Contains(err.Error(), "SECRETTOKEN") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("webhook error %v", err)
	}
}

func TestWebhookConfigErrors(t *testing.T) {
	for _, w := range []WebhookConfig{{URL: "ftp://x"}, {URL: "http://x", Format: "teams"}, {URL: "http://x", Threshold: "STOP"}} {
		if _, err := (Config{Webhooks: []WebhookConfig{w}}).WithDefaults(); err == nil {
			t.Fatalf("%+v accepted", w)
		}
	}
}
