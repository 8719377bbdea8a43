package surgery

import (
	"context"
	"fmt"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
)

// MigrateRequest moves a connector from env's cluster to To (KIP-980):
// stop on the source cluster, read its offsets, create it STOPPED on the
// target with the same config, write the offsets there, resume it there;
// the original is left STOPPED.
type MigrateRequest struct {
	Name      string
	From, To  cdcops.PlanCluster
	Reason    string
	Ticket    string
	Actor     string
	Approvals int
	// PauseDownstream pauses the sinks reading its topics for the move.
	PauseDownstream bool
}

// MakeMigratePlan plans moving req.Name from env (cluster From) to the
// cluster to. The offsets travel through REST (GET on From, PATCH on To),
// so both workers need Kafka ≥ 3.6, and To ≥ 3.7 to create it STOPPED.
func MakeMigratePlan(ctx context.Context, env, to Env, req MigrateRequest) (*cdcops.Plan, error) {
	caps, err := to.Connect.Capabilities(ctx)
	if err != nil {
		return nil, err
	}
	if !caps.InitialState || !caps.AlterOffsets {
		return nil, cdcops.Errorf(cdcops.EINVALID, "upgrade the target workers to Kafka Connect 3.7 or later",
			"target cluster %s runs Kafka Connect %s: migrate needs initial_state (3.7) and PATCH /offsets (3.6)", req.To.Name, caps.Version.String())
	}
	cur, _, err := env.read(ctx, []string{req.Name}, "rest")
	if err != nil {
		return nil, err
	}
	c := cur[req.Name]
	if c.Type == "" {
		return nil, cdcops.Errorf(cdcops.ENOTFOUND, "`cdcops --cluster "+req.From.Name+" connectors list` shows them", "connector %q is not known on cluster %s", req.Name, req.From.Name)
	}
	if c.Type != cdcops.ConnectorSource {
		return nil, cdcops.Errorf(cdcops.EINVALID, "a sink's offsets are its consumer group's; point the sink at the new cluster and rewind it with --to-time",
			"migrate moves source connectors; %s is a %s", req.Name, c.Type)
	}
	if len(c.Entries) == 0 {
		return nil, cdcops.Errorf(cdcops.ENOTFOUND, "", "%s has no offsets on %s to migrate", req.Name, req.From.Name)
	}
	onTarget, _, err := to.read(ctx, []string{req.Name}, "rest")
	if err != nil {
		return nil, err
	}
	t := onTarget[req.Name]
	if t.Type != "" && t.Class != "" && t.Class != c.Class {
		return nil, cdcops.Errorf(cdcops.ECONFLICT, "pick another name or delete it there", "cluster %s already has a %s named %s (class %s)", req.To.Name, t.Type, req.Name, t.Class)
	}
	st, err := env.Connect.Status(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	pc := cdcops.PlanConnector{Name: req.Name, Type: c.Type, Class: c.Class, StateAtPlan: st.Connector.State}
	var problems []string
	for _, e := range c.Entries {
		now, exists := t.Find(e.Partition)
		ch, err := change(t, e, now, exists, e.Value)
		if err != nil {
			return nil, err
		}
		ch.KafkaPartition = -1
		ch.Delta = delta(c, ch.Before, ch.After)
		pc.Changes = append(pc.Changes, ch)
		for _, msg := range validateAfter(c, e.Partition, e.Value) {
			problems = append(problems, fmt.Sprintf("%s %s: %s", req.Name, e.Partition, msg))
		}
	}
	if len(problems) > 0 {
		return nil, cdcops.Errorf(cdcops.EINVALID, "fix the connector's offsets on the source cluster first", "refusing: %v", problems)
	}
	p := &cdcops.Plan{
		ID: newPlanID(), Kind: cdcops.PlanMigrate, Status: cdcops.PlanPlanned, Created: nowMS(), CreatedBy: req.Actor,
		Reason: req.Reason, Ticket: req.Ticket, Target: fmt.Sprintf("cluster %s → %s", req.From.Name, req.To.Name),
		Read: "rest", Write: "rest", Connectors: []cdcops.PlanConnector{pc}, Flags: []string{},
		ApprovalsRequired: req.Approvals, Approvals: []cdcops.Approval{}, BaseSHA256: baseHash(cur),
		Migrate: &cdcops.Migration{From: req.From, To: req.To},
	}
	if req.PauseDownstream {
		if err := planDownstream(ctx, env, true, p); err != nil {
			return nil, err
		}
	}
	p.Preconditions = preconditions(p, caps)
	p.Checklist = Checklist(ctx, env, p)
	p.Steps = []string{
		"stop: PUT /stop on " + req.From.Name + ", wait for STOPPED with no tasks",
		"check: offsets on " + req.From.Name + " still hash to " + p.BaseSHA256[:12],
		"backup: pre-change snapshot of the connector on " + req.From.Name + ", verified",
		"create: the connector on " + req.To.Name + " with its live config, initial_state STOPPED (or stop the one there)",
		"write: PATCH /connectors/{name}/offsets on " + req.To.Name,
		"verify: GET /offsets on " + req.To.Name + " equals the plan",
		"resume: PUT /resume on " + req.To.Name + " (the original stays STOPPED on " + req.From.Name + ")",
		"watch: RUNNING on " + req.To.Name + " and offsets moving on",
	}
	if len(p.PauseDownstream) > 0 {
		p.Steps = append(append(append([]string{}, p.Steps[:3]...), pauseStepName(p)), append(p.Steps[3:], resumeStepName(p))...)
	}
	p.Rollback = fmt.Sprintf("`cdcops plans rollback %s --reason TEXT`: resumes the connector on %s from its untouched offsets after stopping it on %s by hand", p.ID, req.From.Name, req.To.Name)
	return p, nil
}

// applyMigrate runs the target-cluster half of a migrate plan.
func (r *runner) applyMigrate(ctx context.Context, to Env) error {
	t := &runner{env: to, p: r.p, run: r.run, opts: r.opts, done: r.done, n: r.n}
	defer func() { r.steps = append(r.steps, t.steps...) }()
	c := r.p.Connectors[0]
	if err := t.step(ctx, c.Name, "create", func(ctx context.Context) (string, error) {
		cfg, err := r.env.Connect.Config(ctx, c.Name)
		if err != nil {
			return "", err
		}
		if _, err := to.Connect.Get(ctx, c.Name); err == nil {
			if err := to.Connect.Stop(ctx, c.Name); err != nil {
				return "", err
			}
		} else if cdcops.ErrorCodeOf(err) == cdcops.ENOTFOUND {
			if _, err := to.Connect.Create(ctx, connect.CreateRequest{Name: c.Name, Config: cfg, InitialState: cdcops.StateStopped}); err != nil {
				return "", err
			}
		} else {
			return "", err
		}
		if _, err := to.Connect.WaitFor(ctx, c.Name, connect.Stopped, r.opts.Timeout); err != nil {
			return "", err
		}
		return "STOPPED on " + r.p.Migrate.To.Name, nil
	}); err != nil {
		return err
	}
	return t.finish(ctx, r.p.Connectors)
}

func nowMS() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }
