package surgery

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/lab/sqlpipe"
)

// signalRig is the lab pipeline (SQLite source → lab source → Kafka →
// lab sink) with the Kafka signal channel on, loaded and in sync, the
// source STOPPED (so plans stay current) and the sink RUNNING.
type signalRig struct {
	*fixture
	p         *sqlpipe.Pipeline
	src       string // source DSN
	topic     string // customers topic
	beforePos int64
}

func newSignalRig(t *testing.T, extra map[string]string) *signalRig {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(f.l.KafkaAddr()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, "lab-signal"); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	cfg := map[string]string{sqlpipe.KeySignalChannels: "kafka", sqlpipe.KeySignalBootstrap: f.l.KafkaAddr(), sqlpipe.KeyHeartbeat: "1000", sqlpipe.KeyGapWait: "100"}
	for k, v := range extra {
		if v == "" {
			delete(cfg, k)
		} else {
			cfg[k] = v
		}
	}
	dir := t.TempDir()
	p, err := sqlpipe.SetupPipeline(ctx, f.cc, sqlpipe.PipelineOptions{Dir: dir, Kafka: f.l.KafkaAddr(), PollInterval: 50 * time.Millisecond, SourceConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{p.Source, p.Sink} {
		if _, err := f.cc.WaitFor(ctx, n, connect.Running, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	src, sink := testenv.Open(t, p.SourceDSN), testenv.Open(t, p.SinkDSN)
	if _, err := sqlpipe.Load(ctx, src, sqlpipe.LoadOptions{Tables: []string{"customers"}, Changes: 60, Seed: 7, Batch: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlpipe.WaitInSync(ctx, src, sink, []string{"customers"}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	r := &signalRig{fixture: f, p: p, src: p.SourceDSN, topic: "lab.main.customers"}
	max, err := sqlpipe.MaxPos(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	pos := func() int64 {
		if c := f.current(t, p.Source); len(c.Entries) == 1 {
			return labPos(c.Entries[0].Value)
		}
		return -1
	}
	for deadline := time.Now().Add(20 * time.Second); pos() != max; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("source offset pos %d never reached %d", pos(), max)
		}
	}
	f.stop(t, p.Source)
	r.beforePos = labPos(f.value(t, p.Source))
	return r
}

func (r *signalRig) end(t *testing.T, topic string) int64 {
	t.Helper()
	kc, err := kafka.Dial(context.Background(), r.l.KafkaAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	ends, err := kc.EndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	return ends[topic][0]
}

// Issue 11 build 8: a rewind --via signal on the lab source, with the
// downstream sink paused for it: the signal goes out, the committed offset
// reaches the target, the connector is restarted and replays, the sink is
// PAUSED while the position moves and RUNNING after, the apply is audited,
// and a rollback writes the pre-change offset back through REST.
func TestRewindViaSignalOnLab(t *testing.T) {
	ctx := context.Background()
	r := newSignalRig(t, nil)
	target := r.beforePos / 2
	req := Request{Kind: cdcops.PlanRewind, Names: []string{r.p.Source}, Position: fmt.Sprintf("lab-bin.000001:%d", target),
		Write: "signal", PauseDownstream: true, Reason: "replay"}
	p := r.plan(t, req)
	if p.Write != "signal" || p.Signal == nil || p.Signal.Topic != "lab-signal" || p.Signal.Key != "lab" || p.Signal.RollbackVia != "rest" ||
		len(p.PauseDownstream) != 1 || p.PauseDownstream[0] != r.p.Sink {
		t.Fatalf("plan: %+v signal %+v", p, p.Signal)
	}
	if got := labPos(p.Connectors[0].Changes[0].After); got != target {
		t.Fatalf("planned after %s, want pos %d", p.Connectors[0].Changes[0].After, target)
	}
	steps := strings.Join(p.Steps, "\n")
	for _, want := range []string{"pause-downstream: PUT /pause " + r.p.Sink, "signal: set-binlog-position", "committed:", "restart:", "resume-downstream:"} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps lack %q:\n%s", want, steps)
		}
	}
	before := r.end(t, r.topic)
	sinkState := map[string]string{}
	o := applyOpts()
	o.WatchOffsets = true
	o.AfterStep = func(_ int, rec cdcops.StepRecord) {
		if st, err := r.cc.Status(ctx, r.p.Sink); err == nil {
			sinkState[rec.Step] = st.Connector.State
		}
	}
	res, err := Apply(ctx, r.env, p.ID, o)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	for _, s := range []string{StepSignal, StepCommitted, StepRestart} {
		if sinkState[s] != cdcops.StatePaused {
			t.Errorf("sink %s after step %s, want PAUSED (%v)", sinkState[s], s, sinkState)
		}
	}
	if st, _ := r.cc.Status(ctx, r.p.Sink); st == nil || st.Connector.State != cdcops.StateRunning {
		t.Errorf("sink after the apply: %+v, want RUNNING", st)
	}
	var committed string
	for _, s := range res.Steps {
		if s.Step == StepCommitted {
			committed = s.Detail
		}
	}
	if !strings.Contains(committed, fmt.Sprintf(`"pos":%d`, target)) {
		t.Errorf("committed step: %q", committed)
	}
	if grown := r.end(t, r.topic) - before; grown < r.beforePos-target {
		t.Errorf("customers topic grew by %d records after the rewind to %d from %d: no replay", grown, target, r.beforePos)
	}
	if now := labPos(r.value(t, r.p.Source)); now <= target {
		t.Errorf("source offset pos %d after the watch, want past %d", now, target)
	}
	entries, err := r.env.State.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if last.Action != "apply" || last.Result != "applied" || last.PlanID != p.ID {
		t.Errorf("last audit entry %+v", last)
	}
	src, sink := testenv.Open(t, r.src), testenv.Open(t, r.p.SinkDSN)
	if _, err := sqlpipe.WaitInSync(ctx, src, sink, []string{"customers"}, 30*time.Second); err != nil {
		t.Errorf("sink after the replay: %v", err)
	}

	// Rollback: the pre-change snapshot goes back through PATCH /offsets.
	rb, err := Rollback(ctx, r.env, p.ID, ApplyOptions{Reason: "undo", Actor: "alice", Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("rollback: %v", err)
	}
	var wrote string
	for _, s := range rb.Steps {
		if s.Step == StepWrite {
			wrote = s.Detail
		}
	}
	if rb.Plan.Status != cdcops.PlanRolledBack || !strings.HasPrefix(wrote, "PATCH") {
		t.Errorf("rollback: %s, write %q", rb.Plan.Status, wrote)
	}
}

// Each prerequisite of --via signal is a refusal before anything is
// stored, sent or written: exit 2 (EINVALID), one line with a hint.
func TestRewindViaSignalRefusals(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		extra map[string]string
		pos   string
		want  string
	}{
		{"missing heartbeat", map[string]string{sqlpipe.KeyHeartbeat: ""}, "lab-bin.000001:5", "heartbeat.interval.ms"},
		{"zero heartbeat", map[string]string{sqlpipe.KeyHeartbeat: "0"}, "lab-bin.000001:5", "silently commits nothing"},
		{"no channel", map[string]string{sqlpipe.KeySignalChannels: "source", sqlpipe.KeySignalBootstrap: ""}, "lab-bin.000001:5", "no usable signal channel"},
		{"missing signal topic", map[string]string{sqlpipe.KeySignalTopic: "nope-signal"}, "lab-bin.000001:5", "signal topic nope-signal"},
		{"gtid on the lab", nil, "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5", "no GTIDs"},
		{"bad file name", nil, "binlog.1:5", "prefix.NNNNNN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newSignalRig(t, tc.extra)
			before := r.value(t, r.p.Source)
			_, err := MakePlan(ctx, r.env, Request{Kind: cdcops.PlanRewind, Names: []string{r.p.Source}, Position: tc.pos, Write: "signal", Reason: "x", Actor: "alice"})
			wantCode(t, err, cdcops.EINVALID, tc.name)
			if !strings.Contains(err.Error(), tc.want) || cdcops.HintOf(err) == "" || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q (hint %q), want it to say %q", err, cdcops.HintOf(err), tc.want)
			}
			r.assertUntouched(t, before)
		})
	}
	t.Run("wrong class", func(t *testing.T) {
		f := newFixture(t)
		f.source(t, "pg", `{"server":"dbserver1"}`, pgOffset, false)
		before := f.value(t, "pg")
		_, err := MakePlan(ctx, f.env, Request{Kind: cdcops.PlanRewind, Names: []string{"pg"}, Position: "mysql-bin.000003:154", Write: "signal", Actor: "alice"})
		wantCode(t, err, cdcops.EINVALID, "wrong class")
		if !strings.Contains(err.Error(), "io.debezium.connector.mysql.MySqlConnector and io.debezium.connector.mariadb.MariaDbConnector") {
			t.Errorf("error does not name the classes: %v", err)
		}
		if after := f.value(t, "pg"); string(after) != string(before) {
			t.Errorf("offset changed: %s → %s", before, after)
		}
		if ps, _ := f.env.State.Plans(ctx, 10); len(ps) != 0 {
			t.Errorf("%d plan(s) stored", len(ps))
		}
	})
}

// assertUntouched: no plan stored, no signal sent, the offset as before.
func (r *signalRig) assertUntouched(t *testing.T, before []byte) {
	t.Helper()
	if ps, err := r.env.State.Plans(context.Background(), 10); err != nil || len(ps) != 0 {
		t.Errorf("%d plan(s) stored (%v)", len(ps), err)
	}
	if n := r.end(t, "lab-signal"); n != 0 {
		t.Errorf("%d signal(s) sent", n)
	}
	if after := r.value(t, r.p.Source); string(after) != string(before) {
		t.Errorf("offset changed: %s → %s", before, after)
	}
}
