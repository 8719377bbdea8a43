package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/lab/realstack"
	"github.com/cdcops/cdcops/reconcile"
)

// realDemoSteps are the demo steps that apply to the real stack (`lab demo
// --real`): the scripted-connector and fault-injection steps need the
// embedded lab, so the real pipeline gets load from `lab load` instead.
func realDemoSteps() []demoStep {
	return []demoStep{
		{"start the real stack", (*demoRun).startReal},
		{"show status", (*demoRun).showStatus},
		{"show offsets", (*demoRun).showOffsets},
		{"stop the source", (*demoRun).stopSource},
		{"resume the source", (*demoRun).resumeSource},
		{"put load on the source", (*demoRun).realLoad},
		{"offsets move on", (*demoRun).offsetsMoveOn},
		{"back up offsets, load, diff", (*demoRun).realBackupAndDiff},
		{"reconcile ends equal", (*demoRun).realReconcile},
	}
}

// startReal starts what `lab up --real` starts, in a throwaway directory.
func (d *demoRun) startReal(ctx context.Context) error {
	var cache realstack.Cache
	if d.g.getenv != nil {
		cache = realstack.Cache(d.g.getenv("CDCOPS_REALSTACK_CACHE"))
	}
	if cache == "" {
		var err error
		if cache, err = realstack.DefaultCache(); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "cdcops-demo-real-")
	if err == nil {
		err = os.Chmod(dir, 0o755) // the database server's user must reach it
	}
	if err != nil {
		return err
	}
	d.cleanup = append(d.cleanup, func() { os.RemoveAll(dir) })
	progress := d.g.stderr
	if progress == nil {
		progress = io.Discard
	}
	s, err := realstack.StartStack(ctx, realstack.StackOptions{Cache: cache, Dir: filepath.Join(dir, "stack"), Progress: progress})
	if err != nil {
		os.RemoveAll(dir)
		return cdcops.Errorf(cdcops.EUNAVAILABLE, realstack.FetchHint, "start the real stack: %w", err)
	}
	d.stack = s
	d.pointAt(s.Broker.Addr(), s.Worker.URL(), s.Pipeline.Source, s.Pipeline.Sink)
	fmt.Fprintf(d.out, "Kafka 4.4.0 (KRaft)           %s\nKafka Connect %s          %s\nPostgreSQL (private)          %s\n",
		s.Broker.Addr(), s.Worker.Version(), s.Worker.URL(), cdcops.RedactDSN(s.Postgres.DSN()))
	fmt.Fprintf(d.out, "Debezium %s → topic %s → JDBC sink %s\n", d.source, s.Pipeline.Topic, d.sink)
	return nil
}

// realLoad runs `cdcops lab load` on the real pipeline's source table.
func (d *demoRun) realLoad(ctx context.Context) error {
	p := d.stack.Pipeline
	fmt.Fprintf(d.out, "$ cdcops lab load --db %s --table %s --changes 200 --rate 0\n", cdcops.RedactDSN(p.SourceDSN), p.Table)
	return runLabLoad(ctx, d.labG, &labLoadOptions{db: p.SourceDSN, tables: []string{p.Table}, changes: 200})
}

// realBackupAndDiff backs up, puts more load on the source so Debezium
// moves on, and shows `snapshots diff ID live`.
func (d *demoRun) realBackupAndDiff(ctx context.Context) error {
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
	if err := d.realLoad(ctx); err != nil {
		return err
	}
	_, err = labDiffLive(ctx, d.g, d.out, d.kafka, d.connectURL, vaultURL, id)
	return err
}

// realReconcile waits for the JDBC sink to apply the stream, then shows
// reconcile finding no difference.
func (d *demoRun) realReconcile(ctx context.Context) error {
	p := d.stack.Pipeline
	fmt.Fprintf(d.out, "$ cdcops reconcile --source %s --sink %s --table %s\n", cdcops.RedactDSN(p.SourceDSN), cdcops.RedactDSN(p.SinkDSN), p.Table)
	for {
		rep, err := reconcile.Run(ctx, reconcile.Spec{Source: p.SourceDSN, Sink: p.SinkDSN, Table: p.Table, Logger: d.g.log})
		if err != nil {
			return err
		}
		if rep.Equal {
			return d.labG.print(rep, rep.WriteTable)
		}
		select {
		case <-ctx.Done():
			d.labG.print(rep, rep.WriteTable)
			return fmt.Errorf("sink %s still differs from the source: %w", d.sink, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}
