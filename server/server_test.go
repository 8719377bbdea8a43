package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestEndpoints(t *testing.T) {
	var mu sync.Mutex
	var ready error = errors.New("last cycle failed: connect postgres://app:s3cret@db/x refused")
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "cdcops_test_gauge", Help: "a test gauge"})
	g.Set(7)
	h, err := Handler(Options{Collectors: []prometheus.Collector{g}, Ready: func() error { mu.Lock(); defer mu.Unlock(); return ready }})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h) }()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz %d %q", code, body)
	}
	if code, body := get("/readyz"); code != 503 || strings.Contains(body, "s3cret") || !strings.Contains(body, "last cycle failed") {
		t.Fatalf("/readyz not ready: %d %q", code, body)
	}
	mu.Lock()
	ready = nil
	mu.Unlock()
	if code, _ := get("/readyz"); code != 200 {
		t.Fatalf("/readyz ready: %d", code)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "cdcops_test_gauge 7") {
		t.Fatalf("/metrics %d:\n%s", code, body)
	}
	if code, _ := get("/nope"); code != 404 {
		t.Fatalf("/nope %d", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestListenBadAddress(t *testing.T) {
	if _, err := Listen("127.0.0.1:99999"); err == nil || !strings.Contains(err.Error(), "127.0.0.1:99999") {
		t.Fatalf("Listen: %v", err)
	}
}
