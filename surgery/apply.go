package surgery

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/audit"
)

// ApplyOptions are the flags of plans apply and plans rollback.
type ApplyOptions struct {
	Reason     string
	Ticket     string
	Actor      string
	BreakGlass bool // apply without the approvals the plan needs (loudly audited)
	Resume     bool // continue an interrupted apply from its journal
	NoResume   bool // leave the connectors STOPPED after the write
	// WatchOffsets makes the watch wait, after RUNNING, until each
	// connector's offsets move on from the written ones.
	WatchOffsets bool
	Timeout      time.Duration // per wait (STOPPED, RUNNING, offsets moving)
	Parallel     int           // connectors handled at once (default 8)
	// AfterStep runs after each journaled step (tests use it to crash
	// the process at a chosen step).
	AfterStep func(n int, rec cdcops.StepRecord)
	// MigrateTo is the target cluster of a migrate plan.
	MigrateTo *Env
}

// Result is what an apply or rollback did.
type Result struct {
	Plan    *cdcops.Plan        `json:"plan"`
	Changed bool                `json:"changed"`
	Message string              `json:"message"`
	Steps   []cdcops.StepRecord `json:"steps"`
}

// Step names in journal order; "*" steps cover every connector at once.
const (
	StepStop   = "stop"
	StepCheck  = "check"
	StepBackup = "backup"
	StepWrite  = "write"
	StepVerify = "verify"
	StepResume = "resume"
	StepWatch  = "watch"
	allConns   = "*"
)

// runner executes one apply or rollback run of a plan, journaling steps.
type runner struct {
	env   Env
	p     *cdcops.Plan
	run   string
	opts  ApplyOptions
	mu    sync.Mutex
	done  map[string]string // connector/step → detail, from the journal
	n     int
	steps []cdcops.StepRecord
}

func newRunner(ctx context.Context, env Env, p *cdcops.Plan, run string, opts ApplyOptions) (*runner, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = 8
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	r := &runner{env: env, p: p, run: run, opts: opts, done: map[string]string{}}
	recs, err := env.State.Steps(ctx, p.ID, run)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		switch rec.Status {
		case "done":
			r.done[rec.Connector+"/"+rec.Step] = rec.Detail
		case "undone": // a step a failed apply took back (a downstream pause): redo it
			delete(r.done, rec.Connector+"/"+rec.Step)
		}
	}
	return r, nil
}

// step runs fn unless the journal says it is done, and journals the result.
func (r *runner) step(ctx context.Context, conn, name string, fn func(context.Context) (string, error)) error {
	r.mu.Lock()
	_, done := r.done[conn+"/"+name]
	r.mu.Unlock()
	if done {
		return nil
	}
	detail, err := fn(ctx)
	rec := cdcops.StepRecord{PlanID: r.p.ID, Run: r.run, Connector: conn, Step: name, Status: "done", At: time.Now().UTC(), Detail: detail}
	if err != nil {
		rec.Status, rec.Detail = "failed", oneLine(err.Error())
	}
	// A journal write that fails leaves the step to be redone on resume;
	// every step is safe to redo.
	if jerr := r.env.State.AddStep(context.WithoutCancel(ctx), rec); jerr != nil && err == nil {
		err = jerr
	}
	r.mu.Lock()
	r.steps = append(r.steps, rec)
	if err == nil {
		r.done[conn+"/"+name] = detail
	}
	r.n++
	n := r.n
	r.mu.Unlock()
	r.env.log().Info("step", "plan", r.p.ID, "run", r.run, "connector", conn, "step", name, "status", rec.Status, "detail", rec.Detail)
	if err == nil && r.opts.AfterStep != nil {
		r.opts.AfterStep(n, rec)
	}
	return err
}

func (r *runner) detail(conn, name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done[conn+"/"+name]
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "; ") }

// Apply carries out a stored plan (see package doc); it returns when the
// connectors run again from the planned offsets, or with the error that
// stopped it (the plan then stays "applying": --resume or rollback).
func Apply(ctx context.Context, env Env, id string, opts ApplyOptions) (*Result, error) {
	p, err := LoadPlan(ctx, env, id)
	if err != nil {
		return nil, err
	}
	switch p.Status {
	case cdcops.PlanApplied:
		return &Result{Plan: p, Message: "plan " + id + " is already applied; nothing changed", Steps: []cdcops.StepRecord{}}, nil
	case cdcops.PlanRolledBack, cdcops.PlanFailed:
		return nil, cdcops.Errorf(cdcops.ECONFLICT, "make a new plan", "plan %s is %s and cannot be applied", id, p.Status)
	case cdcops.PlanApplying:
		if !opts.Resume {
			return nil, cdcops.Errorf(cdcops.ECONFLICT, fmt.Sprintf("continue it with `cdcops plans apply %s --resume --reason TEXT`, or undo it with `cdcops plans rollback %s --reason TEXT`", id, id),
				"an apply of plan %s was interrupted", id)
		}
	}
	if strings.TrimSpace(opts.Reason) == "" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "say why with --reason TEXT (recorded in the audit log)", "plans apply needs --reason")
	}
	if p.Signal != nil && opts.NoResume {
		return nil, cdcops.Errorf(cdcops.EINVALID, "drop --no-resume", "plan %s repositions through a signal, which the connector reads only while it runs: --no-resume does not apply", id)
	}
	if p.Migrate != nil && opts.MigrateTo == nil {
		return nil, cdcops.Errorf(cdcops.EINVALID, "define the target under clusters: in the config file", "plan %s migrates to cluster %s, which is not configured", id, p.Migrate.To.Name)
	}
	if ac := ApprovalCheck(p); !ac.OK && p.Status != cdcops.PlanApplying {
		if !opts.BreakGlass {
			return nil, cdcops.Errorf(cdcops.ECONFLICT, fmt.Sprintf("ask someone to run `cdcops plans approve %s`; in an emergency --break-glass --reason TEXT", id),
				"plan %s is not approved: %s", id, ac.Detail)
		}
		if _, err := record(ctx, env, opts, "break-glass", p, "applying without approvals: "+ac.Detail, nil); err != nil {
			return nil, err
		}
	}
	r, err := newRunner(ctx, env, p, "apply", opts)
	if err != nil {
		return nil, err
	}
	p.Status = cdcops.PlanApplying
	if err := env.State.UpdatePlan(ctx, p); err != nil {
		return nil, err
	}
	res, err := r.apply(ctx)
	result := "applied"
	if err != nil {
		result = "failed: " + oneLine(err.Error())
	}
	if _, aerr := record(context.WithoutCancel(ctx), env, opts, "apply", p, result, changesDetail(p)); aerr != nil && err == nil {
		err = aerr
	}
	return res, err
}

