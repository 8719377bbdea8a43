package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/audit"
	"github.com/cdcops/cdcops/state"
)

type auditVerifyResult struct {
	Entries  int             `json:"entries"`
	OK       bool            `json:"ok"`
	Problems []audit.Problem `json:"problems"`
}

func newAuditVerifyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain (exit 1 when broken)",
		Long: `Recomputes every entry's hash and checks that it links to the entry
before it and that no sequence number is missing: an edited, deleted or
reordered entry breaks the chain. Exit 0 intact, 1 broken.`,
		Example: `  cdcops audit verify
  cdcops audit verify -o json --state postgres://cdcops@db/cdcops`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runAuditVerify(cmd.Context(), g) },
	}
}

func runAuditVerify(ctx context.Context, g *globals) error {
	st, err := state.Open(ctx, g.stateURL)
	if err != nil {
		return err
	}
	defer st.Close()
	entries, err := st.Audit(ctx)
	if err != nil {
		return err
	}
	res := auditVerifyResult{Entries: len(entries), Problems: audit.Verify(entries)}
	res.OK = len(res.Problems) == 0
	if err := g.print(res, func(w io.Writer) {
		if res.OK {
			fmt.Fprintf(w, "audit chain intact: %d entries\n", res.Entries)
			return
		}
		for _, p := range res.Problems {
			fmt.Fprintf(w, "entry %d: %s\n", p.Seq, p.Detail)
		}
		fmt.Fprintf(w, "audit chain BROKEN: %d problem(s) in %d entries\n", len(res.Problems), res.Entries)
	}); err != nil {
		return err
	}
	if !res.OK {
		return exitStatus(1)
	}
	return nil
}
