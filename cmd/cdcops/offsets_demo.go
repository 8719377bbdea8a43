package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Helpers for `cdcops lab demo` (and anyone scripting a lab): take a backup
// of a lab into a vault and diff it against the live offsets once the
// pipeline moved on. They run the real commands and narrate on out.

// labGlobals points a copy of g at a lab and a vault, printing tables to out.
func labGlobals(g *globals, out io.Writer, bootstrap, connectURL, vaultURL string) *globals {
	lg := &globals{bootstrap: bootstrap, connectURL: connectURL, vaultURL: vaultURL, output: "table",
		stdout: out, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	if g != nil {
		lg.cfg.Vault = g.cfg.Vault
		if g.stderr != nil {
			lg.stderr = g.stderr
		}
	}
	return lg
}

// labBackup runs `cdcops offsets backup --all` against the lab and returns
// the snapshot id.
func labBackup(ctx context.Context, g *globals, out io.Writer, bootstrap, connectURL, vaultURL string) (string, error) {
	lg := labGlobals(g, out, bootstrap, connectURL, vaultURL)
	fmt.Fprintf(out, "$ cdcops offsets backup --all --vault %s\n", vaultURL)
	res, err := backupOffsets(ctx, lg, offsetsBackupOptions{sourceFlags: sourceFlags{Via: "topic"}, All: true})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(out, "%s\n  %d records, %d sink groups, %d connectors; content sha256 %s\n", res.ID, res.Records, res.Groups, len(res.Connectors), res.ContentSHA256)
	return res.ID, nil
}

// labDiffLive waits (up to ctx) until the live offsets differ from
// snapshot id, then prints `cdcops snapshots diff ID live` and returns the
// number of changed partitions.
func labDiffLive(ctx context.Context, g *globals, out io.Writer, bootstrap, connectURL, vaultURL, id string) (int, error) {
	lg := labGlobals(g, io.Discard, bootstrap, connectURL, vaultURL)
	opts := snapshotsDiffOptions{A: id, B: "live"}
	for {
		res, err := diffSnapshots(ctx, lg, opts)
		if err != nil {
			return 0, err
		}
		if len(res.Entries) > 0 {
			break
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("offsets did not move past snapshot %s: %w", id, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	fmt.Fprintf(out, "$ cdcops snapshots diff %s live\n", id)
	lg.stdout = out
	res, err := diffSnapshots(ctx, lg, opts)
	if err != nil {
		return 0, err
	}
	if err := runSnapshotsDiff(ctx, lg, opts); err != nil {
		if _, ok := err.(exitStatus); !ok {
			return 0, err
		}
	}
	return len(res.Entries), nil
}

// backupAndDiff is a ready-made `lab demo` step: back up the lab's offsets
// into a throwaway vault, wait until the running pipeline moved on, and
// show `snapshots diff ID live`. Wire it with one line in demoSteps:
//
//	{"back up offsets, diff after the pipeline moved on", (*demoRun).backupAndDiff},
func (d *demoRun) backupAndDiff(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "cdcops-demo-vault-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	vaultURL := "file://" + filepath.ToSlash(dir)
	id, err := labBackup(ctx, d.g, d.out, d.kafka, d.connectURL, vaultURL)
	if err != nil {
		return err
	}
	_, err = labDiffLive(ctx, d.g, d.out, d.kafka, d.connectURL, vaultURL, id)
	return err
}
