package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/vault"
)

type offsetsBackupOptions struct {
	sourceFlags
	Names        []string
	All          bool
	AllowEmpty   bool
	AllowPartial bool
	DedupeWindow time.Duration
	At           string // materialise from the journal at this instant
	AllowGap     bool
}

func newOffsetsBackupCmd(g *globals) *cobra.Command {
	var opts offsetsBackupOptions
	cmd := &cobra.Command{
		Use:   "backup [NAME...|--all]",
		Short: "Back up connector offsets into the vault; prints the snapshot id",
		Long: `Reads every offsets topic from its start to the end offsets sampled when the
read starts (read_committed; no timeout guessing), keeps the last record per
exact key bytes, adds sink connectors' consumer group offsets and each
connector's class and (redacted) config, and stores a cdcops.snapshot/v1 file
with sha256s in the vault (--vault, encrypted with age when vault.recipients
is set). Every stored object is read back (size and sha256) before it says
"stored". Refuses (exit 3, nothing stored) a backup that is empty or misses a
named connector, unless --allow-empty, and one where Kafka Connect could not
be read (no sink groups, no configs), unless --allow-partial. When the newest
intact snapshot younger than --dedupe-window has identical content, nothing is
stored and that snapshot's id is printed. Safe to run from cron: no prompts,
stable exit codes.`,
		Example: `  cdcops offsets backup --all
  cdcops offsets backup inventory-connector orders-sink --vault 's3://backups?region=eu-west-1&prefix=cdcops/'
  cdcops offsets backup --all --via rest -o json
  cdcops offsets backup inventory-connector --at 2026-12-01T02:13:00Z   # from the journal`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			return runOffsetsBackup(cmd.Context(), g, opts)
		},
	}
	opts.sourceFlags.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&opts.All, "all", false, "back up every connector (and every key of the offsets topics)")
	cmd.Flags().BoolVar(&opts.AllowEmpty, "allow-empty", false, "store the backup even if it is empty or misses a named connector")
	cmd.Flags().BoolVar(&opts.AllowPartial, "allow-partial", false, "store the offsets topics alone when Kafka Connect cannot be read (no sink groups, no configs)")
	cmd.Flags().DurationVar(&opts.DedupeWindow, "dedupe-window", time.Hour, "store nothing when a snapshot this recent holds identical content (0 = always store)")
	cmd.Flags().StringVar(&opts.At, "at", "", "store the offsets as they stood at this instant, from `cdcops offsets journal` (RFC 3339 or a duration ago)")
	cmd.Flags().BoolVar(&opts.AllowGap, "allow-gap", false, "with --at: answer even inside a stretch the journal could not see (warns)")
	return cmd
}

func runOffsetsBackup(ctx context.Context, g *globals, o offsetsBackupOptions) error {
	res, err := backupOffsets(ctx, g, o)
	if err != nil {
		return err
	}
	return g.print(res, func(w io.Writer) {
		if res.Deduplicated {
			fmt.Fprintf(w, "%s\n  unchanged: this snapshot (taken %s, within --dedupe-window) already holds identical content; nothing new stored\n",
				res.ID, res.Created.UTC().Format(time.RFC3339))
			return
		}
		fmt.Fprintln(w, res.ID)
		fmt.Fprintf(w, "  %d records, %d sink groups, %d connectors; content sha256 %s\n", res.Records, res.Groups, len(res.Connectors), res.ContentSHA256)
		if len(res.Missing) > 0 {
			fmt.Fprintf(w, "  WARNING: no offsets for %s (--allow-empty)\n", strings.Join(res.Missing, ", "))
		}
		for _, p := range res.Partial {
			fmt.Fprintf(w, "  WARNING: PARTIAL backup (--allow-partial), missing %s\n", p)
		}
	})
}

// backupOffsets takes a backup and stores it; the lab demo calls it too.
func backupOffsets(ctx context.Context, g *globals, o offsetsBackupOptions) (backup.Result, error) {
	if o.At != "" {
		return backupAt(ctx, g, o)
	}
	bo := backup.Options{Names: o.Names, All: o.All, Via: o.Via, Topics: o.Topics, AllowEmpty: o.AllowEmpty,
		AllowPartial: o.AllowPartial, DedupeWindow: o.DedupeWindow}
	// Bad flags are reported before the vault is opened.
	if err := bo.Validate(); err != nil {
		return backup.Result{}, err
	}
	v, err := g.openVault(ctx, "")
	if err != nil {
		return backup.Result{}, err
	}
	defer v.Close()
	defer g.startProgress("offsets backup: reading and storing offsets", nil)()
	return backup.Take(ctx, g.backupSources(), v, bo)
}

// openVault opens --vault with the config's recipients; identity (or
// vault.identity) decrypts.
func (g *globals) openVault(ctx context.Context, identity string) (*vault.Vault, error) {
	if identity == "" {
		identity = g.cfg.Vault.Identity
	}
	return vault.Open(ctx, g.vaultURL, vault.Options{Recipients: g.cfg.Vault.Recipients, Identity: identity})
}
