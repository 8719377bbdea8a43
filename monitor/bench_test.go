package monitor

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkEvaluate10kPartitions is one evaluation cycle over 10,000 sink
// partitions (100 sinks × 100 partitions) with full windows: the Burrow
// rules, time lag and the Prometheus export of the result. Budget: ≤ 1 s
// CPU per cycle; it reports cpu-ms/cycle from getrusage.
func BenchmarkEvaluate10kPartitions(b *testing.B) {
	const sinks, parts = 100, 100
	m, err := New(Config{Window: 10}, Deps{})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	obs := make([]SinkObservation, sinks)
	states := make([]*sinkState, sinks)
	for s := range obs {
		obs[s] = SinkObservation{Group: fmt.Sprintf("connect-s%d", s), Members: 1,
			Committed: map[TP]int64{}, Ends: map[TP]int64{}, RecordTime: map[TP]time.Time{}}
		states[s] = &sinkState{parts: map[TP]*partState{}}
	}
	cycle := func(i int) *Report {
		m.cycles++
		now = now.Add(30 * time.Second)
		rep := &Report{At: now, Connectors: make([]Connector, 0, sinks)}
		for s := range obs {
			o := &obs[s]
			for p := 0; p < parts; p++ {
				tp := TP{"topic", int32(p)}
				o.Ends[tp] = int64(i * 100)
				o.Committed[tp] = int64(i*100 - p%7*10)
				if p%7 != 0 {
					o.RecordTime[tp] = now.Add(-time.Duration(p) * time.Second)
				}
			}
			rep.Connectors = append(rep.Connectors, Connector{Name: o.Group, Type: "sink", Status: OK, Sink: m.evalSink(states[s], *o, now)})
		}
		return rep
	}
	for i := 1; i <= 10; i++ { // fill the windows
		cycle(i)
	}
	coll := &Collector{}
	reg := prometheus.NewRegistry()
	reg.MustRegister(coll)
	var before, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		coll.Set(cycle(11 + i))
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / time.Duration(b.N)
	b.ReportMetric(float64(cpu.Milliseconds()), "cpu-ms/cycle")
	b.ReportMetric(float64(sinks*parts), "partitions")
}
