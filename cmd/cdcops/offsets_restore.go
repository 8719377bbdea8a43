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
	ToTime             string
	AllowGap           bool
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
needs --reason.

With --to-time T the target is the connector's offsets at T from the
offsets journal (` + "`cdcops offsets journal`" + `): the last write at or before T
per partition. T must lie within what the journal has seen and outside
its gaps (--allow-gap overrides, with a warning). Unless --dry-run, that
state is stored in the vault first, so the plan names a verified snapshot.`,
		Example: `  cdcops offsets restore inventory-connector --snapshot 20261201T101500Z-3fa2c1
  cdcops offsets restore inventory-connector --to-time 2026-12-01T02:13:00Z --dry-run
  cdcops offsets restore --all --snapshot latest --dry-run
  cdcops offsets restore orders-sink --snapshot 20261201T101500Z-3fa2c1 --via topic -o json
  cdcops offsets restore inventory-connector --snapshot latest --pause-downstream`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			return runOffsetsRestore(cmd.Context(), g, opts)
		},
	}
	opts.planFlags.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&opts.Snapshot, "snapshot", "", "snapshot id (or unique prefix, or latest) to restore")
	cmd.Flags().StringVar(&opts.ToTime, "to-time", "", "restore the offsets as they stood at this instant, from the offsets journal (RFC 3339 or a duration ago)")
	cmd.Flags().BoolVar(&opts.AllowGap, "allow-gap", false, "with --to-time: answer even inside a stretch the journal could not see (warns)")
	cmd.Flags().BoolVar(&opts.All, "all", false, "every connector in the snapshot that Kafka Connect knows")
	cmd.Flags().BoolVar(&opts.AllowNewPartitions, "allow-new-partitions", false, "also add snapshot partitions the connector has no offset for now")
	return cmd
}

func runOffsetsRestore(ctx context.Context, g *globals, o offsetsRestoreOptions) error {
	if o.All == (len(o.Names) > 0) {
		return usageError{cdcops.Errorf(cdcops.EINVALID, "", "name the connectors to restore, or pass --all (not both)")}
	}
	req := surgery.Request{Kind: cdcops.PlanRestore, Names: o.Names, All: o.All,
		Snapshot: o.Snapshot, AllowNewPartitions: o.AllowNewPartitions}
	if o.ToTime != "" {
		if o.Snapshot != "" || o.All {
			return usageError{cdcops.Errorf(cdcops.EINVALID, "", "--to-time names the target itself: drop --snapshot and --all")}
		}
		target, err := journalSnapshot(ctx, g, o.Names, o.ToTime, o.AllowGap)
		if err != nil {
			return err
		}
		req.Target = target
		if !o.DryRun {
			id, err := g.storeSnapshot(ctx, target)
			if err != nil {
				return err
			}
			req.Snapshot = id
		}
	}
	return makePlan(ctx, g, o.planFlags, req)
}
