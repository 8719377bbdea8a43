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

	mu      sync.Mutex
	samples []sample // oldest first, at most keepSamples
	classes map[string]string
}

type sample struct {
	at     time.Time
	states map[string]ConnectorState
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
	fresh := len(s.samples) > 0 && s.samples[len(s.samples)-1].at.After(t)
	s.mu.Unlock()
	if !fresh {
		s.take(ctx, log)
	}
}

func (s *sampler) take(ctx context.Context, log *slog.Logger) {
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	at := s.now()
	st, err := s.src.Connectors(c)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("journal: connector states unavailable", "err", err)
		}
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples = append(s.samples, sample{at: at, states: st})
	if len(s.samples) > keepSamples {
		s.samples = s.samples[len(s.samples)-keepSamples:]
	}
	for name, cs := range st {
		if cs.Class != "" {
			s.classes[name] = cs.Class
		}
	}
}

// around returns connector's state in the last sample at or before t and
// in the first sample after it. sampled is false when either is missing
// (the write is older than the history, or Connect was unreachable):
// nothing can be said then. A state change between two samples leaves
// the write with both states, so a task's last flush before a stop and
// its first after a resume are never mistaken for an outsider's write.
func (s *sampler) around(connector string, t time.Time) (before, after ConnectorState, inBefore, inAfter, sampled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := len(s.samples) - 1
	for i >= 0 && s.samples[i].at.After(t) {
		i--
	}
	if i < 0 || i+1 >= len(s.samples) {
		return before, after, false, false, false
	}
	before, inBefore = s.samples[i].states[connector]
	after, inAfter = s.samples[i+1].states[connector]
	return before, after, inBefore, inAfter, true
}

// ranBetween reports whether connector could have had a running task at
// some time in [from, to]: a sample in that window, or the last one
// before it, shows a state that writes. Without samples it says true.
func (s *sampler) ranBetween(connector string, from, to time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := false
	for i := len(s.samples) - 1; i >= 0; i-- {
		sm := s.samples[i]
		if sm.at.After(to) {
			continue
		}
		seen = true
		if st, ok := sm.states[connector]; ok && mayWrite(st.State) {
			return true
		}
		if sm.at.Before(from) {
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
