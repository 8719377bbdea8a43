package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/surgery"
)

type offsetsResetOptions struct {
	planFlags
	Name string
}

func newOffsetsResetCmd(g *globals) *cobra.Command {
	var opts offsetsResetOptions
	cmd := &cobra.Command{
		Use:   "reset NAME --reason TEXT",
		Short: "Plan removing every offset of a connector (it starts as if new)",
		Long: `Makes a plan that removes every offset of the connector (tombstones, or
deleted consumer group offsets for a sink). A Debezium source then takes a
new snapshot as its snapshot.mode says; a sink starts from
auto.offset.reset. --reason is required.`,
		Example: `  cdcops offsets reset inventory-connector --reason "re-snapshot after schema rebuild" --dry-run
  cdcops offsets reset orders-sink --reason OPS-99 -o json`,
		Args: exactArgs(1, "a connector name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runOffsetsReset(cmd.Context(), g, opts)
		},
	}
	opts.planFlags.addFlags(cmd.Flags())
	return cmd
}

func runOffsetsReset(ctx context.Context, g *globals, o offsetsResetOptions) error {
	return makePlan(ctx, g, o.planFlags, surgery.Request{Kind: cdcops.PlanReset, Names: []string{o.Name}})
}
