package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/surgery"
)

type plansShowOptions struct {
	ID string
}

// planView is `plans show -o json`: the plan with its checklist checked
// now, and its step journal.
type planView struct {
	*cdcops.Plan
	Journal []cdcops.StepRecord `json:"journal"`
}

func newPlansShowCmd(g *globals) *cobra.Command {
	var opts plansShowOptions
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a plan: before → after per partition, preconditions, checklist, steps, rollback, journal",
		Long: `Shows a stored plan with each partition's before → after decoded (LSN
delta in bytes, binlog file/pos, GTIDs added/removed, Kafka offsets), its
unsafe flags, preconditions, the pre-flight checklist (checked again now,
not ticked), the steps an apply takes, how to roll back, and the journal of
applies and rollbacks so far.`,
		Example: `  cdcops plans show plan-20261201-101500-3fa2c1
  cdcops plans show plan-20261201-101500-3fa2c1 -o json`,
		Args: exactArgs(1, "a plan id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return runPlansShow(cmd.Context(), g, opts)
		},
	}
	return cmd
}

func runPlansShow(ctx context.Context, g *globals, o plansShowOptions) error {
	env, done, err := g.surgeryEnv(ctx)
	if err != nil {
		return err
	}
	defer done()
	p, err := surgery.LoadPlan(ctx, env, o.ID)
	if err != nil {
		return err
	}
	p.Checklist = surgery.Checklist(ctx, env, p)
	journal, err := env.State.Steps(ctx, p.ID, "")
	if err != nil {
		return err
	}
	return g.print(planView{p, journal}, func(w io.Writer) { printPlan(w, p, journal) })
}
