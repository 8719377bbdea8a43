package monitor

import "sort"

// dlqPart is one DLQ partition's history: its last end offset and the
// baseline of records per cycle.
type dlqPart struct {
	end      int64
	baseline float64
	samples  int
}

// dlqState is a DLQ topic's history, keyed by partition.
type dlqState map[int32]*dlqPart

// evalDLQ compares this cycle's records per partition with the baseline
// of earlier cycles: a spike is at least DLQSpikeMin records and more than
// DLQSpikeFactor × baseline. The first cycle only sets the starting point.
func (m *Monitor) evalDLQ(st dlqState, topic string, ends map[int32]int64) *DLQ {
	out := &DLQ{Topic: topic, Partitions: make([]DLQPartition, 0, len(ends))}
	for p, end := range ends {
		dp := st[p]
		first := dp == nil
		if first {
			dp = &dlqPart{end: end}
			st[p] = dp
		}
		n := max(end-dp.end, 0)
		dp.end = end
		part := DLQPartition{Partition: p, Total: end, Interval: n, Baseline: dp.baseline}
		if !first {
			part.Spike = n >= m.cfg.DLQSpikeMin && float64(n) > m.cfg.DLQSpikeFactor*dp.baseline
			if dp.samples == 0 {
				dp.baseline = float64(n)
			} else {
				dp.baseline = baselineWeight*float64(n) + (1-baselineWeight)*dp.baseline
			}
			dp.samples++
		}
		out.Total += end
		out.Interval += n
		out.Spike = out.Spike || part.Spike
		out.Partitions = append(out.Partitions, part)
	}
	sort.Slice(out.Partitions, func(i, j int) bool { return out.Partitions[i].Partition < out.Partitions[j].Partition })
	return out
}
