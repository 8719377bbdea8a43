package journal

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// sampler keeps a short history of connector states, so a write can be
// judged by the state its connector was in when the write happened.
type sampler struct {
	src StateSource
	now func() time.Time

	takeMu  sync.Mutex // one request at a time: samples never overlap
	mu      sync.Mutex
	samples []sample // oldest first, at most keepSamples
	classes map[string]string
}

// sample is one answer from Connect. Its states held at some instant
// between start (request sent) and end (answer received), not at start:
// a write in that span may come before or after what the sample saw.
type sample struct {
	start, end time.Time
	states     map[string]ConnectorState
}

// keepSamples covers well over a minute at the default poll interval,
// more than any fetch takes to reach the journal.
const keepSamples = 512

func newSampler(src StateSource, now func() time.Time) *sampler {
	return &sampler{src: src, now: now, classes: map[string]string{}}
}

func (s *sampler) run(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.take(ctx, log)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// freshAt takes a sample now unless one taken after t exists.
func (s *sampler) freshAt(ctx context.Context, t time.Time, log *slog.Logger) {
	s.mu.Lock()
	fresh := len(s.samples) > 0 && s.samples[len(s.samples)-1].start.After(t)
	s.mu.Unlock()
	if !fresh {
		s.take(ctx, log)
	}
}

func (s *sampler) take(ctx context.Context, log *slog.Logger) {
	s.takeMu.Lock()
	defer s.takeMu.Unlock()
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := s.now()
	st, err := s.src.Connectors(c)
	end := s.now()
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("journal: connector states unavailable", "err", err)
		}
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples = append(s.samples, sample{start: start, end: end, states: st})
	if len(s.samples) > keepSamples {
		s.samples = s.samples[len(s.samples)-keepSamples:]
	}
	for name, cs := range st {
		if cs.Class != "" {
			s.classes[name] = cs.Class
		}
	}
}

// around returns connector's state in the last sample answered at or
// before t and in the first sample asked after it, so both were seen on
// their side of the write. sampled is false when either is missing (the
// write is older than the history, or Connect was unreachable): nothing
// can be said then. A sample in flight at t says nothing about t: a
// stopping task's last flush, written just before the worker reports
// STOPPED, is often inside the request that first sees STOPPED. A state
// change between the two samples leaves the write with both states, so
// a task's last flush before a stop and its first after a resume are
// never mistaken for an outsider's write.
func (s *sampler) around(connector string, t time.Time) (before, after ConnectorState, inBefore, inAfter, sampled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := len(s.samples) - 1
	for i >= 0 && s.samples[i].end.After(t) {
		i--
	}
	k := i + 1
	for k < len(s.samples) && !s.samples[k].start.After(t) {
		k++
	}
	if i < 0 || k >= len(s.samples) {
		return before, after, false, false, false
	}
	before, inBefore = s.samples[i].states[connector]
	after, inAfter = s.samples[k].states[connector]
	return before, after, inBefore, inAfter, true
}

// ranBetween reports whether connector could have had a running task at
// some time in [from, to]: a sample asked by to that shows a state that
// writes, looking back to the last one answered before from. Without
// samples it says true.
func (s *sampler) ranBetween(connector string, from, to time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := false
	for i := len(s.samples) - 1; i >= 0; i-- {
		sm := s.samples[i]
		if sm.start.After(to) {
			continue
		}
		seen = true
		if st, ok := sm.states[connector]; ok && mayWrite(st.State) {
			return true
		}
		if sm.end.Before(from) {
			break
		}
	}
	return !seen
}

// sinks maps each sink connector of the latest sample to its group.
func (s *sampler) sinks() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	if len(s.samples) == 0 {
		return out
	}
	for name, st := range s.samples[len(s.samples)-1].states {
		if st.Type == "sink" && st.Group != "" {
			out[name] = st.Group
		}
	}
	return out
}

func (s *sampler) class(connector string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.classes[connector]
}
