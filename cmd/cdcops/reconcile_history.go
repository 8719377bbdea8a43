package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/state"
)

type reconcileHistoryOptions struct {
	table string
	limit int
}

func newReconcileHistoryCmd(g *globals) *cobra.Command {
	opts := &reconcileHistoryOptions{}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List recorded reconcile runs, newest first",
		Example: `  cdcops reconcile history
  cdcops reconcile history --table public.orders --limit 5 -o json
  cdcops --state postgres://ops@statedb/cdcops reconcile history`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runReconcileHistory(cmd.Context(), g, opts) },
	}
	cmd.Flags().StringVar(&opts.table, "table", "", "only runs of this source or sink table (as shown in reports)")
	cmd.Flags().IntVar(&opts.limit, "limit", 20, "at most this many runs")
	return cmd
}

func runReconcileHistory(ctx context.Context, g *globals, o *reconcileHistoryOptions) error {
	store, err := state.Open(ctx, g.stateURL)
	if err != nil {
		return err
	}
	defer store.Close()
	runs, err := store.ReconcileRuns(ctx, o.table, o.limit)
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []state.ReconcileRun{}
	}
	if g.output != "json" {
		for i := range runs {
			runs[i].Summary = nil
		}
	}
	return g.print(runs, func(w io.Writer) {
		fmt.Fprintln(w, "ID\tSTARTED\tRESULT\tSOURCE TABLE\tSINK TABLE\tSOURCE ROWS\tSINK ROWS\tMISSING\tEXTRA\tCHANGED\tDUPLICATES\tMS")
		for _, r := range runs {
			verdict := "equal"
			if !r.Equal {
				verdict = "DIFFERENT"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", r.ID, r.Started.Format("2006-01-02 15:04:05Z"), verdict,
				r.SourceTable, r.SinkTable, r.SourceRows, r.SinkRows, r.Missing, r.Extra, r.Changed, r.Duplicates, r.ElapsedMS)
		}
	})
}
