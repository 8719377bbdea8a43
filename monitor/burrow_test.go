package monitor

import (
	"testing"
	"time"
)

// window builds a full window from offsets and lags, one commit per second
// ending at t0, plus recent end offsets.
func window(t0 time.Time, offsets, lags []int64, ends []int64) (*ring[commit], *ring[int64]) {
	c := newRing[commit](len(offsets))
	for i := range offsets {
		c.push(commit{offset: offsets[i], lag: lags[i], at: t0.Add(time.Duration(i-len(offsets)+1) * time.Second)})
	}
	e := newRing[int64](len(ends))
	for _, x := range ends {
		e.push(x)
	}
	return &c, &e
}

func TestBurrowRules(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		offsets []int64
		lags    []int64
		ends    []int64
		current int64
		allowed int64
		now     time.Time
		want    Status
	}{
		{"caught up", []int64{10, 20, 30}, []int64{5, 5, 0}, []int64{30, 30, 30}, 0, 0, t0, OK},
		{"within allowed lag (EOS markers)", []int64{10, 20, 30}, []int64{1, 1, 1}, []int64{31, 31, 31}, 1, 1, t0, OK},
		{"stopped: no commit for longer than the window spans", []int64{10, 20, 30}, []int64{5, 5, 5}, []int64{35, 40, 45}, 15, 0, t0.Add(3 * time.Second), STOP},
		{"idle guard: was caught up in a recent end sample", []int64{10, 20, 30}, []int64{5, 6, 3}, []int64{30, 40, 45}, 15, 0, t0.Add(3 * time.Second), OK},
		{"rewound and not recovered", []int64{100, 110, 20}, []int64{5, 5, 95}, []int64{115, 115, 115}, 95, 0, t0, REWIND},
		{"rewound but recovered", []int64{100, 20, 105}, []int64{5, 95, 10}, []int64{115, 115, 115}, 10, 0, t0, OK},
		{"stalled: same offset, lag every time", []int64{50, 50, 50}, []int64{5, 10, 15}, []int64{55, 60, 65}, 15, 0, t0, STALL},
		{"falling behind: lag never decreases", []int64{10, 20, 30}, []int64{5, 10, 15}, []int64{15, 30, 45}, 15, 0, t0, WARN},
		{"lag decreased once: OK", []int64{10, 20, 30}, []int64{15, 10, 15}, []int64{25, 30, 45}, 15, 0, t0, OK},
		{"a zero-lag commit in the window: OK", []int64{10, 20, 30}, []int64{0, 10, 15}, []int64{10, 30, 45}, 15, 0, t0, OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			commits, ends := window(t0, c.offsets, c.lags, c.ends)
			if got := evaluate(commits, ends, c.current, c.allowed, c.now); got != c.want {
				t.Fatalf("status %s, want %s", got, c.want)
			}
		})
	}
	// A window that is not yet full is OK whatever it holds.
	c := newRing[commit](3)
	c.push(commit{offset: 5, lag: 9, at: t0})
	e := newRing[int64](3)
	if got := evaluate(&c, &e, 9, 0, t0.Add(time.Hour)); got != OK {
		t.Fatalf("incomplete window: %s", got)
	}
}

func TestWorstAndSeverity(t *testing.T) {
	if Worst(OK, WARN) != WARN || Worst(STALL, WARN) != STALL || Worst(STOP, ERR) != ERR || Worst("", OK) != OK {
		t.Fatal("Worst ordering wrong")
	}
	for s, want := range map[Status]Status{STOP: ERR, STALL: ERR, REWIND: ERR, WARN: WARN, OK: OK} {
		if s.Severity() != want {
			t.Fatalf("%s severity %s", s, s.Severity())
		}
	}
}

func TestTimeTable(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tt := newTimeTable(4)
	if _, ok := tt.lookup(5); ok {
		t.Fatal("empty table answered")
	}
	tt.add(0, t0)
	tt.add(100, t0.Add(10*time.Second))
	tt.add(50, t0.Add(11*time.Second)) // not monotonic: dropped
	tt.add(200, t0.Add(20*time.Second))
	if got, _ := tt.lookup(150); !got.Equal(t0.Add(15 * time.Second)) {
		t.Fatalf("interpolated %v", got)
	}
	// A flat run keeps only its ends.
	tt.add(200, t0.Add(30*time.Second))
	tt.add(200, t0.Add(40*time.Second))
	if len(tt.pts) != 4 || !tt.pts[3].at.Equal(t0.Add(40*time.Second)) {
		t.Fatalf("flat run not compressed: %+v", tt.pts)
	}
	tt.add(300, t0.Add(50*time.Second)) // evicts the oldest
	if tt.pts[0].offset != 100 {
		t.Fatalf("oldest not evicted: %+v", tt.pts)
	}
	// Below the table: extrapolated from its ends.
	if got, ok := tt.lookup(50); !ok || !got.Before(t0.Add(10*time.Second)) {
		t.Fatalf("extrapolated %v %v", got, ok)
	}
}

func TestRateDip(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var r rate
	if r.observe(0, t0, 0.5, 1) != nil {
		t.Fatal("first cycle has no rate")
	}
	count := int64(0)
	for i := 1; i <= 4; i++ {
		count += 100
		if tp := r.observe(count, t0.Add(time.Duration(i)*time.Second), 0.5, 1); tp.Dip || tp.RecordsPerSec != 100 {
			t.Fatalf("steady cycle %d: %+v", i, tp)
		}
	}
	tp := r.observe(count+10, t0.Add(5*time.Second), 0.5, 1)
	if !tp.Dip || tp.BaselinePerSec < 99 {
		t.Fatalf("dip not seen: %+v", tp)
	}
	// The baseline is frozen during the dip: still a dip next cycle.
	if tp := r.observe(count+10, t0.Add(6*time.Second), 0.5, 1); !tp.Dip {
		t.Fatalf("dip forgotten: %+v", tp)
	}
}

func TestDLQSpike(t *testing.T) {
	m := &Monitor{}
	m.cfg, _ = Config{}.WithDefaults()
	st := dlqState{}
	if d := m.evalDLQ(st, "dlq", map[int32]int64{0: 7, 1: 0}); d.Spike || d.Total != 7 {
		t.Fatalf("first cycle sets the start: %+v", d)
	}
	if d := m.evalDLQ(st, "dlq", map[int32]int64{0: 7, 1: 0}); d.Spike {
		t.Fatalf("quiet cycle: %+v", d)
	}
	d := m.evalDLQ(st, "dlq", map[int32]int64{0: 7, 1: 2})
	if !d.Spike || !d.Partitions[1].Spike || d.Partitions[0].Spike || d.Interval != 2 {
		t.Fatalf("spike on partition 1 not seen: %+v", d)
	}
}
