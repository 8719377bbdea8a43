package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/sqlconn"
)

// repairDrift is the `lab demo` step after reconcile found the drift:
// reconcile writes the drifted keys to a diff file, repair re-reads them,
// applies the fix (rollback script first, audit entry after) and the
// next reconcile is equal.
func (d *demoRun) repairDrift(ctx context.Context) error {
	if d.pipeline == nil || d.pipeline.Pipeline == nil {
		return errors.New("the pipeline step did not run")
	}
	p := d.pipeline.Pipeline
	dir := filepath.Dir(sqlconn.SQLitePath(p.SinkDSN))
	diff := filepath.Join(dir, "drift.jsonl")
	g := *d.labG
	g.stateURL = "sqlite://" + filepath.Join(dir, "state.db")
	g.getenv = d.g.getenv // the audit entry names the actor
	quiet := g
	quiet.stdout = io.Discard
	fmt.Fprintf(d.out, "$ cdcops reconcile --source %s --sink %s --table customers --diff-file %s\n", p.SourceDSN, p.SinkDSN, diff)
	if err := runReconcile(ctx, &quiet, &reconcileOptions{source: p.SourceDSN, sink: p.SinkDSN, table: "customers", diffFile: diff,
		tsPrecision: "us", floatDigits: 15, mode: "auto", maxDiffs: 1000}); err != nil && !errors.Is(err, exitStatus(1)) {
		return err
	}
	reason := "lab demo: the sink dropped 3 events"
	fmt.Fprintf(d.out, "$ cdcops repair --source %s --sink %s --table customers --from-diff %s --apply --reason %q\n", p.SourceDSN, p.SinkDSN, diff, reason)
	if err := runRepair(ctx, &g, &repairOptions{source: p.SourceDSN, sink: p.SinkDSN, table: "customers", fromDiff: diff,
		apply: true, reason: reason, batch: 200, tsPrecision: "us"}); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "$ cdcops reconcile --source %s --sink %s --table customers\n", p.SourceDSN, p.SinkDSN)
	rep, err := reconcile.Run(ctx, reconcile.Spec{Source: p.SourceDSN, Sink: p.SinkDSN, Table: "customers", Logger: d.g.log})
	if err != nil {
		return err
	}
	if !rep.Equal {
		return fmt.Errorf("after repair reconcile still finds %d differences", rep.Total())
	}
	fmt.Fprintf(d.out, "EQUAL: customers source %d rows = sink %d rows after the repair\n", rep.SourceRows, rep.SinkRows)
	return nil
}
