package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cdcops/cdcops/backup"
)

// newOffsetsCmd is the parent of the offsets commands: read (show,
// topics) and back up (backup); snapshots are managed by `snapshots`.
func newOffsetsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "offsets",
		Short: "Show, discover, back up and change (as plans) Kafka Connect / Debezium offsets",
		Example: `  cdcops offsets topics
  cdcops offsets show inventory-connector
  cdcops offsets backup --all
  cdcops offsets rewind inventory-connector --to-position 0/16B3748

  cdcops offsets journal
  cdcops offsets history inventory-connector --since 2h`,
	}
	cmd.AddCommand(
		newOffsetsShowCmd(g),
		newOffsetsBackupCmd(g),
		newOffsetsTopicsCmd(g),
		newOffsetsRestoreCmd(g),
		newOffsetsRewindCmd(g),
		newOffsetsSkipCmd(g),
		newOffsetsResetCmd(g),
		newOffsetsJournalCmd(g),
		newOffsetsHistoryCmd(g),
	)
	return cmd
}

// sourceFlags are --via and --topic, shared by show and backup.
type sourceFlags struct {
	Via    string
	Topics []string
}

func (s *sourceFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&s.Via, "via", "topic", "read offsets from the offsets topics (topic) or GET /connectors/{c}/offsets (rest)")
	fs.StringSliceVar(&s.Topics, "topic", nil, "offsets topic(s) to read (default: discover them, see `cdcops offsets topics`)")
}

// backupSources are the systems --connect and --bootstrap name, for the
// backup package.
func (g *globals) backupSources() backup.Sources {
	return backup.Sources{Connect: g.connectClient(), Bootstrap: g.bootstrap, Log: g.log, Warn: g.stderr}
}
