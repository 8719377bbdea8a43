package main

import (
	"context"
	"time"

	"github.com/cdcops/cdcops/journal"
	"github.com/cdcops/cdcops/state"
	"github.com/cdcops/cdcops/surgery"
)

// planWindows tells the journal which cdcops plan was writing a
// connector's offsets: an apply or rollback owns the connector from its
// stop step until its resume step, and a --via signal apply again from its
// signal step (the connector commits the signalled position itself) until
// its restart step (a run that never closed its window owns it for
// openRunGrace after its last step). The journal asks only about writes it
// would otherwise flag, so the steps are read fresh each time.
type planWindows struct {
	store *state.Store
}

type stepWindow struct {
	plan     string
	from, to time.Time
}

const openRunGrace = 5 * time.Minute

func planSource(store *state.Store) journal.PlanSource {
	return &planWindows{store: store}
}

func (p *planWindows) PlanApplying(ctx context.Context, connector string, t time.Time) (string, error) {
	ws, err := p.windows(ctx, connector)
	if err != nil {
		return "", err
	}
	for _, w := range ws {
		if !t.Before(w.from) && !t.After(w.to) {
			return w.plan, nil
		}
	}
	return "", nil
}

func (p *planWindows) windows(ctx context.Context, connector string) ([]stepWindow, error) {
	steps, err := p.store.ConnectorSteps(ctx, connector)
	if err != nil {
		return nil, err
	}
	type key struct{ plan, run string }
	open := map[key]*stepWindow{}
	var out []stepWindow
	for _, s := range steps {
		k := key{s.PlanID, s.Run}
		w := open[k]
		if w == nil {
			// Writes can reach the topic a moment before the step is stored.
			w = &stepWindow{plan: s.PlanID, from: s.At.Add(-time.Second)}
			open[k] = w
		}
		w.to = s.At.Add(openRunGrace)
		if s.Step == surgery.StepResume || s.Step == surgery.StepRestart {
			w.to = s.At
			out = append(out, *w)
			delete(open, k)
		}
	}
	for _, w := range open {
		out = append(out, *w)
	}
	return out, nil
}
