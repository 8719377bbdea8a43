package surgery

import (
	"context"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
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
