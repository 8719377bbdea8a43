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
needs --reason, and so do running non-idempotent sinks downstream, unless
--pause-downstream pauses them for the apply.

--via signal (MySQL/MariaDB connectors, Debezium 3.5+) repositions in-band
instead of writing the offset: the apply sends Debezium's set-binlog-position
signal on the connector's Kafka signal channel, waits for the committed
offset to reach the target, restarts the connector (Debezium requires it)
and watches the replay. Refused before anything is stored when the class is
not MySqlConnector/MariaDbConnector, heartbeat.interval.ms is missing or 0
(the signal commits through a heartbeat), no Kafka signal channel is
usable, or a GTID target meets an offset without GTIDs. Rollback writes the
pre-change snapshot back through the offsets path.`,
		Example: `  cdcops offsets rewind inventory-connector --to-position 0/16B3748 --source postgres://cdc@db/inventory
  cdcops offsets rewind mysql-connector --to-position mysql-bin.000003:154
  cdcops offsets rewind orders-sink --to-time 2026-12-01T10:00:00Z --dry-run
  cdcops offsets rewind mariadb-connector --to-position mariadb-bin.000002:4 --via signal --source mysql://cdc@db/
  cdcops offsets rewind mysql-connector --to-position 3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77 --via signal --dry-run -o json
  cdcops offsets rewind inventory-connector --to-position 0/16B3748 --pause-downstream`,
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
