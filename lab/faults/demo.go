package faults

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/lab/sqlpipe"
	"github.com/cdcops/cdcops/sqlconn"
)

// DemoOptions say where the demo runs: a lab's addresses and a directory
// for its SQLite databases.
type DemoOptions struct {
	ConnectURL, Kafka, Dir string
	Out                    io.Writer // narration, one line per step
}

// DemoResult is what the pipeline demo showed.
type DemoResult struct {
	Pipeline *sqlpipe.Pipeline     `json:"pipeline"`
	Load     sqlpipe.LoadResult    `json:"load"`
	InSync   []sqlpipe.Comparison  `json:"in_sync"`
	Fault    Report                `json:"fault"`
	After    sqlpipe.Comparison    `json:"after_fault"`
	Dropped  []sqlpipe.FaultAction `json:"dropped"`
}

// Demo runs the pipeline part of `cdcops lab demo` on a running lab:
// SQLite → Kafka → SQLite for customers and orders, 2,000 changes until
// the sink equals the source, then a sink that silently drops 3 events,
// and the effect: the sink has 3 rows fewer than the source, and which.
// The fault is cleared at the end; the dropped rows stay missing (that is
// what reconciliation is for). It takes a few seconds.
func Demo(ctx context.Context, o DemoOptions) (*DemoResult, error) {
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	c := connect.New(o.ConnectURL)
	t := Target{Connect: c, Kafka: o.Kafka}
	res := &DemoResult{}
	p, err := sqlpipe.SetupPipeline(ctx, c, sqlpipe.PipelineOptions{
		Dir: o.Dir, Kafka: o.Kafka, Source: "demo-source", Sink: "demo-sink", Prefix: "demo",
		SourceDSN: "sqlite://" + filepath.Join(o.Dir, "demo-source.db"), SinkDSN: "sqlite://" + filepath.Join(o.Dir, "demo-sink.db"),
		PollInterval: 50 * time.Millisecond,
	})
	if err != nil {
		return nil, err
	}
	res.Pipeline = p
	fmt.Fprintf(out, "pipeline: %s =[%s]=> %s =[%s]=> %s\n", cdcops.RedactDSN(p.SourceDSN), p.Source, strings.Join(p.Topics, ", "), p.Sink, cdcops.RedactDSN(p.SinkDSN))
	for _, n := range []string{p.Source, p.Sink} {
		if _, err := c.WaitFor(ctx, n, connect.Running, 30*time.Second); err != nil {
			return res, err
		}
	}
	src, err := sqlconn.Open(ctx, p.SourceDSN)
	if err != nil {
		return res, err
	}
	defer src.Close()
	sink, err := sqlconn.Open(ctx, p.SinkDSN)
	if err != nil {
		return res, err
	}
	defer sink.Close()

	if res.Load, err = sqlpipe.Load(ctx, src, sqlpipe.LoadOptions{Tables: sqlpipe.DemoTables, Changes: 2000, Seed: 1}); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "load: %d changes (%d inserts, %d updates, %d deletes) on the source\n", res.Load.Changes, res.Load.Inserts, res.Load.Updates, res.Load.Deletes)
	if res.InSync, err = sqlpipe.WaitInSync(ctx, src, sink, sqlpipe.DemoTables, 30*time.Second); err != nil {
		return res, err
	}
	for _, cmp := range res.InSync {
		fmt.Fprintf(out, "in sync: %s source %d rows = sink %d rows, every row equal\n", cmp.Table, cmp.SourceRows, cmp.SinkRows)
	}

	if res.Fault, err = SinkDrop(ctx, t, p.Sink, 3, 0); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "fault: %s silently drops its next 3 events (fault %s)\n", p.Sink, res.Fault.FaultID)
	if _, err := sqlpipe.Load(ctx, src, sqlpipe.LoadOptions{Tables: []string{"customers"}, Changes: 20, Seed: 2, InsertOnly: true}); err != nil {
		return res, err
	}
	// The fault is done once the sink logged 3 drops and applied the rest:
	// then exactly the dropped rows are missing.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if res.Dropped, err = sqlpipe.FaultActions(ctx, sink, res.Fault.FaultID); err != nil {
			return res, err
		}
		if res.After, err = sqlpipe.Compare(ctx, src, sink, "customers", ""); err != nil {
			return res, err
		}
		if len(res.Dropped) == 3 && res.After.MissingN == 3 {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("demo: the dropped events never showed: %d dropped, %+v", len(res.Dropped), res.After)
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Fprintf(out, "effect: customers source %d rows, sink %d rows; missing in sink: %s\n",
		res.After.SourceRows, res.After.SinkRows, strings.Join(res.After.Missing, " "))
	if err := ClearFaults(ctx, t, p.Sink); err != nil {
		return res, err
	}
	return res, nil
}
