package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/sqlpipe"
	"github.com/cdcops/cdcops/sqlconn"
)

// A --via signal apply with a downstream pause is SIGKILLed after each of
// its 10 journaled steps in turn; `--resume` finishes it (applied, source
// and sink RUNNING), and a rollback then puts the pre-change offset back.
func TestSignalApplyKilledAfterEachStep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildCdcops(t)
	ctx := context.Background()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	cc := connect.New(l.ConnectURL(), connect.WithPollInterval(50*time.Millisecond))
	dir := t.TempDir()
	p, src, sink := signalPipeline(t, ctx, l, cc, dir, 11, map[string]string{sqlpipe.KeyHeartbeat: "1000"})
	time.Sleep(500 * time.Millisecond)
	run := crashRunner(t, bin, l, dir)
	state := func(name string) string {
		st, err := cc.Status(ctx, name)
		if err != nil {
			return err.Error()
		}
		return st.Connector.State
	}
	const steps = 10 // stop, check, backup, pause-downstream, resume, signal, committed, restart, watch, resume-downstream
	for n := 1; n <= steps; n++ {
		if code, _, errOut := run(0, "connectors", "stop", p.Source); code != 0 {
			t.Fatalf("round %d: stop: %d %s", n, code, errOut)
		}
		code, out, errOut := run(0, "offsets", "rewind", p.Source, "--to-position", fmt.Sprintf("lab-bin.000001:%d", 2+n), "--via", "signal",
			"--pause-downstream", "--reason", "crash test", "-o", "json")
		var plan cdcops.Plan
		if code != 0 || json.Unmarshal([]byte(out), &plan) != nil || len(plan.Steps) != steps {
			t.Fatalf("round %d: plan: exit %d %s %s", n, code, out, errOut)
		}
		apply := []string{"plans", "apply", plan.ID, "--reason", "crash test", "--timeout", "20s"}
		if code, _, errOut := run(n, apply...); code != -1 {
			t.Fatalf("kill after step %d: exit %d (want killed): %s", n, code, errOut)
		}
		if code, _, errOut := run(0, append(apply, "--resume")...); code != 0 {
			t.Fatalf("resume after step %d: exit %d: %s", n, code, errOut)
		}
		_, out, _ = run(0, "plans", "show", plan.ID, "-o", "json")
		var view struct {
			Status  string              `json:"status"`
			Journal []cdcops.StepRecord `json:"journal"`
		}
		if err := json.Unmarshal([]byte(out), &view); err != nil {
			t.Fatal(err)
		}
		if view.Status != cdcops.PlanApplied || len(view.Journal) != steps {
			t.Fatalf("resumed after step %d: status %s, %d journaled steps", n, view.Status, len(view.Journal))
		}
		if s, k := state(p.Source), state(p.Sink); s != cdcops.StateRunning || k != cdcops.StateRunning {
			t.Fatalf("resumed after step %d: source %s, sink %s", n, s, k)
		}
		if code, _, errOut := run(0, "plans", "rollback", plan.ID, "--reason", "crash test", "--watch-offsets=false", "--timeout", "20s"); code != 0 {
			t.Fatalf("rollback after step %d: exit %d: %s", n, code, errOut)
		}
	}
	if _, err := sqlpipe.WaitInSync(ctx, src, sink, []string{"customers"}, 30*time.Second); err != nil {
		t.Errorf("sink after the rounds: %v", err)
	}
	if code, out, errOut := run(0, "audit", "verify"); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify: exit %d: %s %s", code, out, errOut)
	}
}

// signalPipeline is a lab SQL pipeline whose source reads Debezium-style
// signals from the Kafka topic lab-signal (created here, one partition),
// with extra source config on top, after 40 changes to customers (seeded)
// have reached the sink.
func signalPipeline(t *testing.T, ctx context.Context, l *lab.Lab, cc *connect.Client, dir string, seed uint64, extra map[string]string) (*sqlpipe.Pipeline, *sqlconn.DB, *sqlconn.DB) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(l.KafkaAddr()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, "lab-signal"); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	cfg := map[string]string{sqlpipe.KeySignalChannels: "kafka", sqlpipe.KeySignalBootstrap: l.KafkaAddr(), sqlpipe.KeyGapWait: "100"}
	for k, v := range extra {
		cfg[k] = v
	}
	p, err := sqlpipe.SetupPipeline(ctx, cc, sqlpipe.PipelineOptions{Dir: dir, Kafka: l.KafkaAddr(), PollInterval: 50 * time.Millisecond, SourceConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	src, sink := testenv.Open(t, p.SourceDSN), testenv.Open(t, p.SinkDSN)
	if _, err := sqlpipe.Load(ctx, src, sqlpipe.LoadOptions{Tables: []string{"customers"}, Changes: 40, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlpipe.WaitInSync(ctx, src, sink, []string{"customers"}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return p, src, sink
}
