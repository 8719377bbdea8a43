package main

import (
	"github.com/spf13/cobra"
)

// newAuditCmd is the parent of the audit log commands.
func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "The hash-chained log of offset plans, approvals, applies and rollbacks",
		Example: `  cdcops audit list
  cdcops audit verify
  cdcops audit export --git ./offset-changes`,
	}
	cmd.AddCommand(newAuditListCmd(g), newAuditVerifyCmd(g), newAuditExportCmd(g))
	return cmd
}
