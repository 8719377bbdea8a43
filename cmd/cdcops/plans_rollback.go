package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/surgery"
)

type plansRollbackOptions struct {
	applyFlags
	ID string
}

func newPlansRollbackCmd(g *globals) *cobra.Command {
	var opts plansRollbackOptions
	cmd := &cobra.Command{
		Use:   "rollback ID --reason TEXT",
		Short: "Undo an applied (or interrupted) plan from its pre-change snapshot",
		Long: `Writes the pre-change snapshot the apply took back for the plan's
partitions, the same way (same key bytes and partitions, or PATCH):
stop, write, read back byte for byte, resume, watch. When the apply never
got to its backup nothing was written, and the connectors it stopped are
resumed. Audited like an apply.`,
		Example: `  cdcops plans rollback plan-20261201-101500-3fa2c1 --reason "replayed the wrong window"
  cdcops plans rollback plan-20261201-101500-3fa2c1 --reason OPS-43 --watch-offsets=false -o json`,
		Args: exactArgs(1, "a plan id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return runPlansRollback(cmd.Context(), g, opts)
		},
	}
	opts.applyFlags.addFlags(cmd.Flags())
	return cmd
}

func runPlansRollback(ctx context.Context, g *globals, o plansRollbackOptions) error {
	env, done, err := g.surgeryEnv(ctx)
	if err != nil {
		return err
	}
	defer done()
	res, err := surgery.Rollback(ctx, env, o.ID, o.options(g))
	if err != nil {
		return err
	}
	return printResult(g, res)
}
