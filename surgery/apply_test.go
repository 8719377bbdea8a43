package surgery

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/audit"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/debezium"
)

// A rewind applied through REST PATCH: the journal holds every step, the
// connector runs again and its offsets move on from the planned LSN, the
// audit chain verifies, and applying again changes nothing.
func TestRewindApplyAndReplay(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.source(t, "pg", `{"server":"dbserver1"}`, pgOffset, true)
	before := f.value(t, "pg")
	p := f.plan(t, Request{Kind: cdcops.PlanRewind, Names: []string{"pg"}, Position: "0/2000000"})
	if p.Write != "rest" || len(p.Connectors) != 1 || len(p.Connectors[0].Changes) != 1 {
		t.Fatalf("plan: write %s, %d connectors", p.Write, len(p.Connectors))
	}
	ch := p.Connectors[0].Changes[0]
	if string(ch.Before) != string(before) {
		t.Fatalf("before %s, want %s", ch.Before, before)
	}
	lsn, _ := debezium.ParsePGLSN("0/2000000")
	after, _ := connectjson.ParseObject(ch.After)
	for _, k := range []string{"lsn", "lsn_proc"} {
		if v, _ := after.Get(k); v != lsn {
			t.Fatalf("after %s = %v, want %d", k, v, lsn)
		}
	}
	if !strings.Contains(strings.Join(ch.Delta, " "), "bytes") {
		t.Fatalf("delta %v does not say how many bytes", ch.Delta)
	}
	o := applyOpts()
	o.WatchOffsets = true
	res, err := Apply(ctx, f.env, p.ID, o)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	var names []string
	for _, s := range res.Steps {
		names = append(names, s.Step)
	}
	if got := strings.Join(names, ","); got != "stop,check,backup,write,verify,resume,watch" {
		t.Fatalf("steps %s", got)
	}
	st, _ := f.cc.Status(ctx, "pg")
	if !connect.Running.Done(st) {
		t.Fatalf("after apply: %s", connect.Describe(st))
	}
	// The connector went on from the planned LSN, not from the old one.
	now, _ := connectjson.ParseObject(f.value(t, "pg"))
	if v, _ := now.Get("lsn"); v.(int64) < lsn || v.(int64) > lsn+1000 {
		t.Fatalf("lsn now %v, want just past %d", v, lsn)
	}
	stored, _ := LoadPlan(ctx, f.env, p.ID)
	if stored.Status != cdcops.PlanApplied || stored.PreChangeSnapshot == "" {
		t.Fatalf("stored plan %s, snapshot %q", stored.Status, stored.PreChangeSnapshot)
	}
	again, err := Apply(ctx, f.env, p.ID, o)
	if err != nil || again.Changed {
		t.Fatalf("second apply: changed %v, %v", again != nil && again.Changed, err)
	}
	entries, err := f.env.State.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 2 || entries[0].Action != "plan" || entries[len(entries)-1].Action != "apply" {
		t.Fatalf("audit entries %+v", entries)
	}
	if pr := audit.Verify(entries); len(pr) > 0 {
		t.Fatalf("audit chain: %v", pr)
	}
}

// A plan made from offsets that moved since is refused after the stop,
// nothing is written, and the connector runs again as before.
func TestStalePlanRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.source(t, "pg", `{"server":"dbserver1"}`, pgOffset, true)
	p := f.plan(t, Request{Kind: cdcops.PlanRewind, Names: []string{"pg"}, Position: "0/2000000"})
	// The connector runs a while: its offsets move on.
	if err := f.cc.Resume(ctx, "pg"); err != nil {
		t.Fatal(err)
	}
	moved := p.Connectors[0].Changes[0].Before
	for string(f.value(t, "pg")) == string(moved) {
		time.Sleep(100 * time.Millisecond)
	}
	_, err := Apply(ctx, f.env, p.ID, applyOpts())
	wantCode(t, err, cdcops.ECONFLICT, "stale apply")
	if !strings.Contains(err.Error(), "stale") {
		t.Fatalf("error %v does not say stale", err)
	}
	v, _ := connectjson.ParseObject(f.value(t, "pg"))
	if l, _ := v.Get("lsn"); l.(int64) < 37208504 {
		t.Fatalf("a stale apply wrote: lsn %v", l)
	}
	if _, err := f.cc.WaitFor(ctx, "pg", connect.Running, 20*time.Second); err != nil {
		t.Fatalf("connector not resumed after the refusal: %v", err)
	}
	stored, _ := LoadPlan(ctx, f.env, p.ID)
	if stored.Status != cdcops.PlanFailed {
		t.Fatalf("status %s, want failed", stored.Status)
	}
}

// Someone resumes the connector between the stop and the write: the
// write refuses and the offsets stay as they were.
func TestWriteRefusedWhileRunning(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.source(t, "pg", `{"server":"dbserver1"}`, pgOffset, false)
	before := f.value(t, "pg")
	for _, via := range []string{"rest", "topic"} {
		p := f.plan(t, Request{Kind: cdcops.PlanRewind, Names: []string{"pg"}, Position: "0/2000000", Write: via})
		o := applyOpts()
		o.AfterStep = func(_ int, rec cdcops.StepRecord) {
			if rec.Step == StepBackup {
				if err := f.cc.Resume(ctx, "pg"); err != nil {
					t.Error(err)
				}
				if _, err := f.cc.WaitFor(ctx, "pg", connect.Running, 20*time.Second); err != nil {
					t.Error(err)
				}
			}
		}
		_, err := Apply(ctx, f.env, p.ID, o)
		wantCode(t, err, cdcops.ECONFLICT, via+": write on a running connector")
		if !strings.Contains(err.Error(), "not STOPPED") {
			t.Fatalf("%s: %v", via, err)
		}
		if got := f.value(t, "pg"); string(got) != string(before) {
			t.Fatalf("%s: offsets changed to %s", via, got)
		}
		// Undo: the apply stopped before writing.
		if _, err := Rollback(ctx, f.env, p.ID, applyOpts()); err != nil {
			t.Fatalf("rollback: %v", err)
		}
		f.stop(t, "pg")
	}
}
