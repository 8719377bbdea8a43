package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/surgery"
)

type offsetsRestoreOptions struct {
	planFlags
	Names              []string
	All                bool
	Snapshot           string
	AllowNewPartitions bool
}

func newOffsetsRestoreCmd(g *globals) *cobra.Command {
	var opts offsetsRestoreOptions
	cmd := &cobra.Command{
		Use:   "restore NAME...|--all --snapshot ID",
		Short: "Plan putting a connector's offsets back to a snapshot (apply with `plans apply`)",
		Long: `Makes a plan that sets every partition the snapshot holds for the
connector(s) back to the snapshot's offset: before → after per partition,
decoded. Nothing is written here; ` + "`cdcops plans apply ID --reason TEXT`" + ` does that
(stop, pre-change backup, write, read back, resume, watch). Partitions the
snapshot does not hold are left alone. A snapshot partition the connector
does not have now is refused unless --allow-new-partitions; a forward jump
needs --reason.`,
		Example: `  cdcops offsets restore inventory-connector --snapshot 20261201T101500Z-3fa2c1
  cdcops offsets restore --all --snapshot latest --dry-run
  cdcops offsets restore orders-sink --snapshot 20261201T101500Z-3fa2c1 --via topic -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			return runOffsetsRestore(cmd.Context(), g, opts)
		},
	}
	opts.planFlags.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&opts.Snapshot, "snapshot", "", "snapshot id (or unique prefix, or latest) to restore")
	cmd.Flags().BoolVar(&opts.All, "all", false, "every connector in the snapshot that Kafka Connect knows")
	cmd.Flags().BoolVar(&opts.AllowNewPartitions, "allow-new-partitions", false, "also add snapshot partitions the connector has no offset for now")
	return cmd
}

func runOffsetsRestore(ctx context.Context, g *globals, o offsetsRestoreOptions) error {
	if o.All == (len(o.Names) > 0) {
		return usageError{cdcops.Errorf(cdcops.EINVALID, "", "name the connectors to restore, or pass --all (not both)")}
	}
	return makePlan(ctx, g, o.planFlags, surgery.Request{Kind: cdcops.PlanRestore, Names: o.Names, All: o.All,
		Snapshot: o.Snapshot, AllowNewPartitions: o.AllowNewPartitions})
}
