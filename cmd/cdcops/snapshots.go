package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// newSnapshotsCmd is the parent of the vault commands.
func newSnapshotsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "snapshots",
		Aliases: []string{"snapshot"},
		Short:   "List, show, verify, diff and prune offset snapshots in the vault",
		Example: `  cdcops snapshots list
  cdcops snapshots verify                 # every snapshot
  cdcops snapshots diff latest live
  cdcops snapshots prune --keep-days 7 --keep-last 10 --apply`,
	}
	cmd.AddCommand(
		newSnapshotsListCmd(g),
		newSnapshotsShowCmd(g),
		newSnapshotsVerifyCmd(g),
		newSnapshotsDiffCmd(g),
		newSnapshotsPruneCmd(g),
	)
	return cmd
}

// identityFlag is --identity, the age identity file that decrypts.
type identityFlag struct{ Identity string }

func (i *identityFlag) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&i.Identity, "identity", "", "age identity file to decrypt snapshots (default vault.identity from the config)")
}
