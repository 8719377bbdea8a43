package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/surgery"
)

type plansApproveOptions struct {
	ID     string
	As     string
	Reason string
	Ticket string
}

func newPlansApproveCmd(g *globals) *cobra.Command {
	var opts plansApproveOptions
	cmd := &cobra.Command{
		Use:   "approve ID [--as NAME]",
		Short: "Approve a plan (two-person rule: not your own)",
		Long: `Records an approval of the plan by --as NAME (default: CDCOPS_USER, else
the OS user). The config's approvals.required counts the people involved,
the author included: with 2, one other person must approve, and an author
approving their own plan is refused (exit 3). Every approval goes into the
audit log.`,
		Example: `  cdcops plans approve plan-20261201-101500-3fa2c1 --as bob --reason "checked the LSN against the incident timeline"
  CDCOPS_USER=bob cdcops plans approve plan-20261201-101500-3fa2c1 --ticket OPS-42`,
		Args: exactArgs(1, "a plan id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return runPlansApprove(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.As, "as", "", "approver name (default CDCOPS_USER or the OS user)")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why you approve")
	cmd.Flags().StringVar(&opts.Ticket, "ticket", "", "ticket id")
	return cmd
}

func runPlansApprove(ctx context.Context, g *globals, o plansApproveOptions) error {
	env, done, err := g.surgeryEnv(ctx)
	if err != nil {
		return err
	}
	defer done()
	p, err := surgery.Approve(ctx, env, o.ID, cdcops.Approval{By: g.actor(o.As), At: time.Now().UTC().Truncate(time.Millisecond), Reason: o.Reason, Ticket: o.Ticket})
	if err != nil {
		return err
	}
	ac := surgery.ApprovalCheck(p)
	return g.print(p, func(w io.Writer) {
		fmt.Fprintf(w, "plan %s approved by %s; %s; status %s\n", p.ID, g.actor(o.As), ac.Detail, p.Status)
	})
}
