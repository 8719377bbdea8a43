package surgery

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
)

// Steps that pause and resume downstream sinks (--pause-downstream).
const (
	StepPauseDownstream  = "pause-downstream"
	StepResumeDownstream = "resume-downstream"
)

// planDownstream: sinks that read a changed source's topics, run and are
// not idempotent see the replay again. With pause they go into the plan
// (paused for the apply); without, the plan is flagged and needs a reason.
func planDownstream(ctx context.Context, env Env, pause bool, p *cdcops.Plan) error {
	ds, err := downstreamOf(ctx, env, p)
	if err != nil {
		if pause {
			return fmt.Errorf("--pause-downstream: list the sinks: %w", err)
		}
		return nil // the checklist says "not checked"
	}
	for _, d := range ds {
		var exposed []string
		for _, s := range d.sinks {
			if s.exposed() {
				exposed = append(exposed, s.name)
			}
		}
		if len(exposed) == 0 {
			continue
		}
		if pause {
			p.PauseDownstream = append(p.PauseDownstream, exposed...)
			continue
		}
		p.Flags = append(p.Flags, fmt.Sprintf("downstream of %s RUNNING and not idempotent: %s — the change events replayed reach them again (--pause-downstream pauses them for the apply)", d.source, strings.Join(exposed, ", ")))
	}
	slices.Sort(p.PauseDownstream)
	p.PauseDownstream = slices.Compact(p.PauseDownstream)
	return nil
}

func pauseStepName(p *cdcops.Plan) string {
	return "pause-downstream: PUT /pause " + strings.Join(p.PauseDownstream, ", ") + ", wait for PAUSED (undone if the apply fails)"
}

func resumeStepName(p *cdcops.Plan) string {
	return "resume-downstream: PUT /resume " + strings.Join(p.PauseDownstream, ", ") + ", wait for RUNNING"
}

func sinkConns(names []string) []cdcops.PlanConnector {
	out := make([]cdcops.PlanConnector, len(names))
	for i, n := range names {
		out[i] = cdcops.PlanConnector{Name: n, Type: cdcops.ConnectorSink}
	}
	return out
}

// pauseDownstream pauses the plan's downstream sinks that run now; the
// detail keeps what each was, so only those are resumed.
func (r *runner) pauseDownstream(ctx context.Context) error {
	return r.forEach(ctx, sinkConns(r.p.PauseDownstream), StepPauseDownstream, func(ctx context.Context, c cdcops.PlanConnector) (string, error) {
		st, err := r.env.Connect.Status(ctx, c.Name)
		if err != nil {
			return "", err
		}
		if st.Connector.State != cdcops.StateRunning {
			return "was " + st.Connector.State + ", left alone", nil
		}
		if err := r.env.Connect.Pause(ctx, c.Name); err != nil {
			return "", err
		}
		if _, err := r.env.Connect.WaitFor(ctx, c.Name, connect.Paused, r.opts.Timeout); err != nil {
			return "", err
		}
		return "was " + cdcops.StateRunning, nil
	})
}

func (r *runner) resumeDownstream(ctx context.Context) error {
	return r.forEach(ctx, sinkConns(r.p.PauseDownstream), StepResumeDownstream, func(ctx context.Context, c cdcops.PlanConnector) (string, error) {
		return r.resumeSink(ctx, c.Name, r.detail(c.Name, StepPauseDownstream))
	})
}

func (r *runner) resumeSink(ctx context.Context, name, pausedDetail string) (string, error) {
	if pausedDetail != "was "+cdcops.StateRunning {
		return "not paused by this plan", nil
	}
	if err := r.env.Connect.Resume(ctx, name); err != nil {
		return "", err
	}
	if _, err := r.env.Connect.WaitFor(ctx, name, connect.Running, r.opts.Timeout); err != nil {
		return "", err
	}
	return "resumed; RUNNING", nil
}

// undoPause resumes the sinks a failed apply paused and journals their
// pause as undone, so a --resume pauses them again before going on.
func (r *runner) undoPause(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for _, n := range r.p.PauseDownstream {
		if r.detail(n, StepResumeDownstream) != "" {
			continue
		}
		d := r.detail(n, StepPauseDownstream)
		if d == "" {
			continue
		}
		if _, err := r.resumeSink(ctx, n, d); err != nil {
			r.env.log().Warn("could not resume a downstream sink after a failed apply", "connector", n, "err", err)
			continue
		}
		rec := cdcops.StepRecord{PlanID: r.p.ID, Run: r.run, Connector: n, Step: StepPauseDownstream, Status: "undone", At: nowMS(), Detail: "resumed after the apply failed"}
		if err := r.env.State.AddStep(ctx, rec); err == nil {
			r.mu.Lock()
			delete(r.done, n+"/"+StepPauseDownstream)
			r.steps = append(r.steps, rec)
			r.mu.Unlock()
		}
	}
}

// resumePausedByApply ends a rollback: the sinks the apply paused and did
// not resume run again.
func (r *runner) resumePausedByApply(ctx context.Context) error {
	if len(r.p.PauseDownstream) == 0 {
		return nil
	}
	ap, err := newRunner(ctx, r.env, r.p, "apply", r.opts)
	if err != nil {
		return err
	}
	return r.forEach(ctx, sinkConns(r.p.PauseDownstream), StepResumeDownstream, func(ctx context.Context, c cdcops.PlanConnector) (string, error) {
		if ap.detail(c.Name, StepResumeDownstream) != "" {
			return "already resumed by the apply", nil
		}
		return r.resumeSink(ctx, c.Name, ap.detail(c.Name, StepPauseDownstream))
	})
}
