package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/surgery"
)

type offsetsSkipOptions struct {
	planFlags
	Name      string
	Partition string
	Count     int64
}

func newOffsetsSkipCmd(g *globals) *cobra.Command {
	var opts offsetsSkipOptions
	cmd := &cobra.Command{
		Use:   "skip NAME --partition TOPIC:P [--count N] --reason TEXT",
		Short: "Plan moving a sink past N records of one partition (a poison pill)",
		Long: `Makes a plan that moves a sink connector's consumer group offset of one
topic partition forward by --count records (default 1), never past the log
end. The skipped records are never delivered, so --reason is required.`,
		Example: `  cdcops offsets skip orders-sink --partition orders:0 --reason "poison pill at offset 1234"
  cdcops offsets skip orders-sink --partition orders:3 --count 2 --reason OPS-17 -o json`,
		Args: exactArgs(1, "a connector name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runOffsetsSkip(cmd.Context(), g, opts)
		},
	}
	opts.planFlags.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&opts.Partition, "partition", "", "TOPIC:PARTITION to skip in")
	cmd.Flags().Int64Var(&opts.Count, "count", 1, "records to skip")
	return cmd
}

func runOffsetsSkip(ctx context.Context, g *globals, o offsetsSkipOptions) error {
	return makePlan(ctx, g, o.planFlags, surgery.Request{Kind: cdcops.PlanSkip, Names: []string{o.Name}, Partition: o.Partition, Count: o.Count})
}