func (r *runner) apply(ctx context.Context) (*Result, error) {
	p := r.p
	var err error
	if err := r.forEach(ctx, p.Connectors, StepStop, r.stop); err != nil {
		return nil, err
	}
	if err = r.step(ctx, allConns, StepCheck, r.checkBase); err != nil {
		if cdcops.ErrorCodeOf(err) == cdcops.ECONFLICT {
			r.undoStop(ctx)
			p.Status = cdcops.PlanFailed
			_ = r.env.State.UpdatePlan(context.WithoutCancel(ctx), p)
		}
		return nil, err
	}
	if err := r.step(ctx, allConns, StepBackup, r.backup); err != nil {
		return nil, err
	}
	if p.PreChangeSnapshot == "" { // resumed after the backup step
		p.PreChangeSnapshot = r.detail(allConns, StepBackup)
	}
	if err := r.pauseDownstream(ctx); err != nil {
		r.undoPause(ctx)
		return nil, err
	}
	switch {
	case p.Migrate != nil:
		err = r.applyMigrate(ctx, *r.opts.MigrateTo)
	case p.Signal != nil:
		err = r.applySignal(ctx)
	default:
		err = r.finish(ctx, p.Connectors)
	}
	if err == nil {
		err = r.resumeDownstream(ctx)
	}
	if err != nil {
		if ctx.Err() == nil {
			r.undoPause(ctx)
		}
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	p.Status, p.Applied = cdcops.PlanApplied, &now
	if err := r.env.State.UpdatePlan(ctx, p); err != nil {
		return nil, err
	}
	msg := "applied; connectors RUNNING from the planned offsets"
	if r.opts.NoResume {
		msg = "applied; connectors left STOPPED (--no-resume)"
	}
	return &Result{Plan: p, Changed: true, Message: msg, Steps: r.steps}, nil
}

// finish is write → verify → resume → watch for conns (whose Changes'
// After is what must be written), shared by apply and rollback.
func (r *runner) finish(ctx context.Context, conns []cdcops.PlanConnector) error {
	if err := r.forEach(ctx, conns, StepWrite, r.write); err != nil {
		return err
	}
	if err := r.step(ctx, allConns, StepVerify, func(ctx context.Context) (string, error) { return r.verify(ctx, conns) }); err != nil {
		return err
	}
	if r.opts.NoResume {
		return nil
	}
	if err := r.forEach(ctx, conns, StepResume, r.resume); err != nil {
		return err
	}
	return r.step(ctx, allConns, StepWatch, func(ctx context.Context) (string, error) { return r.watch(ctx, conns) })
}

// forEach runs a per-connector step for every connector, at most
// Parallel at once; the first error is returned after all finished.
func (r *runner) forEach(ctx context.Context, conns []cdcops.PlanConnector, name string, fn func(context.Context, cdcops.PlanConnector) (string, error)) error {
	sem := make(chan struct{}, r.opts.Parallel)
	var wg sync.WaitGroup
	errs := make([]error, len(conns))
	for i, c := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = r.step(ctx, c.Name, name, func(ctx context.Context) (string, error) { return fn(ctx, c) })
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// record appends an audit entry for the plan.
func record(ctx context.Context, env Env, o ApplyOptions, action string, p *cdcops.Plan, result string, detail any) (cdcops.AuditEntry, error) {
	var raw json.RawMessage
	if detail != nil {
		raw, _ = json.Marshal(detail)
	}
	return audit.Record(ctx, env.State, cdcops.AuditEntry{Actor: o.Actor, Action: action, PlanID: p.ID, Reason: o.Reason, Ticket: o.Ticket, Result: result, Detail: raw})
}

// changesDetail is the before → after of a plan, for the audit log.
func changesDetail(p *cdcops.Plan) any {
	type ch struct {
		Connector string          `json:"connector"`
		Partition json.RawMessage `json:"partition"`
		Before    json.RawMessage `json:"before"`
		After     json.RawMessage `json:"after"`
	}
	out := struct {
		Kind     string `json:"kind"`
		Target   string `json:"target"`
		Snapshot string `json:"pre_change_snapshot,omitempty"`
		Changes  []ch   `json:"changes"`
	}{Kind: p.Kind, Target: p.Target, Snapshot: p.PreChangeSnapshot, Changes: []ch{}}
	for _, c := range p.Connectors {
		for _, x := range c.Changes {
			out.Changes = append(out.Changes, ch{c.Name, x.Partition, nullable(x.Before), nullable(x.After)})
		}
	}
	return out
}

func nullable(b []byte) json.RawMessage {
	if b == nil {
		return json.RawMessage("null")
	}
	return b
}
