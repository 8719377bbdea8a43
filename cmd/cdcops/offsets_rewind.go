package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/surgery"
)

type offsetsRewindOptions struct {
	planFlags
	Name      string
	Position  string
	Time      string
	Partition string
}

func newOffsetsRewindCmd(g *globals) *cobra.Command {
	var opts offsetsRewindOptions
	cmd := &cobra.Command{
		Use:   "rewind NAME --to-position POS | --to-time T",
		Short: "Plan moving a connector to a log position (sources) or a time (sinks)",
		Long: `Makes a plan that moves a source connector's offset to a position in the
source database's log, written the way the connector class's loader reads it:
PostgreSQL LSN X/Y (lsn, lsn_proc, lsn_commit), MySQL/MariaDB binlog
file:pos or a GTID set, SQL Server LSN 8:8:4, Oracle SCN. For sink
connectors --to-time moves the consumer group to the first offsets at that
time (ListOffsets by timestamp; no zone = UTC). The source log check
(--source DSN, or the connector's database.* settings) refuses a target the
database no longer has (exit 3) unless --force --reason. A forward jump
needs --reason.`,
		Example: `  cdcops offsets rewind inventory-connector --to-position 0/16B3748 --source postgres://cdc@db/inventory
  cdcops offsets rewind mysql-connector --to-position mysql-bin.000003:154
  cdcops offsets rewind orders-sink --to-time 2026-12-01T10:00:00Z --dry-run`,
		Args: exactArgs(1, "a connector name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runOffsetsRewind(cmd.Context(), g, opts)
		},
	}
	opts.planFlags.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&opts.Position, "to-position", "", "source position: LSN X/Y, file:pos, GTID set, SQL Server LSN, SCN")
	cmd.Flags().StringVar(&opts.Time, "to-time", "", "sink: time to rewind the consumer group to (RFC3339)")
	cmd.Flags().StringVar(&opts.Partition, "partition", "", `only this partition map, e.g. '{"server":"dbserver1","database":"inv"}'`)
	return cmd
}

func runOffsetsRewind(ctx context.Context, g *globals, o offsetsRewindOptions) error {
	return makePlan(ctx, g, o.planFlags, surgery.Request{Kind: cdcops.PlanRewind, Names: []string{o.Name},
		Position: o.Position, Time: o.Time, Partition: o.Partition})
}
