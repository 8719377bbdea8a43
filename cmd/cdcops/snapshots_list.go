package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/vault"
)

type snapshotsListOptions struct{}

func newSnapshotsListCmd(g *globals) *cobra.Command {
	var opts snapshotsListOptions
	return &cobra.Command{
		Use:   "list",
		Short: "List the snapshots in the vault, oldest first",
		Example: `  cdcops snapshots list
  cdcops snapshots list --vault 's3://backups?region=eu-west-1&prefix=cdcops/' -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runSnapshotsList(cmd.Context(), g, opts) },
	}
}

func runSnapshotsList(ctx context.Context, g *globals, _ snapshotsListOptions) error {
	v, err := g.openVault(ctx, "")
	if err != nil {
		return err
	}
	defer v.Close()
	all, err := v.List(ctx)
	if err != nil {
		return err
	}
	if all == nil {
		all = []cdcops.SnapshotSummary{}
	}
	junk, err := v.Junk(ctx)
	if err != nil {
		return err
	}
	warnJunk(g.stderr, junk)
	return g.print(all, func(w io.Writer) {
		fmt.Fprintln(w, "ID\tCREATED\tVIA\tRECORDS\tGROUPS\tENCRYPTED\tCONNECTORS")
		for _, s := range all {
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%v\t%s\n", s.ID, s.Created.UTC().Format(time.RFC3339), s.Via, s.Records, s.Groups, s.Encrypted, names(s.Connectors, 4))
		}
		if len(all) == 0 {
			fmt.Fprintf(w, "(no snapshots in %s)\n", v.URL())
		}
	})
}

// names shortens a connector list for a table cell.
func names(ns []string, max int) string {
	if len(ns) <= max {
		return strings.Join(ns, ",")
	}
	return fmt.Sprintf("%s,… (%d)", strings.Join(ns[:max], ","), len(ns))
}

// warnJunk reports objects that are not snapshots (interrupted writes,
// strays) on stderr, so stdout stays the list of snapshots.
func warnJunk(w io.Writer, junk []vault.JunkObject) {
	if len(junk) == 0 {
		return
	}
	fmt.Fprintf(w, "WARNING: %d object(s) in the vault are junk, not snapshots; `cdcops snapshots prune --apply` removes them:\n", len(junk))
	for _, j := range junk {
		fmt.Fprintf(w, "  %s (%d bytes): %s\n", j.Key, j.Size, j.Reason)
	}
}
