package monitor

import "time"

// point is an end offset and when it was seen.
type point struct {
	offset int64
	at     time.Time
}

// timeTable is kafka-lag-exporter's lookup table (LookupTable.scala): end
// offsets over time per partition, used to estimate when the record at an
// offset was written when the record itself cannot be read (deleted by
// retention or compaction). A flat run keeps only its two ends, so idle
// time is represented without filling the table.
type timeTable struct {
	pts []point
	max int
}

func newTimeTable(max int) timeTable { return timeTable{max: max} }

func (t *timeTable) add(offset int64, at time.Time) {
	n := len(t.pts)
	if n > 0 && (!at.After(t.pts[n-1].at) || offset < t.pts[n-1].offset) {
		return // out of order or not monotonic
	}
	if n >= 2 && t.pts[n-1].offset == offset && t.pts[n-2].offset == offset {
		t.pts[n-1].at = at
		return
	}
	if n == t.max {
		copy(t.pts, t.pts[1:])
		t.pts = t.pts[:n-1]
	}
	t.pts = append(t.pts, point{offset, at})
}

// lookup estimates when offset was the end offset; ok is false with
// fewer than two points or a flat table.
func (t *timeTable) lookup(offset int64) (time.Time, bool) {
	n := len(t.pts)
	if n < 2 {
		return time.Time{}, false
	}
	if offset >= t.pts[n-1].offset {
		return t.pts[n-1].at, true
	}
	l, r := t.pts[0], t.pts[n-1] // outside the table: extrapolate from its ends
	for i := n - 1; i > 0; i-- {
		if t.pts[i-1].offset <= offset && offset <= t.pts[i].offset {
			l, r = t.pts[i-1], t.pts[i]
			break
		}
	}
	if r.offset == l.offset {
		return time.Time{}, false
	}
	span := float64(r.at.Sub(l.at))
	back := float64(r.offset-offset) * span / float64(r.offset-l.offset)
	return r.at.Add(-time.Duration(back)), true
}
