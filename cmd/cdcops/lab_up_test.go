package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
)

// lab up prints its addresses (-o json), serves until the context is
// cancelled (Ctrl-C), then shuts down cleanly and returns nil.
func TestLabUpServesUntilCancelled(t *testing.T) {
	g, out := testGlobals("", "json")
	ctx, cancel := context.WithCancel(context.Background())
	var info string
	opts := labUpOptions{kafka: "127.0.0.1:0", connect: "127.0.0.1:0", dir: t.TempDir(),
		ready: func(l *lab.Lab) {
			resp, err := http.Get(l.ConnectURL() + "/")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				info = string(b)
			}
			cancel() // what Ctrl-C does
		}}
	done := make(chan error, 1)
	go func() { done <- runLabUp(ctx, g, opts) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("lab up: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("lab up did not return after cancel")
	}
	var addrs labAddrs
	if err := json.Unmarshal(out.Bytes(), &addrs); err != nil {
		t.Fatalf("lab up -o json printed %q: %v", out.String(), err)
	}
	if !strings.HasPrefix(addrs.Kafka, "127.0.0.1:") || !strings.HasPrefix(addrs.Connect, "http://127.0.0.1:") || addrs.Dir == "" {
		t.Fatalf("addresses %+v", addrs)
	}
	if !strings.Contains(info, `"version":"4.4.0"`) {
		t.Fatalf("worker at %s answered %q", addrs.Connect, info)
	}
	// After shutdown nothing listens any more.
	if _, err := http.Get(addrs.Connect + "/"); err == nil {
		t.Fatal("worker still serving after lab up returned")
	}
}

func TestLabUpBadAddress(t *testing.T) {
	g, _ := testGlobals("", "table")
	err := runLabUp(context.Background(), g, labUpOptions{kafka: "10.1.2.3:9092", connect: "127.0.0.1:0"})
	if err == nil || cdcops.ErrorCodeOf(err) != cdcops.EINVALID || cdcops.HintOf(err) == "" {
		t.Fatalf("want an EINVALID error with a hint, got %v", err)
	}
	if !strings.Contains(err.Error(), "only listens on 127.0.0.1") {
		t.Fatalf("error %q does not say why", err)
	}
}

func TestLabUpPortInUse(t *testing.T) {
	l := testenv.Lab(t)
	g, _ := testGlobals("", "table")
	err := runLabUp(context.Background(), g, labUpOptions{kafka: "127.0.0.1:0", connect: strings.TrimPrefix(l.ConnectURL(), "http://")})
	if err == nil || cdcops.ErrorCodeOf(err) != cdcops.EUNAVAILABLE || cdcops.HintOf(err) == "" {
		t.Fatalf("want an EUNAVAILABLE error with a hint, got %v", err)
	}
}

// lab up --help names every connector class the lab registers.
func TestLabUpHelpListsEveryClass(t *testing.T) {
	help := newLabUpCmd(&globals{}).Long
	for class := range lab.DefaultPlugins() {
		if !strings.Contains(help, class) {
			t.Errorf("lab up --help does not list %s:\n%s", class, help)
		}
	}
}
