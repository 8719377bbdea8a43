package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/journal"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/scripted"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// journalLab is a lab with an advancing source "src", a state store and a
// vault of its own, and `offsets journal` running until stop is called
// (done then yields its exit code).
type journalLab struct {
	run  func(args ...string) (int, string, string)
	cc   *connect.Client
	stop context.CancelFunc
	done chan int
	errs *syncBuffer // the journal's stderr
}

func startJournalLab(t *testing.T) *journalLab {
	t.Helper()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	dir := t.TempDir()
	base := []string{"--bootstrap", l.KafkaAddr(), "--connect", l.ConnectURL(),
		"--state", "sqlite://" + filepath.Join(dir, "state.db"), "--vault", "file://" + filepath.Join(dir, "vault")}
	run := func(ctx context.Context, stderr io.Writer, args ...string) (int, string) {
		var out bytes.Buffer
		return Main(ctx, append(append([]string{}, base...), args...), strings.NewReader(""), &out, stderr), out.String()
	}
	j := &journalLab{cc: connect.New(l.ConnectURL()), done: make(chan int, 1), errs: &syncBuffer{}}
	j.run = func(args ...string) (int, string, string) {
		var errb bytes.Buffer
		code, out := run(context.Background(), &errb, args...)
		return code, out, errb.String()
	}
	if _, err := j.cc.Create(context.Background(), connect.CreateRequest{Name: "src", Config: map[string]string{
		"connector.class": scripted.SourceClass, scripted.KeyAdvance: "true",
		scripted.KeyOffsets: `[{"partition":{"server":"db1"},"offset":{"txId":1,"lsn":100}}]`}}); err != nil {
		t.Fatal(err)
	}
	var jctx context.Context
	jctx, j.stop = context.WithCancel(context.Background())
	t.Cleanup(j.stop)
	go func() {
		code, _ := run(jctx, j.errs, "offsets", "journal", "--poll", "50ms")
		j.done <- code
	}()
	return j
}

