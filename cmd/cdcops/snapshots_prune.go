package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/snapshots"
	"github.com/cdcops/cdcops/vault"
)

type snapshotsPruneOptions struct {
	identityFlag
	KeepDays int
	KeepLast int
	Apply    bool
}

func newSnapshotsPruneCmd(g *globals) *cobra.Command {
	var opts snapshotsPruneOptions
	cmd := &cobra.Command{
		Use:   "prune --keep-days N [--keep-last N] [--apply]",
		Short: "Delete old snapshots; prints the plan unless --apply, never deletes a connector's newest good snapshot",
		Long: `Keeps snapshots younger than --keep-days, the --keep-last newest, and for
every connector the newest snapshot that verifies; the rest would be deleted.
Like every cdcops command that changes something, it only prints the plan
unless --apply (alias --yes) is given.`,
		Example: `  cdcops snapshots prune --keep-days 7
  cdcops snapshots prune --keep-days 7 --keep-last 20 --apply`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runSnapshotsPrune(cmd.Context(), g, opts) },
	}
	fs := cmd.Flags()
	fs.IntVar(&opts.KeepDays, "keep-days", 7, "keep snapshots younger than this many days")
	fs.IntVar(&opts.KeepLast, "keep-last", 0, "keep at least this many newest snapshots")
	fs.BoolVar(&opts.Apply, "apply", false, "delete (default: print the plan only)")
	fs.BoolVar(&opts.Apply, "yes", false, "same as --apply")
	opts.identityFlag.addFlags(fs)
	return cmd
}

type pruneResult struct {
	Applied bool                      `json:"applied"`
	Deleted int                       `json:"deleted"`
	Plan    []snapshots.PruneDecision `json:"plan"`
	// Junk are objects that are not snapshots; with --apply those older
	// than junkGrace are removed (younger ones may be a backup being written).
	Junk        []vault.JunkObject `json:"junk"`
	JunkDeleted int                `json:"junk_deleted"`
}

// junkGrace keeps young junk: it may be a backup still being written.
const junkGrace = 10 * time.Minute

func runSnapshotsPrune(ctx context.Context, g *globals, o snapshotsPruneOptions) error {
	if o.KeepDays < 0 || o.KeepLast < 0 {
		return usageError{fmt.Errorf("--keep-days and --keep-last must not be negative")}
	}
	v, err := g.openVault(ctx, o.Identity)
	if err != nil {
		return err
	}
	defer v.Close()
	plan, err := snapshots.PlanPrune(ctx, v, snapshots.PruneOptions{KeepDays: o.KeepDays, KeepLast: o.KeepLast, Now: time.Now()})
	if err != nil {
		return err
	}
	junk, err := v.Junk(ctx)
	if err != nil {
		return err
	}
	res := pruneResult{Plan: plan, Junk: junk}
	if res.Junk == nil {
		res.Junk = []vault.JunkObject{}
	}
	if o.Apply {
		n, err := snapshots.ApplyPrune(ctx, v, plan)
		res.Applied, res.Deleted = true, n
		if err != nil {
			return fmt.Errorf("prune: deleted %d, then: %w", n, err)
		}
		for _, j := range junk {
			if time.Since(j.Modified) < junkGrace {
				continue
			}
			if err := v.DeleteJunk(ctx, j); err != nil {
				return fmt.Errorf("prune: deleted %d snapshot(s) and %d junk object(s), then: %w", n, res.JunkDeleted, err)
			}
			res.JunkDeleted++
		}
	}
	return g.print(res, func(w io.Writer) {
		fmt.Fprintln(w, "ID\tCREATED\tACTION\tWHY")
		del := 0
		for _, d := range plan {
			action := "keep"
			if !d.Keep {
				action, del = "delete", del+1
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", d.ID, d.Created.UTC().Format(time.RFC3339), action, d.Reason)
		}
		for _, j := range junk {
			action := "delete"
			if time.Since(j.Modified) < junkGrace {
				action = "keep (younger than " + junkGrace.String() + ", may be a backup in progress)"
			}
			fmt.Fprintf(w, "%s\t%s\tjunk: %s\t%s\n", j.Key, j.Modified.UTC().Format(time.RFC3339), action, j.Reason)
		}
		if !o.Apply {
			fmt.Fprintf(w, "dry run: %d snapshot(s) and the old junk would be deleted; pass --apply to delete them\n", del)
		} else {
			fmt.Fprintf(w, "deleted %d snapshot(s) and %d junk object(s)\n", res.Deleted, res.JunkDeleted)
		}
	})
}
