package monitor

import "time"

// rate turns a growing count (end offsets, committed offsets) into
// records per second and keeps a baseline to detect dips. The baseline
// is an exponentially weighted mean of earlier cycles; it is frozen while
// a dip lasts, so a connector that stays down keeps being reported.
type rate struct {
	count    int64
	at       time.Time
	baseline float64
	samples  int
}

const (
	baselineWeight  = 0.3 // weight of the newest cycle in the baseline
	baselineSamples = 3   // cycles needed before dips are judged
)

// observe records count at now and returns the throughput since the
// previous cycle (nil on the first).
func (r *rate) observe(count int64, now time.Time, dip, min float64) *Throughput {
	prevCount, prevAt := r.count, r.at
	r.count, r.at = count, now
	if prevAt.IsZero() || !now.After(prevAt) {
		return nil
	}
	delta := count - prevCount
	if delta < 0 {
		delta = 0 // offsets reset or rewound: no throughput, not negative
	}
	perSec := float64(delta) / now.Sub(prevAt).Seconds()
	t := &Throughput{RecordsPerSec: perSec, BaselinePerSec: r.baseline}
	if r.samples >= baselineSamples && r.baseline >= min && perSec < dip*r.baseline {
		t.Dip = true
		return t
	}
	if r.samples == 0 {
		r.baseline = perSec
	} else {
		r.baseline = baselineWeight*perSec + (1-baselineWeight)*r.baseline
	}
	r.samples++
	return t
}
