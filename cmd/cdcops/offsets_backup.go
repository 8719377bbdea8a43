package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/vault"
)

type offsetsBackupOptions struct {
	sourceFlags
	Names      []string
	All        bool
	AllowEmpty bool
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
is set). Refuses (exit 3) to store a backup that is empty or misses a named
connector, unless --allow-empty. Safe to run from cron: no prompts, stable
exit codes, identical offsets give an identical content hash.`,
		Example: `  cdcops offsets backup --all
  cdcops offsets backup inventory-connector orders-sink --vault 's3://backups?region=eu-west-1&prefix=cdcops/'
  cdcops offsets backup --all --via rest -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			return runOffsetsBackup(cmd.Context(), g, opts)
		},
	}
	opts.sourceFlags.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&opts.All, "all", false, "back up every connector (and every key of the offsets topics)")
	cmd.Flags().BoolVar(&opts.AllowEmpty, "allow-empty", false, "store the backup even if it is empty or misses a named connector")
	return cmd
}

// backupResult is what `offsets backup` prints.
type backupResult struct {
	cdcops.SnapshotSummary
	Vault   string   `json:"vault"`
	Missing []string `json:"missing,omitempty"`
}

func runOffsetsBackup(ctx context.Context, g *globals, o offsetsBackupOptions) error {
	res, err := backupOffsets(ctx, g, o)
	if err != nil {
		return err
	}
	return g.print(res, func(w io.Writer) {
		fmt.Fprintln(w, res.ID)
		fmt.Fprintf(w, "  %d records, %d sink groups, %d connectors; content sha256 %s\n", res.Records, res.Groups, len(res.Connectors), res.ContentSHA256)
		if len(res.Missing) > 0 {
			fmt.Fprintf(w, "  WARNING: no offsets for %s (--allow-empty)\n", strings.Join(res.Missing, ", "))
		}
	})
}

// backupOffsets takes a backup and stores it; the lab demo calls it too.
func backupOffsets(ctx context.Context, g *globals, o offsetsBackupOptions) (backupResult, error) {
	co := collectOptions{Names: o.Names, All: o.All, Via: o.Via, Topics: o.Topics}
	if err := co.validate(); err != nil {
		return backupResult{}, err
	}
	v, err := g.openVault(ctx, "")
	if err != nil {
		return backupResult{}, err
	}
	defer v.Close()
	s, err := collectSnapshot(ctx, g, co)
	if err != nil {
		return backupResult{}, fmt.Errorf("offsets backup: %w", err)
	}
	have := coverage(s)
	var missing []string
	for _, n := range o.Names {
		if have[n] == 0 {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if !o.AllowEmpty {
		if len(missing) > 0 {
			return backupResult{}, cdcops.Errorf(cdcops.ECONFLICT,
				"check the names with `cdcops connectors list` and `cdcops offsets show NAME`; --allow-empty stores it anyway",
				"refusing to store a backup without offsets for %s", strings.Join(missing, ", "))
		}
		if len(s.Content.Records)+len(s.Content.Groups)+countREST(s) == 0 {
			return backupResult{}, cdcops.Errorf(cdcops.ECONFLICT,
				"check --bootstrap/--connect and `cdcops offsets topics`; --allow-empty stores it anyway",
				"refusing to store an empty backup (no offsets found via %s)", o.Via)
		}
	}
	warnMalformed(g, s)
	if v.IsLocal() {
		fmt.Fprintf(g.stderr, "WARNING: vault %s is on local disk, a single point of failure; use an s3:// vault (see docs/backup.md)\n", v.URL())
	}
	start := time.Now()
	sum, err := v.Put(ctx, s)
	if err != nil {
		return backupResult{}, fmt.Errorf("offsets backup: %w", err)
	}
	g.log.Info("offsets backup stored", "id", sum.ID, "vault", v.URL(), "records", sum.Records, "encrypted", sum.Encrypted, "took", time.Since(start))
	return backupResult{SnapshotSummary: sum, Vault: v.URL(), Missing: missing}, nil
}

func countREST(s *cdcops.Snapshot) int {
	n := 0
	for _, b := range s.Content.REST {
		n += len(b.Offsets)
	}
	return n
}

// openVault opens --vault with the config's recipients; identity (or
// vault.identity) decrypts.
func (g *globals) openVault(ctx context.Context, identity string) (*vault.Vault, error) {
	if identity == "" {
		identity = g.cfg.Vault.Identity
	}
	return vault.Open(ctx, g.vaultURL, vault.Options{Recipients: g.cfg.Vault.Recipients, Identity: identity})
}

// warnMalformed tells the operator about keys Connect ignores; they are
// kept raw and flagged, never dropped and never "fixed".
func warnMalformed(g *globals, s *cdcops.Snapshot) {
	n, envelope := 0, false
	var example []byte
	for _, r := range s.Content.Records {
		if !r.Malformed {
			continue
		}
		if n == 0 {
			example = r.RawKey
		}
		n++
		envelope = envelope || bytes.Contains(r.RawKey, []byte(`"schema"`)) && bytes.Contains(r.RawKey, []byte(`"payload"`))
	}
	if n == 0 {
		return
	}
	if len(example) > 80 {
		example = example[:80]
	}
	fmt.Fprintf(g.stderr, "WARNING: %d key(s) are not Connect offset keys [\"name\",{partition}] (e.g. %q); kept raw and flagged malformed\n", n, example)
	if envelope {
		fmt.Fprintln(g.stderr, "WARNING: {\"schema\":…,\"payload\":…} keys mean internal converters with schemas.enable=true (Kafka 2.x); Connect 3.x does not read them")
	}
}
