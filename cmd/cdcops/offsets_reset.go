package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/surgery"
)

type offsetsResetOptions struct {
	planFlags
	Name        string
	ExactCounts bool
}

func newOffsetsResetCmd(g *globals) *cobra.Command {
	var opts offsetsResetOptions
	cmd := &cobra.Command{
		Use:   "reset NAME --reason TEXT",
		Short: "Plan removing every offset of a connector (it starts as if new)",
		Long: `Makes a plan that removes every offset of the connector (tombstones, or
deleted consumer group offsets for a sink). A Debezium source then takes a
new snapshot as its snapshot.mode says; a sink starts from
auto.offset.reset. --reason is required. When the source database can be
reached (--source DSN, the connector's database.* settings, or the lab's
database.url) the plan names the tables the connector will snapshot again
(its include/exclude lists applied) and their rows: the planner's estimate
(pg_class.reltuples, information_schema.TABLES.TABLE_ROWS), or count(*)
with --exact-counts.`,
		Example: `  cdcops offsets reset inventory-connector --reason "re-snapshot after schema rebuild" --dry-run
  cdcops offsets reset orders-sink --reason OPS-99 -o json
  cdcops offsets reset inventory-connector --reason OPS-7 --source postgres://cdc@db/inventory --exact-counts --dry-run
  cdcops offsets reset inventory-connector --reason OPS-7 --pause-downstream`,
		Args: exactArgs(1, "a connector name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runOffsetsReset(cmd.Context(), g, opts)
		},
	}
	opts.planFlags.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&opts.ExactCounts, "exact-counts", false, "count(*) the tables to re-snapshot instead of the planner's estimate")
	return cmd
}

func runOffsetsReset(ctx context.Context, g *globals, o offsetsResetOptions) error {
	return makePlan(ctx, g, o.planFlags, surgery.Request{Kind: cdcops.PlanReset, Names: []string{o.Name}, ExactCounts: o.ExactCounts})
}
