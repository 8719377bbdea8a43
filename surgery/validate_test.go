package surgery

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
)

// snapshotWith stores a copy of a fresh backup of name whose only record
// has value (and, when partitionKey is set, that key) instead, the way a
// hand-edited or foreign snapshot would look.
func (f *fixture) snapshotWith(t *testing.T, name, key, value string) string {
	t.Helper()
	ctx := context.Background()
	res, err := backup.Take(ctx, f.env.sources(), f.env.Vault, backup.Options{Names: []string{name}, Via: "topic"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.env.Vault.Load(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Content.Records) != 1 {
		t.Fatalf("backup has %d records", len(s.Content.Records))
	}
	s.Content.Records[0].RawValue = []byte(value)
	if key != "" {
		s.Content.Records[0].RawKey = []byte(key)
	}
	s.ID, s.ContentSHA256 = "", ""
	s.Meta.Created = s.Meta.Created.Add(time.Millisecond)
	sum, err := f.env.Vault.Put(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	return sum.ID
}

// Offsets Debezium's loaders would not read are refused before anything
// is stored or written, each with a message naming the problem.
func TestRestoreRefusesOffsetsDebeziumCannotLoad(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.source(t, "pg", `{"server":"dbserver1"}`, pgOffset, false)
	f.source(t, "my", `{"server":"mysql1"}`, `{"ts_sec":1700000000,"file":"mysql-bin.000003","pos":154}`, false)
	cases := []struct {
		name, conn, key, value, want string
	}{
		{"pg lsn as a string", "pg", "", `{"ts_usec":1700000000000000,"txId":780,"lsn_proc":37208504,"lsn":"0/237C3B8"}`, `offset "lsn" is a string, want a number`},
		{"pg lsn as a float", "pg", "", `{"ts_usec":1700000000000000,"txId":780,"lsn_proc":37208504,"lsn":37208504.0}`, `offset "lsn" is 3.7208504E7: Debezium writes it as an integer`},
		{"snapshot false", "pg", "", `{"ts_usec":1700000000000000,"txId":780,"lsn_proc":37208504,"lsn":37208000,"snapshot":false}`, `offset "snapshot"`},
		{"mysql without file", "my", "", `{"ts_sec":1700000000,"pos":4}`, `offset "file" is missing`},
		{"unknown partition key", "pg", `["pg",{"server":"dbserver2"}]`, pgOffset, `is not a partition of pg (it has: {"server":"dbserver1"})`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.value(t, tc.conn)
			id := f.snapshotWith(t, tc.conn, tc.key, tc.value)
			_, err := MakePlan(ctx, f.env, Request{Kind: cdcops.PlanRestore, Names: []string{tc.conn}, Snapshot: id, Actor: "alice"})
			wantCode(t, err, cdcops.EINVALID, tc.name)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
			if got := f.value(t, tc.conn); string(got) != string(before) {
				t.Fatalf("offsets changed to %s", got)
			}
		})
	}
	if plans, err := f.env.State.Plans(ctx, 0); err != nil || len(plans) != 0 {
		t.Fatalf("refused plans were stored: %d %v", len(plans), err)
	}
}

// A rewind naming a partition the connector does not have is refused,
// naming the ones it has; a forward jump needs a reason.
func TestRewindRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.source(t, "pg", `{"server":"dbserver1"}`, pgOffset, false)
	_, err := MakePlan(ctx, f.env, Request{Kind: cdcops.PlanRewind, Names: []string{"pg"}, Position: "0/1000", Partition: `{"server":"dbserver9"}`})
	wantCode(t, err, cdcops.EINVALID, "unknown partition")
	if !strings.Contains(err.Error(), `it has: {"server":"dbserver1"}`) {
		t.Fatalf("error %v does not name the existing partition", err)
	}
	_, err = MakePlan(ctx, f.env, Request{Kind: cdcops.PlanRewind, Names: []string{"pg"}, Position: "1/0"})
	wantCode(t, err, cdcops.EINVALID, "forward jump without a reason")
	if !strings.Contains(err.Error(), "forward jump") || !strings.Contains(err.Error(), "bytes") {
		t.Fatalf("error %v does not describe the jump", err)
	}
	p, err := MakePlan(ctx, f.env, Request{Kind: cdcops.PlanRewind, Names: []string{"pg"}, Position: "1/0", Reason: "skip a poisoned transaction"})
	if err != nil || len(p.Flags) != 1 {
		t.Fatalf("forward jump with a reason: %v, flags %v", err, p)
	}
	_, err = MakePlan(ctx, f.env, Request{Kind: cdcops.PlanRewind, Names: []string{"pg"}, Position: "mysql-bin.000001:4"})
	wantCode(t, err, cdcops.EINVALID, "binlog position for a PostgreSQL offset")
	_, err = MakePlan(ctx, f.env, Request{Kind: cdcops.PlanReset, Names: []string{"pg"}})
	wantCode(t, err, cdcops.EINVALID, "reset without a reason")
}

// A Debezium partition whose server is not the connector's topic.prefix
// is never read by Debezium: refused, naming the prefix.
func TestServerMismatch(t *testing.T) {
	c := &Current{Name: "inv", Type: cdcops.ConnectorSource, Class: "io.debezium.connector.postgresql.PostgresConnector",
		Config: map[string]string{"topic.prefix": "dbserver1"}}
	got := validateAfter(c, []byte(`{"server":"dbserver2"}`), []byte(`{"lsn":1,"lsn_proc":1,"txId":1,"ts_usec":1}`))
	if len(got) != 1 || !strings.Contains(got[0], `topic.prefix is "dbserver1"`) {
		t.Fatalf("got %v", got)
	}
	if got := validateAfter(c, []byte(`{"server":"dbserver1"}`), []byte(`{"lsn":1,"lsn_proc":1,"txId":1,"ts_usec":1}`)); len(got) != 0 {
		t.Fatalf("valid offset refused: %v", got)
	}
}

// Under the two-person rule the author cannot approve; an unapproved plan
// is refused unless break-glass, which the audit log records.
func TestApprovals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.source(t, "pg", `{"server":"dbserver1"}`, pgOffset, false)
	p := f.plan(t, Request{Kind: cdcops.PlanRewind, Names: []string{"pg"}, Position: "0/2000000", ApprovalsRequired: 2})
	_, err := Approve(ctx, f.env, p.ID, cdcops.Approval{By: "alice", At: time.Now()})
	wantCode(t, err, cdcops.ECONFLICT, "self-approval")
	_, err = Apply(ctx, f.env, p.ID, applyOpts())
	wantCode(t, err, cdcops.ECONFLICT, "unapproved apply")
	if got, _ := LoadPlan(ctx, f.env, p.ID); got.Status != cdcops.PlanPlanned {
		t.Fatalf("refused apply changed the status to %s", got.Status)
	}
	ap, err := Approve(ctx, f.env, p.ID, cdcops.Approval{By: "bob", At: time.Now(), Ticket: "OPS-1"})
	if err != nil || ap.Status != cdcops.PlanApproved {
		t.Fatalf("approve by bob: %v", err)
	}
	_, err = Approve(ctx, f.env, p.ID, cdcops.Approval{By: "bob", At: time.Now()})
	wantCode(t, err, cdcops.ECONFLICT, "second approval by the same person")
	if _, err := Apply(ctx, f.env, p.ID, applyOpts()); err != nil {
		t.Fatalf("approved apply: %v", err)
	}
	f.stop(t, "pg")
	p2 := f.plan(t, Request{Kind: cdcops.PlanRewind, Names: []string{"pg"}, Position: "0/1000000", ApprovalsRequired: 2})
	o := applyOpts()
	o.BreakGlass = true
	if _, err := Apply(ctx, f.env, p2.ID, o); err != nil {
		t.Fatalf("break-glass apply: %v", err)
	}
	entries, _ := f.env.State.Audit(ctx)
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); got != "plan,approve,apply,plan,break-glass,apply" {
		t.Fatalf("audit actions %s", got)
	}
}
