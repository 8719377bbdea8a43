package surgery

import (
	"context"
	"fmt"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
)

// Rollback puts back the pre-change snapshot the apply took, for the
// plan's partitions, the same way the apply wrote (same key bytes and
// partitions): stop → write → verify → resume → watch. If the apply never
// got to its backup, nothing was written: the connectors it stopped are
// resumed. A rollback can be run again; it starts over.
func Rollback(ctx context.Context, env Env, id string, opts ApplyOptions) (*Result, error) {
	p, err := LoadPlan(ctx, env, id)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(opts.Reason) == "" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "say why with --reason TEXT (recorded in the audit log)", "plans rollback needs --reason")
	}
	switch p.Status {
	case cdcops.PlanRolledBack:
		return &Result{Plan: p, Message: "plan " + id + " is already rolled back; nothing changed", Steps: []cdcops.StepRecord{}}, nil
	case cdcops.PlanPlanned, cdcops.PlanApproved:
		return nil, cdcops.Errorf(cdcops.ECONFLICT, "nothing to roll back", "plan %s was never applied", id)
	}
	if err := env.State.ClearSteps(ctx, id, "rollback"); err != nil {
		return nil, err
	}
	r, err := newRunner(ctx, env, p, "rollback", opts)
	if err != nil {
		return nil, err
	}
	res, err := r.rollback(ctx)
	result := "rolled back"
	if err != nil {
		result = "failed: " + oneLine(err.Error())
	}
	if _, aerr := record(context.WithoutCancel(ctx), env, opts, "rollback", p, result, changesDetail(p)); aerr != nil && err == nil {
		err = aerr
	}
	return res, err
}

func (r *runner) rollback(ctx context.Context) (*Result, error) {
	p := r.p
	if p.Migrate != nil {
		return r.rollbackMigrate(ctx)
	}
	if p.PreChangeSnapshot == "" {
		applied, err := r.env.State.Steps(ctx, p.ID, "apply")
		if err != nil {
			return nil, err
		}
		for _, s := range applied {
			if s.Step == StepWrite || s.Step == StepSignal {
				return nil, cdcops.Errorf(cdcops.ECORRUPT, "restore from an earlier backup with `cdcops offsets restore`", "plan %s has a write in its journal but no pre-change snapshot", p.ID)
			}
		}
		// No backup means no write: only undo the stops.
		var resumed []string
		if !r.opts.NoResume {
			for _, s := range applied {
				if s.Step == StepStop && s.Status == "done" && s.Detail == "was "+cdcops.StateRunning {
					if err := r.env.Connect.Resume(ctx, s.Connector); err != nil {
						return nil, err
					}
					resumed = append(resumed, s.Connector)
				}
			}
		}
		if err := r.resumePausedByApply(ctx); err != nil {
			return nil, err
		}
		p.Status = cdcops.PlanRolledBack
		if err := r.env.State.UpdatePlan(ctx, p); err != nil {
			return nil, err
		}
		return &Result{Plan: p, Changed: len(resumed) > 0, Message: fmt.Sprintf("nothing had been written; resumed %v", resumed), Steps: r.steps}, nil
	}
	snap, err := r.env.Vault.Load(ctx, p.PreChangeSnapshot)
	if err != nil {
		return nil, err
	}
	pre := CurrentOf(snap, Names(p))
	back := make([]cdcops.PlanConnector, 0, len(p.Connectors))
	for _, c := range p.Connectors {
		bc := c
		bc.Changes = nil
		for _, ch := range c.Changes {
			e, ok := pre[c.Name].Find(ch.Partition)
			bch := ch
			bch.Before, bch.After = ch.After, nil
			if ok {
				bch.After = e.Value
				if e.Key != nil && e.Topic != "" {
					bch.Key, bch.Topic, bch.KafkaPartition = e.Key, e.Topic, e.KP
				}
			}
			bc.Changes = append(bc.Changes, bch)
		}
		back = append(back, bc)
	}
	if err := r.forEach(ctx, back, StepStop, r.stop); err != nil {
		return nil, err
	}
	if err := r.finish(ctx, back); err != nil {
		return nil, err
	}
	if err := r.resumePausedByApply(ctx); err != nil {
		return nil, err
	}
	p.Status = cdcops.PlanRolledBack
	if err := r.env.State.UpdatePlan(ctx, p); err != nil {
		return nil, err
	}
	return &Result{Plan: p, Changed: true, Message: "rolled back to pre-change snapshot " + p.PreChangeSnapshot, Steps: r.steps}, nil
}

// rollbackMigrate stops the connector on the target cluster (if the apply
// created it) and resumes the original, whose offsets were never touched.
func (r *runner) rollbackMigrate(ctx context.Context) (*Result, error) {
	p := r.p
	if r.opts.MigrateTo == nil {
		return nil, cdcops.Errorf(cdcops.EINVALID, "define the target under clusters: in the config file", "plan %s migrated to cluster %s, which is not configured", p.ID, p.Migrate.To.Name)
	}
	name := p.Connectors[0].Name
	to := r.opts.MigrateTo.Connect
	if _, err := to.Get(ctx, name); err == nil {
		if err := to.Stop(ctx, name); err != nil {
			return nil, err
		}
		if _, err := to.WaitFor(ctx, name, connect.Stopped, r.opts.Timeout); err != nil {
			return nil, err
		}
	} else if cdcops.ErrorCodeOf(err) != cdcops.ENOTFOUND {
		return nil, err
	}
	if !r.opts.NoResume {
		if err := r.env.Connect.Resume(ctx, name); err != nil {
			return nil, err
		}
		if _, err := r.env.Connect.WaitFor(ctx, name, connect.Running, r.opts.Timeout); err != nil {
			return nil, err
		}
	}
	if err := r.resumePausedByApply(ctx); err != nil {
		return nil, err
	}
	p.Status = cdcops.PlanRolledBack
	if err := r.env.State.UpdatePlan(ctx, p); err != nil {
		return nil, err
	}
	return &Result{Plan: p, Changed: true, Message: fmt.Sprintf("stopped %s on %s; running again on %s", name, p.Migrate.To.Name, p.Migrate.From.Name), Steps: []cdcops.StepRecord{}}, nil
}
