package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/faults"
	"github.com/cdcops/cdcops/lab/sqlpipe"
)

// labPipelineOptions are the `lab up` flags that add the demo CDC pipeline.
type labPipelineOptions struct {
	enabled bool
	db      string
	sinkDB  string
	dlq     string
}

func (o *labPipelineOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.enabled, "pipeline", false, "also create the demo CDC pipeline: customers/orders in --db → Kafka → --sink-db")
	fs.StringVar(&o.db, "db", "sqlite", "pipeline source database: sqlite (a file in the lab dir), postgres://… or mysql://…")
	fs.StringVar(&o.sinkDB, "sink-db", "sqlite", "pipeline sink database: sqlite (a file in the lab dir), postgres://… or mysql://…")
	fs.StringVar(&o.dlq, "dlq", "", "pipeline sink dead-letter topic (sets errors.tolerance=all); empty = a bad record fails the sink")
}

// startLabPipeline runs after `lab up` started the lab: it creates the
// demo schema, topics and the lab-source / lab-sink connectors and returns
// them with DSNs redacted, for `lab up` to print (nil without --pipeline).
// SQLite files go in dir, or in a temporary directory removed by the
// returned cleanup when dir is empty.
func startLabPipeline(ctx context.Context, g *globals, l *lab.Lab, dir string, o labPipelineOptions) (shown *sqlpipe.Pipeline, cleanup func(), err error) {
	cleanup = func() {}
	if !o.enabled {
		if (o.db != "" && o.db != "sqlite") || (o.sinkDB != "" && o.sinkDB != "sqlite") || o.dlq != "" {
			return nil, cleanup, usageError{cdcops.Errorf(cdcops.EINVALID, "add --pipeline", "--db, --sink-db and --dlq only apply with --pipeline")}
		}
		return nil, cleanup, nil
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "cdcops-lab-")
		if err != nil {
			return nil, cleanup, fmt.Errorf("lab pipeline dir: %w", err)
		}
		dir, cleanup = tmp, func() { os.RemoveAll(tmp) }
	}
	p, err := sqlpipe.SetupPipeline(ctx, connectClientFor(g, l), sqlpipe.PipelineOptions{
		SourceDSN: o.db, SinkDSN: o.sinkDB, Dir: dir, Kafka: l.KafkaAddr(), DLQ: o.dlq,
	})
	if err != nil {
		return nil, cleanup, err
	}
	if err := waitPipelineReady(ctx, connectClientFor(g, l), p); err != nil {
		return nil, cleanup, err
	}
	cp := *p
	cp.SourceDSN, cp.SinkDSN = cdcops.RedactDSN(p.SourceDSN), cdcops.RedactDSN(p.SinkDSN)
	return &cp, cleanup, nil
}

// waitPipelineReady returns once both connectors run and the source has
// committed offsets, so the addresses `lab up` prints lead to a lab where
// every quick-start command has something to show.
func waitPipelineReady(ctx context.Context, c *connect.Client, p *sqlpipe.Pipeline) error {
	for _, name := range []string{p.Source, p.Sink} {
		if _, err := c.WaitFor(ctx, name, connect.Running, 30*time.Second); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		offs, err := c.Offsets(ctx, p.Source)
		if err == nil && len(offs.Offsets) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return cdcops.Errorf(cdcops.EUNAVAILABLE, "run again with -v to see the lab's log", "lab pipeline: %s committed no offsets within 30s (%v)", p.Source, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// printPipelineTable is the table form of a pipeline `lab up` created.
func printPipelineTable(w io.Writer, p *sqlpipe.Pipeline) {
	fmt.Fprintf(w, "source db\t%s\nsink db\t%s\nsource connector\t%s\nsink connector\t%s\n", p.SourceDSN, p.SinkDSN, p.Source, p.Sink)
	for _, t := range p.Topics {
		fmt.Fprintf(w, "topic\t%s\n", t)
	}
	fmt.Fprintf(w, "try\tcdcops lab load --db %s --table customers,orders --rate 200 --duration 30s\n", p.SourceDSN)
}

// pipelineFault is the pipeline step of `cdcops lab demo`: on the demo's
// lab, a SQLite → Kafka → SQLite pipeline reaches sync (2,000 changes, every
// row compared), then a sink fault drops 3 events and the step shows the
// effect: the sink has 3 customers fewer than the source, and which. Wire
// it with one line in demoSteps: {"pipeline fault", (*demoRun).pipelineFault}.
func (d *demoRun) pipelineFault(ctx context.Context) error {
	if d.lab == nil {
		return errors.New("the lab is not running")
	}
	dir, err := os.MkdirTemp("", "cdcops-demo-")
	if err != nil {
		return fmt.Errorf("demo pipeline dir: %w", err)
	}
	d.cleanup = append(d.cleanup, func() { os.RemoveAll(dir) })
	d.pipeline, err = labDemoPipeline(ctx, d.lab, dir, d.out)
	return err
}

// labDemoPipeline runs faults.Demo on l with its SQLite files in dir,
// narrating to out.
func labDemoPipeline(ctx context.Context, l *lab.Lab, dir string, out io.Writer) (*faults.DemoResult, error) {
	return faults.Demo(ctx, faults.DemoOptions{ConnectURL: l.ConnectURL(), Kafka: l.KafkaAddr(), Dir: dir, Out: out})
}

func connectClientFor(g *globals, l *lab.Lab) *connect.Client {
	return connect.New(l.ConnectURL(), connect.WithLogger(g.log))
}
