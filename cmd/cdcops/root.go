package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"
)

func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "cdcops",
		Short: "Safe offset operations and source-vs-sink reconciliation for Kafka Connect / Debezium",
		Long: `cdcops backs up, inspects and moves Kafka Connect / Debezium offsets with
plans and verification, proves that a sink still matches its source, and
ships a lab (in-process Kafka + Connect-compatible worker) to rehearse it all.

Exit codes: 0 success / no differences, 1 differences found or a check
failed, 2 usage or configuration error, 3 runtime failure.`,
		Example: `  cdcops lab up                                   # embedded Kafka + Connect on 127.0.0.1
  cdcops connectors list --connect http://127.0.0.1:8083
  cdcops connectors stop inventory-connector
  cdcops --config cdcops.yaml --cluster prod connectors status orders-sink -o json`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.load(cmd); err != nil {
				return err
			}
			if err := checkGlobals(g); err != nil {
				return err
			}
			if err := checkFlags(cmd); err != nil {
				return err
			}
			g.boundCommand(cmd)
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	g.addFlags(root.PersistentFlags())
	root.AddCommand(
		newVersionCmd(g),
		newConnectorsCmd(g),
		newLabCmd(g),
		newOffsetsCmd(g),
		newSnapshotsCmd(g),
		newReconcileCmd(g),
		newPlansCmd(g),
		newAuditCmd(g),
		newRepairCmd(g),
		newMonitorCmd(g),
		newServeCmd(g),
	)
	guardGroups(root)
	return root
}

// usageError marks errors from flag parsing and argument checks (exit 2).
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func isUsageError(err error) bool {
	var u usageError
	if errors.As(err, &u) {
		return true
	}
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "accepts ") || strings.HasPrefix(msg, "if any flags in the group") ||
		strings.HasPrefix(msg, "requires ") || strings.Contains(msg, "unknown flag") || strings.Contains(msg, "unknown shorthand")
}

// usageMessage rewrites cobra's flag-group message into one that names
// the flags: "--pairs and --table cannot be used together".
func usageMessage(err error) string {
	msg := err.Error()
	if !strings.HasPrefix(msg, "if any flags in the group [") {
		return msg
	}
	group, _, _ := strings.Cut(strings.TrimPrefix(msg, "if any flags in the group ["), "]")
	names := strings.Fields(group)
	for i, n := range names {
		names[i] = "--" + n
	}
	return strings.Join(names, " and ") + " cannot be used together"
}

// commandPath finds the subcommand args name, for the usage hint.
func commandPath(root *cobra.Command, args []string) string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == root {
		return "cdcops"
	}
	return cmd.CommandPath()
}

// exactArgs is cobra.ExactArgs with an error that says what is missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{errors.New(cmd.CommandPath() + " needs " + what)}
		}
		return nil
	}
}
