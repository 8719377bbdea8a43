package main

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/snapshots"
)

type snapshotsVerifyOptions struct {
	identityFlag
	Refs []string
}

func newSnapshotsVerifyCmd(g *globals) *cobra.Command {
	var opts snapshotsVerifyOptions
	cmd := &cobra.Command{
		Use:   "verify [ID...]",
		Short: "Re-hash, re-parse and validate snapshots (all of them by default); exit 1 if any fails",
		Long: `For each snapshot: the stored file's sha256 against the one recorded at
backup, decryption, the framing and both hashes of the cdcops.snapshot/v1
format, then every record (key is [string, object] or flagged malformed,
flat values, per-class fields, partitions and offsets within what was read).`,
		Example: `  cdcops snapshots verify
  cdcops snapshots verify latest --identity ~/.config/cdcops/age.key -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Refs = args
			return runSnapshotsVerify(cmd.Context(), g, opts)
		},
	}
	opts.identityFlag.addFlags(cmd.Flags())
	return cmd
}

func runSnapshotsVerify(ctx context.Context, g *globals, o snapshotsVerifyOptions) error {
	v, err := g.openVault(ctx, o.Identity)
	if err != nil {
		return err
	}
	defer v.Close()
	var sums []cdcops.SnapshotSummary
	if len(o.Refs) == 0 {
		if sums, err = v.List(ctx); err != nil {
			return err
		}
		if len(sums) == 0 {
			return cdcops.Errorf(cdcops.ENOTFOUND, "take one with `cdcops offsets backup --all`", "no snapshots in %s", v.URL())
		}
	}
	for _, r := range o.Refs {
		s, err := v.Resolve(ctx, r)
		if err != nil {
			return err
		}
		sums = append(sums, s)
	}
	results := make([]snapshots.VerifyResult, 0, len(sums))
	failed := 0
	var checked atomic.Int64
	stop := g.startProgress("snapshots verify", func() string { return progressBar(checked.Load(), int64(len(sums)), "snapshots") })
	defer stop()
	for _, s := range sums {
		res, err := snapshots.Verify(ctx, v, s)
		checked.Add(1)
		if err != nil {
			return fmt.Errorf("verify %s: %w", s.ID, err)
		}
		if !res.OK {
			failed++
		}
		results = append(results, res)
	}
	stop()
	if err := g.print(results, func(w io.Writer) {
		for _, r := range results {
			if r.OK {
				fmt.Fprintf(w, "%s\tOK\t%d records, %d warnings\n", r.ID, r.Records, len(r.Warnings))
				continue
			}
			fmt.Fprintf(w, "%s\tFAILED\t%s\n", r.ID, r.Problems[0])
			for _, p := range r.Problems[1:] {
				fmt.Fprintf(w, "\t\t%s\n", p)
			}
		}
	}); err != nil {
		return err
	}
	if failed > 0 {
		fmt.Fprintf(g.stderr, "%d of %d snapshots failed verification\n", failed, len(results))
		return exitStatus(1)
	}
	return nil
}
