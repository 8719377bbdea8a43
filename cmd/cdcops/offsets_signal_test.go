package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/journal"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/sqlpipe"
)

// Acceptance (issue 11, refusals): "missing heartbeat for --via signal" —
// exit 2 with one Error line and a Hint, nothing stored; then, with
// heartbeats on, the same command stores a plan whose -o json has the
// signal, its steps and the paused sink, `plans show` lists the steps,
// and `plans apply` runs them (signal, committed, restart, watch).
func TestRewindViaSignalCommands(t *testing.T) {
	ctx := context.Background()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	cc := connect.New(l.ConnectURL(), connect.WithPollInterval(50*time.Millisecond))
	dir := t.TempDir()
	p, _, _ := signalPipeline(t, ctx, l, cc, dir, 3, nil)
	time.Sleep(500 * time.Millisecond) // the last offsets flush
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		base := []string{"--bootstrap", l.KafkaAddr(), "--connect", l.ConnectURL(),
			"--vault", "file://" + filepath.Join(dir, "vault"), "--state", "sqlite://" + filepath.Join(dir, "state.db")}
		code := Main(ctx, append(base, args...), strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, errOut := run("connectors", "stop", p.Source); code != 0 {
		t.Fatalf("stop: %d %s", code, errOut)
	}
	rewind := []string{"offsets", "rewind", p.Source, "--to-position", "lab-bin.000001:5", "--via", "signal", "--reason", "replay", "--pause-downstream"}
	code, out, errOut := run(rewind...)
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code != 2 || len(lines) != 2 || !strings.HasPrefix(lines[0], "Error: ") || !strings.Contains(lines[0], "heartbeat.interval.ms") || !strings.HasPrefix(lines[1], "Hint: ") {
		t.Fatalf("missing heartbeat: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, out, _ = run("plans", "list", "-o", "json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("a refused plan was stored: %s", out)
	}

	cfg, err := cc.Config(ctx, p.Source)
	if err != nil {
		t.Fatal(err)
	}
	cfg[sqlpipe.KeyHeartbeat] = "1000"
	if _, _, err := cc.PutConfig(ctx, p.Source, cfg); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(append(rewind, "-o", "json")...)
	var plan cdcops.Plan
	if code != 0 || json.Unmarshal([]byte(out), &plan) != nil || plan.Signal == nil || plan.Write != "signal" || len(plan.PauseDownstream) != 1 {
		t.Fatalf("plan: exit %d %s %s", code, out, errOut)
	}
	if v := jsonStyleViolations([]byte(out)); len(v) > 0 {
		t.Errorf("plan JSON: %v", v)
	}
	code, out, _ = run("plans", "show", plan.ID)
	for _, want := range []string{"write via signal", "pause-downstream: PUT /pause " + p.Sink, "signal: set-binlog-position {\"binlog_filename\":\"lab-bin.000001\",\"binlog_position\":5}",
		"committed: GET /offsets", "restart: POST /restart", "resume-downstream", "[ok] heartbeats on"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("plans show lacks %q (exit %d):\n%s", want, code, out)
		}
	}
	// The journal watches the apply: the connector's own backward commit
	// of the signalled position is the plan's, not an unaudited change.
	jctx, stopJournal := context.WithCancel(ctx)
	defer stopJournal()
	journalDone := make(chan struct{})
	go func() {
		defer close(journalDone)
		var out, errb bytes.Buffer
		Main(jctx, []string{"--bootstrap", l.KafkaAddr(), "--connect", l.ConnectURL(), "--vault", "file://" + filepath.Join(dir, "vault"),
			"--state", "sqlite://" + filepath.Join(dir, "state.db"), "offsets", "journal", "--poll", "50ms"}, strings.NewReader(""), &out, &errb)
	}()
	time.Sleep(time.Second)
	code, out, errOut = run("plans", "apply", plan.ID, "--reason", "replay", "--timeout", "30s")
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	time.Sleep(time.Second)
	stopJournal()
	<-journalDone
	_, hout, _ := run("offsets", "history", p.Source, "-o", "json")
	var h journal.History
	if err := json.Unmarshal([]byte(hout), &h); err != nil {
		t.Fatalf("history: %v %s", err, hout)
	}
	attributed := false
	for _, e := range h.Entries {
		if e.Unaudited {
			t.Errorf("unaudited during the signal apply: %+v", e)
		}
		attributed = attributed || e.PlanID == plan.ID && strings.HasPrefix(e.Position, `{"pos":5,`)
	}
	if !attributed {
		t.Errorf("no history entry at pos 5 carries plan %s: %+v", plan.ID, h.Entries)
	}
	for _, want := range []string{"signal ", "committed ", "restart ", "watch ", "resume-downstream "} {
		if !strings.Contains(out, want) {
			t.Errorf("apply output lacks step %q:\n%s", want, out)
		}
	}
	if code, _, errOut = run("plans", "apply", plan.ID, "--reason", "again", "--no-resume"); code != 0 {
		t.Errorf("applying an applied plan: exit %d %s", code, errOut)
	}
}
