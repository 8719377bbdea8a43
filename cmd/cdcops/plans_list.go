package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/state"
	"github.com/cdcops/cdcops/surgery"
)

type plansListOptions struct {
	Limit int
}

func newPlansListCmd(g *globals) *cobra.Command {
	var opts plansListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List offset plans, newest first",
		Example: `  cdcops plans list
  cdcops plans list -o json --limit 10`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runPlansList(cmd.Context(), g, opts) },
	}
	cmd.Flags().IntVar(&opts.Limit, "limit", 50, "at most this many plans")
	return cmd
}

func runPlansList(ctx context.Context, g *globals, o plansListOptions) error {
	st, err := state.Open(ctx, g.stateURL)
	if err != nil {
		return err
	}
	defer st.Close()
	plans, err := st.Plans(ctx, o.Limit)
	if err != nil {
		return err
	}
	return g.print(plans, func(w io.Writer) {
		fmt.Fprintln(w, "ID\tKIND\tSTATUS\tCONNECTORS\tTARGET\tCREATED\tBY\tAPPROVALS")
		for _, p := range plans {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\n", p.ID, p.Kind, p.Status, strings.Join(surgery.Names(p), ","), p.Target,
				p.Created.Format(time.RFC3339), p.CreatedBy, len(p.Approvals), max(p.ApprovalsRequired-1, 0))
		}
		if len(plans) == 0 {
			fmt.Fprintln(w, "(no plans)\t\t\t\t\t\t\t")
		}
	})
}
