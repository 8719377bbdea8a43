package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/state"
)

func newAuditListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "Print the audit log, oldest first",
		Example: `  cdcops audit list
  cdcops audit list -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runAuditList(cmd.Context(), g) },
	}
}

func runAuditList(ctx context.Context, g *globals) error {
	st, err := state.Open(ctx, g.stateURL)
	if err != nil {
		return err
	}
	defer st.Close()
	entries, err := st.Audit(ctx)
	if err != nil {
		return err
	}
	return g.print(entries, func(w io.Writer) {
		fmt.Fprintln(w, "SEQ\tAT\tACTOR\tACTION\tPLAN\tREASON\tTICKET\tRESULT")
		for _, e := range entries {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.At.Format(time.RFC3339), e.Actor, e.Action, e.PlanID, e.Reason, e.Ticket, e.Result)
		}
	})
}
