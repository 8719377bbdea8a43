package surgery

import (
	"context"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/lab/scripted"
)

// KIP-980 migrate between two lab clusters: the connector runs on the
// target from the source's offsets, the original stays STOPPED; rollback
// stops it on the target and runs the original again.
func TestMigrateBetweenClusters(t *testing.T) {
	ctx := context.Background()
	a, b := newFixture(t), newFixture(t)
	b.env.State, b.env.Vault = a.env.State, a.env.Vault
	a.source(t, "pg", `{"server":"dbserver1"}`, pgOffset, false)
	want := a.value(t, "pg")
	req := MigrateRequest{Name: "pg", Actor: "alice",
		From: cdcops.PlanCluster{Name: "a", ConnectURL: a.l.ConnectURL(), Bootstrap: a.l.KafkaAddr()},
		To:   cdcops.PlanCluster{Name: "b", ConnectURL: b.l.ConnectURL(), Bootstrap: b.l.KafkaAddr()}}
	p, err := MakeMigratePlan(ctx, a.env, b.env, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := Store(ctx, a.env, p); err != nil {
		t.Fatal(err)
	}
	o := applyOpts()
	_, err = Apply(ctx, a.env, p.ID, o)
	wantCode(t, err, cdcops.EINVALID, "migrate apply without the target cluster")
	o.MigrateTo = &b.env
	res, err := Apply(ctx, a.env, p.ID, o)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if len(res.Steps) != 8 {
		t.Fatalf("%d steps: %+v", len(res.Steps), res.Steps)
	}
	if st, _ := b.cc.Status(ctx, "pg"); !connect.Running.Done(st) {
		t.Fatalf("on b: %s", connect.Describe(st))
	}
	if st, _ := a.cc.Status(ctx, "pg"); !connect.Stopped.Done(st) {
		t.Fatalf("on a: %s", connect.Describe(st))
	}
	if got := b.value(t, "pg"); string(got) != string(want) {
		t.Fatalf("offset on b %s, want a's %s", got, want)
	}
	if _, err := Rollback(ctx, a.env, p.ID, o); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if st, _ := a.cc.Status(ctx, "pg"); !connect.Running.Done(st) {
		t.Fatalf("on a after rollback: %s", connect.Describe(st))
	}
	if st, _ := b.cc.Status(ctx, "pg"); !connect.Stopped.Done(st) {
		t.Fatalf("on b after rollback: %s", connect.Describe(st))
	}
}

// A migrate with PauseDownstream: the sink reading the connector's topic
// on the source cluster is PAUSED while the offsets move and RUNNING after.
func TestMigratePausesDownstream(t *testing.T) {
	ctx := context.Background()
	a, b := newFixture(t), newFixture(t)
	b.env.State, b.env.Vault = a.env.State, a.env.Vault
	if _, err := a.cc.Create(ctx, connect.CreateRequest{Name: "pg", Config: map[string]string{"connector.class": scripted.SourceClass,
		scripted.KeyTopic: "pg.events", scripted.KeyOffsets: `[{"partition":{"server":"dbserver1"},"offset":` + pgOffset + `}]`}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.cc.Create(ctx, connect.CreateRequest{Name: "snk", Config: map[string]string{"connector.class": scripted.SinkClass, "topics": "pg.events"}}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"pg", "snk"} {
		if _, err := a.cc.WaitFor(ctx, n, connect.Running, 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	a.waitOffsets(t, "pg")
	a.stop(t, "pg")
	req := MigrateRequest{Name: "pg", Actor: "alice", PauseDownstream: true,
		From: cdcops.PlanCluster{Name: "a", ConnectURL: a.l.ConnectURL(), Bootstrap: a.l.KafkaAddr()},
		To:   cdcops.PlanCluster{Name: "b", ConnectURL: b.l.ConnectURL(), Bootstrap: b.l.KafkaAddr()}}
	p, err := MakeMigratePlan(ctx, a.env, b.env, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.PauseDownstream) != 1 || p.PauseDownstream[0] != "snk" || len(p.Steps) != 10 {
		t.Fatalf("plan: pause %v, steps %v", p.PauseDownstream, p.Steps)
	}
	if err := Store(ctx, a.env, p); err != nil {
		t.Fatal(err)
	}
	o := applyOpts()
	o.MigrateTo = &b.env
	at := map[string]string{}
	o.AfterStep = func(_ int, rec cdcops.StepRecord) {
		if st, err := a.cc.Status(ctx, "snk"); err == nil {
			at[rec.Step] = st.Connector.State
		}
	}
	if _, err := Apply(ctx, a.env, p.ID, o); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if at[StepWrite] != cdcops.StatePaused || at[StepResumeDownstream] != cdcops.StateRunning {
		t.Errorf("sink during the migrate: %v, want PAUSED at write and RUNNING at the end", at)
	}
}
