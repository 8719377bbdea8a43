package surgery

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/sqlpipe"
)

// Issue 11 build 5: a restore of the lab source with its running sink
// downstream. Without --pause-downstream the plan needs a reason; with it
// the sink is PAUSED while the offsets are written and RUNNING after. An
// apply that fails after the pause resumes the sink and journals the pause
// as undone, so --resume pauses it again before writing.
func TestPauseDownstreamOnLab(t *testing.T) {
	ctx := context.Background()
	r := newSignalRig(t, nil)
	snap, err := backup.Take(ctx, r.env.sources(), r.env.Vault, backup.Options{Names: []string{r.p.Source}, Via: "topic"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cc.Resume(ctx, r.p.Source); err != nil {
		t.Fatal(err)
	}
	src := testenv.Open(t, r.src)
	if _, err := sqlpipe.Load(ctx, src, sqlpipe.LoadOptions{Tables: []string{"customers"}, Changes: 20, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); labPos(r.value(t, r.p.Source)) == r.beforePos; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("source did not move on")
		}
	}
	r.stop(t, r.p.Source)

	req := Request{Kind: cdcops.PlanRestore, Names: []string{r.p.Source}, Snapshot: snap.ID, Actor: "alice"}
	_, err = MakePlan(ctx, r.env, req)
	wantCode(t, err, cdcops.EINVALID, "downstream without --reason")
	if !strings.Contains(err.Error(), "downstream of "+r.p.Source+" RUNNING and not idempotent: "+r.p.Sink) {
		t.Fatalf("refusal does not name the sink: %v", err)
	}
	req.PauseDownstream = true
	p := r.plan(t, req)
	var dc cdcops.Check
	for _, c := range p.Checklist {
		if strings.HasPrefix(c.Name, "downstream of") {
			dc = c
		}
	}
	if !dc.OK || !strings.Contains(dc.Detail, "paused by the apply") {
		t.Errorf("checklist: %+v", dc)
	}

	sinkAt := map[string]string{}
	o := applyOpts()
	failOnce := true
	o.AfterStep = func(_ int, rec cdcops.StepRecord) {
		if st, err := r.cc.Status(ctx, r.p.Sink); err == nil {
			sinkAt[rec.Step] = st.Connector.State
		}
		if rec.Step == StepPauseDownstream && failOnce {
			failOnce = false // someone starts the source: the write must refuse
			if err := r.cc.Resume(ctx, r.p.Source); err == nil {
				_, _ = r.cc.WaitFor(ctx, r.p.Source, connect.Running, 20*time.Second)
			}
		}
	}
	_, err = Apply(ctx, r.env, p.ID, o)
	wantCode(t, err, cdcops.ECONFLICT, "write while the source runs")
	if st, _ := r.cc.Status(ctx, r.p.Sink); st == nil || st.Connector.State != cdcops.StateRunning {
		t.Fatalf("sink after the failed apply: %+v, want RUNNING (pause undone)", st)
	}
	recs, _ := r.env.State.Steps(ctx, p.ID, "apply")
	undone := false
	for _, s := range recs {
		undone = undone || s.Step == StepPauseDownstream && s.Status == "undone"
	}
	if !undone {
		t.Errorf("journal has no undone pause: %+v", recs)
	}

	r.stop(t, r.p.Source)
	clear(sinkAt)
	o.Resume = true
	if _, err := Apply(ctx, r.env, p.ID, o); err != nil {
		t.Fatalf("apply --resume: %v", err)
	}
	if sinkAt[StepPauseDownstream] != cdcops.StatePaused || sinkAt[StepWrite] != cdcops.StatePaused || sinkAt[StepVerify] != cdcops.StatePaused {
		t.Errorf("sink during the resumed apply: %v, want PAUSED at pause-downstream, write and verify", sinkAt)
	}
	if st, _ := r.cc.Status(ctx, r.p.Sink); st == nil || st.Connector.State != cdcops.StateRunning {
		t.Errorf("sink after the apply: %+v, want RUNNING", st)
	}
}
