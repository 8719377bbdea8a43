package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/monitor"
)

// monitorLab is a lab with a scripted PostgreSQL-shaped source whose
// offset has been flushed, and a config file mapping it to the local
// PostgreSQL as its source database.
func monitorLab(t *testing.T, ctx context.Context) (connectURL, kafka, config string) {
	t.Helper()
	l := testenv.Lab(t)
	c := connect.New(l.ConnectURL(), connect.WithPollInterval(50*time.Millisecond))
	createTestConnector(t, c, "inventory", "database.password", "hunter2")
	deadline := time.Now().Add(30 * time.Second)
	for {
		offs, err := c.Offsets(ctx, "inventory")
		if err == nil && len(offs.Offsets) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("inventory never flushed an offset: %v %v", offs, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	config = filepath.Join(t.TempDir(), "cdcops.yaml")
	yaml := fmt.Sprintf("monitor:\n  interval: 200ms\n  connectors:\n    inventory:\n      source: %s\n      slot: cdcops_no_such_slot\n", testenv.Postgres(t))
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return l.ConnectURL(), l.KafkaAddr(), config
}

// monitor --once -o json: source lag from the configured database; the
// missing slot is a lost position (ERR, exit 1); no secret printed.
func TestMonitorOnceJSON(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url, kafka, cfg := monitorLab(t, ctx)
	var out, errOut bytes.Buffer
	code := Main(ctx, []string{"--config", cfg, "--connect", url, "--bootstrap", kafka, "monitor", "--once", "-o", "json"}, strings.NewReader(""), &out, &errOut)
	if code != 1 {
		t.Fatalf("exit %d (want 1: a lost position is ERR); stderr %s", code, errOut.String())
	}
	var rep monitor.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, out.String())
	}
	if len(rep.Connectors) != 1 || rep.Errors == nil || rep.At.Location() != time.UTC {
		t.Fatalf("report: %+v", rep)
	}
	c := rep.Connectors[0]
	if c.Name != "inventory" || c.Source == nil || c.Source.LagBytes == nil || *c.Source.LagBytes <= 0 || c.Source.Retention.Risk != 2 || c.Severity != monitor.ERR {
		t.Fatalf("inventory: %+v source %+v", c, c.Source)
	}
	if c.Offsets == nil || c.Offsets.Topic != "connect-offsets" {
		t.Fatalf("offsets age: %+v", c.Offsets)
	}
	if strings.Contains(out.String(), "hunter2") || strings.Contains(errOut.String(), "hunter2") {
		t.Fatal("a connector secret was printed")
	}
	// Lists are [] and durations *_ms in the raw JSON.
	for _, want := range []string{`"reasons": [`, `"errors": []`, `"age_ms":`, `"interval_ms": 200`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	// The table form says the same.
	out.Reset()
	Main(ctx, []string{"--config", cfg, "--connect", url, "--bootstrap", kafka, "monitor", "--once"}, strings.NewReader(""), &out, &errOut)
	if !strings.Contains(out.String(), "inventory") || !strings.Contains(out.String(), "retention") {
		t.Fatalf("table:\n%s", out.String())
	}
}

func TestMonitorConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ yaml, want string }{
		{"monitor:\n  windw: 3\n", "windw"},
		{"monitor:\n  window: 1\n", "window"},
		{"monitor:\n  webhooks:\n    - url: ftp://x\n", "webhook"},
		{"monitor:\n  connectors:\n    s:\n      watermark:\n        table: t\n", "watermark"},
	} {
		f := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(f, []byte(c.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		code := Main(context.Background(), []string{"--config", f, "--bootstrap", "127.0.0.1:1", "monitor", "--once"}, strings.NewReader(""), &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), c.want) || !strings.Contains(errOut.String(), "Hint:") {
			t.Errorf("%q: exit %d, stderr %s", c.yaml, code, errOut.String())
		}
	}
}

func TestMonitorRules(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"monitor", "rules"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "groups:") || !strings.Contains(out.String(), "CdcopsLogPositionLost") {
		t.Fatalf("rules:\n%s", out.String())
	}
}

// serve answers /healthz at once, /readyz after a cycle, and /metrics with
// the documented names; it stops cleanly when its context ends.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url, kafka, cfg := monitorLab(t, ctx)
	g, _ := testGlobals(url, "table")
	g.bootstrap, g.configFile, g.getenv = kafka, cfg, func(string) string { return "" }
	if err := g.readConfig(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- runServe(sctx, g, serveOptions{Listen: "127.0.0.1:0", ready: ready, Monitor: monitorOptions{Interval: 200 * time.Millisecond}})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz %d", code)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := get("/readyz"); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz never became ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, body := get("/metrics")
	for _, want := range []string{`cdcops_connector_up{connector="inventory",type="source"}`, `cdcops_source_lag_bytes{connector="inventory"}`,
		`cdcops_log_retention_risk{connector="inventory"} 2`, `cdcops_offsets_age_seconds{connector="inventory"}`, "cdcops_monitor_last_cycle_timestamp_seconds"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s (status %d)", want, code)
		}
	}
	if strings.Contains(body, "hunter2") {
		t.Fatal("secret in /metrics")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

func TestServeBadListen(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"serve", "--listen", "256.0.0.1:x"}, strings.NewReader(""), &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "--listen") {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}

// Without --once, -o json prints one compact document per cycle (JSON Lines).
func TestMonitorLoopJSONLines(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url, kafka, cfg := monitorLab(t, ctx)
	g, out := testGlobals(url, "json")
	g.bootstrap, g.configFile, g.getenv = kafka, cfg, func(string) string { return "" }
	if err := g.readConfig(); err != nil {
		t.Fatal(err)
	}
	if err := runMonitor(ctx, g, monitorOptions{Cycles: 3, Interval: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), out.String())
	}
	var prev time.Time
	for _, l := range lines {
		var rep monitor.Report
		if err := json.Unmarshal([]byte(l), &rep); err != nil || len(rep.Connectors) != 1 || !rep.At.After(prev) {
			t.Fatalf("line %q: %v", l, err)
		}
		prev = rep.At
	}
}
