package monitor

import (
	"testing"
	"time"
)

// Without the record at the committed offset (deleted by retention), the
// time lag is interpolated from end offsets seen over time; with it, it is
// the record's age; caught up, it is 0.
func TestSinkTimeLagSources(t *testing.T) {
	m, err := New(Config{Window: 3}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	st := &sinkState{parts: map[TP]*partState{}}
	tp := TP{"orders", 0}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var p Partition
	// The end grows 100 records per 10 s; the sink stays at offset 100.
	for i := 1; i <= 4; i++ {
		m.cycles++
		obs := SinkObservation{Members: 1, Committed: map[TP]int64{tp: 100}, Ends: map[TP]int64{tp: int64(100 * i)}}
		p = m.evalSink(st, obs, t0.Add(time.Duration(i)*10*time.Second)).Partitions[0]
	}
	// End 100 was seen at t0+10s; now is t0+40s.
	if p.LagFrom != "interpolated" || p.LagMS != 30000 || p.Lag != 300 {
		t.Fatalf("interpolated: %+v", p)
	}
	m.cycles++
	now := t0.Add(50 * time.Second)
	obs := SinkObservation{Members: 1, Committed: map[TP]int64{tp: 100}, Ends: map[TP]int64{tp: 500},
		RecordTime: map[TP]time.Time{tp: now.Add(-42 * time.Second)}}
	s := m.evalSink(st, obs, now)
	if p = s.Partitions[0]; p.LagFrom != "record" || p.LagMS != 42000 || p.Status != STALL {
		t.Fatalf("record time: %+v", p)
	}
	m.cycles++
	obs = SinkObservation{Members: 1, Committed: map[TP]int64{tp: 500}, Ends: map[TP]int64{tp: 500}}
	if p = m.evalSink(st, obs, now.Add(time.Second)).Partitions[0]; p.LagFrom != "caught_up" || p.LagMS != 0 || p.Status != OK {
		t.Fatalf("caught up: %+v", p)
	}
	// A partition no longer observed is forgotten.
	m.cycles++
	m.evalSink(st, SinkObservation{Ends: map[TP]int64{{"other", 0}: 1}}, now.Add(2*time.Second))
	if _, ok := st.parts[tp]; ok || len(st.parts) != 1 {
		t.Fatalf("history kept for a gone partition: %v", st.parts)
	}
}