// The journal commands end to end on the lab: `offsets journal` runs,
// `offsets history` shows the timeline with an unaudited PATCH,
// `offsets backup --at` stores the offsets of an earlier instant, which
// verifies and holds exactly the value of that instant.
func TestJournalCommandsOnLab(t *testing.T) {
	j := startJournalLab(t)
	run, cc, ctx := j.run, j.cc, context.Background()
	time.Sleep(1500 * time.Millisecond)
	mid := time.Now().UTC()
	time.Sleep(1000 * time.Millisecond)
	if err := cc.Stop(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	if _, err := cc.WaitFor(ctx, "src", connect.Stopped, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	body := cdcops.ConnectorOffsets{Offsets: []cdcops.ConnectorOffset{{Partition: json.RawMessage(`{"server":"db1"}`), Offset: json.RawMessage(`{"txId":1,"lsn":7}`)}}}
	if _, err := cc.AlterOffsets(ctx, "src", body); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)

	code, out, errOut := run("offsets", "history", "src", "-o", "json")
	if code != 0 {
		t.Fatalf("history: exit %d %s", code, errOut)
	}
	var h journal.History
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	var flagged, atMid []journal.Entry
	for _, e := range h.Entries {
		if e.Unaudited {
			flagged = append(flagged, e)
		}
		if !e.Time.After(mid) {
			atMid = append(atMid, e)
		}
	}
	if len(h.Entries) < 3 || len(flagged) != 1 || compact(flagged[0].After) != `{"lsn":7,"txId":1}` {
		t.Fatalf("history: %d entries, flagged %+v", len(h.Entries), flagged)
	}
	if len(atMid) == 0 {
		t.Fatal("no entry before the chosen instant")
	}
	want := compact(atMid[len(atMid)-1].After)

	code, out, errOut = run("offsets", "backup", "src", "--at", mid.Format(time.RFC3339Nano), "-o", "json")
	if code != 0 {
		t.Fatalf("backup --at: exit %d %s", code, errOut)
	}
	var res backup.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run("snapshots", "verify", res.ID); code != 0 {
		t.Errorf("verify of the journal snapshot: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run("snapshots", "show", res.ID, "-o", "json")
	if code != 0 {
		t.Fatalf("show: %d", code)
	}
	var snap cdcops.Snapshot
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Content.Records) != 1 || string(snap.Content.Records[0].RawValue) != want || snap.Meta.Via != "journal" {
		t.Errorf("snapshot at %s: %+v, want value %s", mid, snap.Content.Records, want)
	}
	// Monitoring takes offset staleness from the running journal.
	if code, _, errOut := run("monitor", "--once", "-o", "json"); code > 1 || !strings.Contains(errOut, "offsets journal") {
		t.Errorf("monitor --once with a running journal: exit %d, stderr %s", code, errOut)
	}
	// An instant after what the journal has seen is refused once it stops.
	j.stop()
	if code := <-j.done; code != 0 {
		t.Fatalf("journal exit %d: %s", code, j.errs.String())
	}
	if code, _, errOut := run("offsets", "backup", "src", "--at", "2099-01-01T00:00:00Z"); code != 2 || !strings.Contains(errOut, "future") {
		t.Errorf("future --at: exit %d %s", code, errOut)
	}
	if code, _, errOut := run("offsets", "history", "nosuch", "--partition", "{bad"); code != 2 {
		t.Errorf("bad --partition: exit %d %s", code, errOut)
	}
}

// Acceptance (issue 12): `offsets restore --to-time T --dry-run` proposes
// exactly the offsets the journal holds for T; the same plan applied
// through `plans apply` writes them, and the journal attributes that
// write to the plan instead of flagging it.
func TestRestoreToTimeOnLab(t *testing.T) {
	j := startJournalLab(t)
	run := j.run
	time.Sleep(2500 * time.Millisecond)
	at := time.Now().UTC().Add(-time.Second)
	time.Sleep(500 * time.Millisecond)

	_, out, _ := run("offsets", "history", "src", "--until", at.Format(time.RFC3339Nano), "-o", "json")
	var h journal.History
	if err := json.Unmarshal([]byte(out), &h); err != nil || len(h.Entries) == 0 {
		t.Fatalf("history up to T: %v %s", err, out)
	}
	want := compact(h.Entries[len(h.Entries)-1].After)

	// Stopped first: a running source moves on, which makes any plan stale.
	if code, _, errOut := run("connectors", "stop", "src"); code != 0 {
		t.Fatalf("stop: %d %s", code, errOut)
	}
	// The stopping task's last flush lands just before the lab reports
	// STOPPED: the task's, never flagged (journal judges by samples
	// answered before a write), so every entry is judged below.
	code, out, errOut := run("offsets", "restore", "src", "--to-time", at.Format(time.RFC3339Nano), "--dry-run", "-o", "json")
	if code != 0 {
		t.Fatalf("restore --to-time --dry-run: exit %d %s", code, errOut)
	}
	var p cdcops.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Connectors) != 1 || len(p.Connectors[0].Changes) != 1 || compact(p.Connectors[0].Changes[0].After) != want {
		t.Fatalf("dry-run plan proposes %+v, journal at T says %s", p.Connectors, want)
	}
	if _, out, _ := run("plans", "list", "-o", "json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("dry run stored a plan: %s", out)
	}
	code, out, errOut = run("offsets", "restore", "src", "--to-time", at.Format(time.RFC3339Nano), "--reason", "rewind test", "-o", "json")
	if code != 0 {
		t.Fatalf("restore --to-time: exit %d %s", code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.ID == "" {
		t.Fatalf("stored plan: %v %s", err, out)
	}
	if code, _, errOut := run("plans", "apply", p.ID, "--reason", "rewind test", "--watch-offsets=false"); code != 0 {
		t.Fatalf("apply: exit %d %s", code, errOut)
	}
	time.Sleep(1500 * time.Millisecond)
	_, out, _ = run("offsets", "history", "src", "-o", "json")
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	byPlan := 0
	for _, e := range h.Entries {
		if e.Unaudited {
			t.Errorf("write flagged unaudited after a cdcops plan: %+v", e)
		}
		if e.PlanID == p.ID && compact(e.After) == want {
			byPlan++
		}
	}
	if byPlan == 0 {
		t.Errorf("no journal entry attributed to plan %s writing %s", p.ID, want)
	}
	j.stop()
	<-j.done
}
