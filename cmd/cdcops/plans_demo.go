package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/surgery"
)

// rewindReplay is the `lab demo` step after reconcile found the drift: a
// real rewind through a plan — the sink's consumer group back to the start
// of its topics — applied with its journal, and the replay converging
// until reconcile says equal.
func (d *demoRun) rewindReplay(ctx context.Context) error {
	if d.pipeline == nil || d.pipeline.Pipeline == nil {
		return errors.New("the pipeline step did not run")
	}
	p := d.pipeline.Pipeline
	dir, err := os.MkdirTemp("", "cdcops-demo-plans-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	lg := labGlobals(d.g, d.out, d.lab.KafkaAddr(), d.lab.ConnectURL(), "file://"+filepath.ToSlash(filepath.Join(dir, "vault")))
	lg.stateURL = "sqlite://" + filepath.Join(dir, "state.db")
	lg.getenv = func(string) string { return "" }
	fmt.Fprintf(d.out, "$ cdcops connectors stop %s\n", p.Sink)
	if err := runConnectorsStop(ctx, d.labG, connectorsStateOptions{Name: p.Sink, waitFlags: d.wait}); err != nil {
		return err
	}
	env, done, err := lg.surgeryEnv(ctx)
	if err != nil {
		return err
	}
	defer done()
	from := "1970-01-01T00:00:00Z"
	fmt.Fprintf(d.out, "$ cdcops offsets rewind %s --to-time %s\n", p.Sink, from)
	plan, err := surgery.MakePlan(ctx, env, surgery.Request{Kind: cdcops.PlanRewind, Names: []string{p.Sink}, Time: from, Actor: "demo"})
	if err != nil {
		return err
	}
	if err := surgery.Store(ctx, env, plan); err != nil {
		return err
	}
	printPlan(d.out, plan, nil)
	fmt.Fprintf(d.out, "$ cdcops plans apply %s --reason \"replay the dropped events\"\n", plan.ID)
	res, err := surgery.Apply(ctx, env, plan.ID, surgery.ApplyOptions{Reason: "replay the dropped events", Actor: "demo",
		WatchOffsets: true, Timeout: d.wait.Timeout})
	if err != nil {
		return err
	}
	if err := printResult(lg, res); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "$ cdcops reconcile --source %s --sink %s --table customers   # until the replay converged\n", p.SourceDSN, p.SinkDSN)
	for {
		rep, err := reconcile.Run(ctx, reconcile.Spec{Source: p.SourceDSN, Sink: p.SinkDSN, Table: "customers", Logger: d.g.log})
		if err != nil {
			return err
		}
		if rep.Equal {
			if err := d.labG.print(rep, rep.WriteTable); err != nil {
				return err
			}
			fmt.Fprintln(d.out, "the replay converged: sink equals source again")
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the sink did not converge after the rewind: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
