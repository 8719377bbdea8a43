package monitor

import (
	"sort"
	"time"
)

// TP names a topic partition.
type TP struct {
	Topic     string
	Partition int32
}

// partState is the history one sink partition's rules need.
type partState struct {
	commits    ring[commit]
	ends       ring[int64]
	table      timeTable
	lastOffset int64
	seen       bool
	cycle      uint64 // last cycle that saw the partition, to forget removed ones
}

// sinkState is a sink connector's history across cycles.
type sinkState struct {
	parts map[TP]*partState
	rate  rate
}

// SinkObservation is what one cycle read about a sink: its group's
// committed offsets, the end offsets of its partitions and, for partitions
// behind, the timestamp of the record at the committed offset.
type SinkObservation struct {
	Group      string
	Members    int
	Committed  map[TP]int64
	Ends       map[TP]int64
	RecordTime map[TP]time.Time
}

// evalSink adds obs to st's history and applies the rules. A commit is
// recorded when the group has members (a live consumer commits every
// interval, so a cycle stands for a commit) or when the offset moved (a
// commit happened, also from a tool while the group is empty).
func (m *Monitor) evalSink(st *sinkState, obs SinkObservation, now time.Time) *Sink {
	out := &Sink{Group: obs.Group, Members: obs.Members, Partitions: make([]Partition, 0, len(obs.Ends))}
	complete := 0
	var consumed int64
	for tp, end := range obs.Ends {
		ps := st.parts[tp]
		if ps == nil {
			ps = &partState{commits: newRing[commit](m.cfg.Window), ends: newRing[int64](m.cfg.Window), table: newTimeTable(m.cfg.Window * 6)}
			st.parts[tp] = ps
		}
		ps.cycle = m.cycles
		committed, has := obs.Committed[tp]
		if !has {
			committed = -1
		}
		lag := end - max(committed, 0)
		if lag < 0 {
			lag = 0 // committed past the end: Connect resets it; count as caught up
		}
		ps.ends.push(end)
		ps.table.add(end, now)
		if has && (obs.Members > 0 || !ps.seen || committed != ps.lastOffset) {
			ps.commits.push(commit{offset: committed, at: now, lag: lag})
			ps.lastOffset, ps.seen = committed, true
		}
		if has {
			consumed += committed
		}
		p := Partition{Topic: tp.Topic, Partition: tp.Partition, Committed: committed, End: end, Lag: lag, Complete: ps.commits.full}
		switch {
		case lag <= 0:
			p.LagFrom = "caught_up"
		case !obs.RecordTime[tp].IsZero():
			p.LagMS, p.LagFrom = max(now.Sub(obs.RecordTime[tp]).Milliseconds(), 0), "record"
		default:
			if t, ok := ps.table.lookup(max(committed, 0)); ok {
				p.LagMS, p.LagFrom = max(now.Sub(t).Milliseconds(), 0), "interpolated"
			} else {
				p.LagFrom = "unknown"
			}
		}
		p.Status = evaluate(&ps.commits, &ps.ends, lag, m.cfg.AllowedLag, now)
		if p.Status == OK && m.cfg.LagBudget > 0 && p.LagMS > m.cfg.LagBudget.Milliseconds() {
			p.Status = WARN
		}
		if ps.commits.full {
			complete++
		}
		out.TotalLag += lag
		out.MaxLagMS = max(out.MaxLagMS, p.LagMS)
		out.Partitions = append(out.Partitions, p)
	}
	for tp, ps := range st.parts {
		if ps.cycle != m.cycles {
			delete(st.parts, tp)
		}
	}
	if n := len(out.Partitions); n > 0 {
		out.Complete = float64(complete) / float64(n)
	}
	sort.Slice(out.Partitions, func(i, j int) bool {
		a, b := out.Partitions[i], out.Partitions[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Partition < b.Partition
	})
	return out
}
