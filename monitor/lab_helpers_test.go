package monitor_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/faults"
	"github.com/cdcops/cdcops/lab/sqlpipe"
	"github.com/cdcops/cdcops/monitor"
	"github.com/cdcops/cdcops/sqlconn"
)

// rig is a lab pipeline (SQLite source → lab Kafka → SQLite sink) with a
// Monitor watching it.
type rig struct {
	lab *lab.Lab
	c   *connect.Client
	k   *kafka.Client
	p   *sqlpipe.Pipeline
	src *sqlconn.DB
	m   *monitor.Monitor
	ft  faults.Target
}

// labConfig is a monitor config sized for tests: a window of 3 cycles and
// offsets stale after 1 s.
func labConfig() monitor.Config {
	return monitor.Config{Window: 3, StaleAfter: time.Second, Interval: 200 * time.Millisecond}
}

func startRig(t *testing.T, ctx context.Context, o sqlpipe.PipelineOptions, cfg monitor.Config) *rig {
	t.Helper()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	c := connect.New(l.ConnectURL())
	srcDSN, sinkDSN := testenv.SQLite(t), testenv.SQLite(t)
	o.SourceDSN, o.SinkDSN, o.Kafka, o.PollInterval = srcDSN, sinkDSN, l.KafkaAddr(), 20*time.Millisecond
	p, err := sqlpipe.SetupPipeline(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	k, err := kafka.Dial(ctx, l.KafkaAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	m, err := monitor.New(cfg, monitor.Deps{Connect: c, Kafka: k})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	r := &rig{lab: l, c: c, k: k, p: p, src: testenv.Open(t, srcDSN), m: m, ft: faults.Target{Connect: c, Kafka: l.KafkaAddr()}}
	r.insert(t, ctx, 100, 1)
	sink := testenv.Open(t, sinkDSN)
	if _, err := sqlpipe.WaitInSync(ctx, r.src, sink, sqlpipe.DemoTables, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) insert(t *testing.T, ctx context.Context, n int, seed uint64) {
	t.Helper()
	if _, err := sqlpipe.Load(ctx, r.src, sqlpipe.LoadOptions{Tables: []string{"customers"}, Changes: n, Seed: seed, InsertOnly: true}); err != nil {
		t.Fatal(err)
	}
}

// load inserts rows at rate per second until the returned stop is called.
func (r *rig) load(t *testing.T, ctx context.Context, rate int, seed uint64) (stop func()) {
	t.Helper()
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = sqlpipe.Load(lctx, r.src, sqlpipe.LoadOptions{Tables: []string{"customers"}, Rate: rate, Duration: 5 * time.Minute, Seed: seed, InsertOnly: true})
	}()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

// cycle runs one evaluation and returns the named connector's entry.
func (r *rig) cycle(t *testing.T, ctx context.Context, name string) (*monitor.Report, monitor.Connector) {
	t.Helper()
	rep, err := r.m.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Connectors {
		if c.Name == name {
			return rep, c
		}
	}
	t.Fatalf("connector %s not in the report: %+v", name, rep)
	return nil, monitor.Connector{}
}

// until runs cycles 200 ms apart until cond holds for connector name.
func (r *rig) until(t *testing.T, ctx context.Context, name, what string, cond func(monitor.Connector) bool) monitor.Connector {
	t.Helper()
	var last monitor.Connector
	for i := 0; i < 80; i++ {
		_, last = r.cycle(t, ctx, name)
		if cond(last) {
			return last
		}
		time.Sleep(200 * time.Millisecond)
	}
	b, _ := json.MarshalIndent(last, "", "  ")
	t.Fatalf("%s never showed %s; last:\n%s", name, what, b)
	return last
}

// settle runs cycles until the sink's window is full and it is OK.
func (r *rig) settle(t *testing.T, ctx context.Context) {
	t.Helper()
	r.until(t, ctx, r.p.Sink, "a full OK window", func(c monitor.Connector) bool {
		if c.Status != monitor.OK || c.Sink == nil || c.Sink.TotalLag != 0 {
			return false
		}
		for _, p := range c.Sink.Partitions {
			if p.Committed >= 0 && !p.Complete {
				return false
			}
		}
		return true
	})
}

func partitionStatus(c monitor.Connector, s monitor.Status) bool {
	if c.Sink == nil {
		return false
	}
	for _, p := range c.Sink.Partitions {
		if p.Status == s {
			return true
		}
	}
	return false
}

// watch replaces the rig's monitor with one using cfg.
func (r *rig) watch(t *testing.T, cfg monitor.Config) {
	t.Helper()
	m, err := monitor.New(cfg, monitor.Deps{Connect: r.c, Kafka: r.k})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	r.m = m
}
