package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/audit"
	"github.com/cdcops/cdcops/state"
)

type auditExportOptions struct {
	Git string
}

func newAuditExportCmd(g *globals) *cobra.Command {
	var opts auditExportOptions
	cmd := &cobra.Command{
		Use:   "export --git DIR",
		Short: "Write one file per audited change into a git repository and commit each",
		Long: `Writes every audit entry not yet exported as DIR/changes/<seq>-<action>-<plan>.json
and commits it with a message naming the action, plan, actor, reason, ticket
and the entry's chain hash ("document every offset edit in version
control"). DIR becomes a git repository if it is not one. Refuses to export
a broken chain (run ` + "`cdcops audit verify`" + `).`,
		Example: `  cdcops audit export --git ./offset-changes
  cdcops audit export --git /srv/git/cdc-audit -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runAuditExport(cmd.Context(), g, opts) },
	}
	cmd.Flags().StringVar(&opts.Git, "git", "", "git repository directory to export into")
	return cmd
}

func runAuditExport(ctx context.Context, g *globals, o auditExportOptions) error {
	if o.Git == "" {
		return usageError{cdcops.Errorf(cdcops.EINVALID, "", "audit export needs --git DIR")}
	}
	st, err := state.Open(ctx, g.stateURL)
	if err != nil {
		return err
	}
	defer st.Close()
	entries, err := st.Audit(ctx)
	if err != nil {
		return err
	}
	if p := audit.Verify(entries); len(p) > 0 {
		return cdcops.Errorf(cdcops.ECORRUPT, "run `cdcops audit verify` to see where", "the audit chain is broken (%d problem(s)); refusing to export it", len(p))
	}
	res, err := audit.ExportGit(ctx, o.Git, entries)
	if err != nil {
		return err
	}
	return g.print(res, func(w io.Writer) {
		fmt.Fprintf(w, "exported %d change(s) to %s (%d commits)\n", len(res.Written), res.Dir, res.Commits)
	})
}
