package surgery

import (
	"context"

	"github.com/cdcops/cdcops"
)

// Store saves a new plan and audits it.
func Store(ctx context.Context, env Env, p *cdcops.Plan) error {
	if err := env.State.AddPlan(ctx, p); err != nil {
		return err
	}
	_, err := record(ctx, env, ApplyOptions{Actor: p.CreatedBy, Reason: p.Reason, Ticket: p.Ticket}, "plan", p, "planned: "+p.Target, changesDetail(p))
	return err
}

// LoadPlan reads a stored plan; JSON null before/after values (stored
// for absent offsets and resets) come back as nil.
func LoadPlan(ctx context.Context, env Env, id string) (*cdcops.Plan, error) {
	p, err := env.State.Plan(ctx, id)
	if err != nil {
		return nil, err
	}
	for i := range p.Connectors {
		for j := range p.Connectors[i].Changes {
			ch := &p.Connectors[i].Changes[j]
			if string(ch.Before) == "null" {
				ch.Before = nil
			}
			if string(ch.After) == "null" {
				ch.After = nil
			}
		}
	}
	return p, nil
}

// Approve records by's approval of plan id. Under the two-person rule
// (approvals.required ≥ 2) the author cannot approve their own plan.
func Approve(ctx context.Context, env Env, id string, a cdcops.Approval) (*cdcops.Plan, error) {
	p, err := LoadPlan(ctx, env, id)
	if err != nil {
		return nil, err
	}
	if p.Status != cdcops.PlanPlanned && p.Status != cdcops.PlanApproved {
		return nil, cdcops.Errorf(cdcops.ECONFLICT, "approve a plan before it is applied", "plan %s is %s", id, p.Status)
	}
	if a.By == "" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "pass --as NAME", "no approver name")
	}
	if p.ApprovalsRequired >= 2 && a.By == p.CreatedBy {
		return nil, cdcops.Errorf(cdcops.ECONFLICT, "someone other than the author must approve (two-person rule)",
			"refusing self-approval: %s made plan %s", a.By, id)
	}
	a.PlanID = id
	if err := env.State.AddApproval(ctx, a); err != nil {
		return nil, err
	}
	if p.Approvals, err = env.State.Approvals(ctx, id); err != nil {
		return nil, err
	}
	if ApprovalCheck(p).OK {
		p.Status = cdcops.PlanApproved
		if err := env.State.UpdatePlan(ctx, p); err != nil {
			return nil, err
		}
	}
	_, err = record(ctx, env, ApplyOptions{Actor: a.By, Reason: a.Reason, Ticket: a.Ticket}, "approve", p, ApprovalCheck(p).Detail, nil)
	return p, err
}
