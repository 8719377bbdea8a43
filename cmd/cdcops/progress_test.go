package main

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProgressBar(t *testing.T) {
	if got := progressBar(50, 200, "rows"); got != "[#######-----------------------]  25%  50/~200 rows" {
		t.Errorf("bar = %q", got)
	}
	if got := progressBar(500, 200, "rows"); !strings.Contains(got, " 99%") {
		t.Errorf("overrun estimate: %q", got)
	}
	if got := progressBar(5, 0, "rows"); got != "5 rows" {
		t.Errorf("no estimate: %q", got)
	}
}

// lockedBuffer is a bytes.Buffer the drawing goroutine can share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// On a terminal a long step draws its line and clears it at the end; a
// short one draws nothing; piped, nothing is ever written.
func TestProgressDrawsOnlyForAPerson(t *testing.T) {
	var w lockedBuffer
	stop := drawProgress(&w, true, "reconcile t", func() string { return "42 rows" }, 0, time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(w.String(), "reconcile t 42 rows") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	stop()
	stop() // idempotent
	out := w.String()
	if !strings.Contains(out, "\rreconcile t 42 rows") && !strings.Contains(out, "\r\033[Kreconcile t 42 rows") {
		t.Fatalf("no progress line drawn: %q", out)
	}
	if !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("line not cleared at the end: %q", out)
	}
	var quick lockedBuffer
	drawProgress(&quick, true, "x", nil, time.Hour, time.Millisecond)()
	if quick.String() != "" {
		t.Errorf("a step shorter than the delay drew %q", quick.String())
	}
	var piped lockedBuffer
	stop = drawProgress(&piped, false, "x", nil, 0, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	stop()
	if piped.String() != "" {
		t.Errorf("piped stderr got %q", piped.String())
	}
	// Files, pipes and /dev/null are not terminals.
	r, pw, _ := os.Pipe()
	defer r.Close()
	defer pw.Close()
	null, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer null.Close()
	for _, f := range []*os.File{pw, null} {
		if (&globals{stderr: f}).stderrIsTerminal() {
			t.Errorf("%s counted as a terminal", f.Name())
		}
	}
}
