package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/snapshots"
)

type snapshotsDiffOptions struct {
	identityFlag
	A, B string
}

func newSnapshotsDiffCmd(g *globals) *cobra.Command {
	var opts snapshotsDiffOptions
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Show per partition how offsets moved from snapshot A to B (B may be live); exit 1 if they differ",
		Long: `Lists every source partition (and sink group partition) whose offset differs,
before → after, with decoded deltas: LSN bytes, binlog file/pos, GTIDs added
and removed, SQL Server LSN direction, SCN and time deltas. B = live reads
the current state the same way A was taken (same connectors, same --via).`,
		Example: `  cdcops snapshots diff 20261121T120000Z-3f2a latest
  cdcops snapshots diff latest live -o json`,
		Args: exactArgs(2, "two snapshot ids (B may be live)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.A, opts.B = args[0], args[1]
			return runSnapshotsDiff(cmd.Context(), g, opts)
		},
	}
	opts.identityFlag.addFlags(cmd.Flags())
	return cmd
}

func runSnapshotsDiff(ctx context.Context, g *globals, o snapshotsDiffOptions) error {
	stop := g.startProgress("snapshots diff "+o.A+" "+o.B, nil)
	res, err := diffSnapshots(ctx, g, o)
	stop()
	if err != nil {
		return err
	}
	if err := g.print(newDiffView(res), func(w io.Writer) {
		fmt.Fprintf(w, "# %s → %s: %d changed, %d unchanged\n", res.A, res.B, len(res.Entries), res.Unchanged)
		fmt.Fprintln(w, "CONNECTOR\tPARTITION\tCHANGE\tDELTA")
		for _, e := range res.Entries {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", e.Connector, e.Partition, e.Change, strings.Join(e.Deltas, "; "))
		}
	}); err != nil {
		return err
	}
	if len(res.Entries) > 0 {
		return exitStatus(1)
	}
	return nil
}

// diffSnapshots loads A and B (B = "live" collects the current state in
// A's scope) and compares them; the lab demo calls it too.
func diffSnapshots(ctx context.Context, g *globals, o snapshotsDiffOptions) (snapshots.DiffResult, error) {
	v, err := g.openVault(ctx, o.Identity)
	if err != nil {
		return snapshots.DiffResult{}, err
	}
	defer v.Close()
	a, err := v.Load(ctx, o.A)
	if err != nil {
		return snapshots.DiffResult{}, err
	}
	var b *cdcops.Snapshot
	if o.B == "live" {
		if b, err = backup.Collect(ctx, g.backupSources(), backup.ScopeOf(a)); err != nil {
			return snapshots.DiffResult{}, fmt.Errorf("live offsets: %w", err)
		}
		b.ID = "live"
	} else if b, err = v.Load(ctx, o.B); err != nil {
		return snapshots.DiffResult{}, err
	}
	return snapshots.Diff(a, b), nil
}
