package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/faults"
	"github.com/cdcops/cdcops/lab/realstack"
)

type labDemoOptions struct {
	Timeout time.Duration
	Real    bool // run on the real Kafka / Connect / Debezium stack (lab_demo_real.go)
}

func newLabDemoCmd(g *globals) *cobra.Command {
	var opts labDemoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the main cdcops job end to end on a fresh embedded lab",
		Long: `Start a throwaway lab (in-process Kafka + Connect-compatible worker on
random 127.0.0.1 ports, no outside services), run the main job on it step by
step while narrating on stdout, and shut it down. The job: create a
source connector with Debezium-PostgreSQL-shaped offsets and a sink, show
their status and offsets, stop the source and show it STOPPED, resume it,
back the offsets up and diff them live, run a SQLite CDC pipeline, drop 3
events with a sink fault, let reconcile find exactly those rows, and repair
it with a real rewind: a plan that moves the sink back to the start of its
topics, applied (stop, check, backup, write, verify, resume, watch), the
replay converging until reconcile says equal.`,
		Example: `  cdcops lab demo
  make demo                  # the same
  cdcops lab demo -o json    # a JSON summary of the steps instead of the narration
  cdcops lab demo --real     # the steps that apply, on real Kafka 4.4 + Connect 4.4 + Debezium PostgreSQL`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Real && !cmd.Flags().Changed("timeout") {
				opts.Timeout = 6 * time.Minute
			}
			return runLabDemo(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 25*time.Second, "give up when the whole demo takes longer (--real: 6m unless given)")
	cmd.Flags().BoolVar(&opts.Real, "real", false, "run on the real stack of `lab up --real` (needs java; the first run fetches jars)")
	return cmd
}

// demoStep is one narrated step of the demo. Later capabilities (backups,
// pipeline faults, reconcile) add themselves to demoSteps with one line.
type demoStep struct {
	name string
	run  func(d *demoRun, ctx context.Context) error // a method expression, (*demoRun).x
}

func demoSteps() []demoStep {
	return []demoStep{
		{"start lab", (*demoRun).startLab},
		{"create connectors", (*demoRun).createConnectors},
		{"show status", (*demoRun).showStatus},
		{"show offsets", (*demoRun).showOffsets},
		{"stop the source", (*demoRun).stopSource},
		{"resume the source", (*demoRun).resumeSource},
		{"offsets move on", (*demoRun).offsetsMoveOn},
		{"back up offsets, diff after the pipeline moved on", (*demoRun).backupAndDiff},
		{"pipeline fault", (*demoRun).pipelineFault},
		{"reconcile finds the drift", (*demoRun).reconcileDrift},
		{"repair makes it equal", (*demoRun).repairDrift},
		{"rewind the sink, the replay converges", (*demoRun).rewindReplay},
	}
}

// demoRun is the state the steps share.
type demoRun struct {
	g     *globals
	out   io.Writer // narration
	lab   *lab.Lab
	c     *connect.Client
	labG  *globals // globals pointed at the lab, for reusing the commands
	wait  waitFlags
	steps []demoStepResult
	// stoppedAt is the source's offset while it was STOPPED.
	stoppedAt string
	// pipeline is what the pipeline step built and broke; reconcile checks it.
	pipeline *faults.DemoResult
	// kafka and connectURL are the running lab's (embedded or real);
	// source and sink the connectors the steps work on.
	kafka, connectURL, source, sink string
	stack                           *realstack.Stack // --real
	cleanup                         []func()         // run at shutdown, after the lab stopped
}

type demoStepResult struct {
	Step   string `json:"step"`
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
	Millis int64  `json:"elapsed_ms"`
}

const (
	demoSource = "inventory-connector"
	demoSink   = "customers-sink"
	demoTopic  = "dbserver1.inventory.customers"
	// The offsets Debezium's PostgreSQL connector stores (spec §3.6). lsn
	// is written last so lab.advance moves the position, not ts_usec; the
	// stored bytes are in Java HashMap order whatever the order here.
	demoOffsets = `[{"partition":{"server":"dbserver1"},"offset":{"ts_usec":1700000000000000,"txId":780,"lsn_proc":37208504,"lsn_commit":37208504,"lsn":37208504}}]`
)

func runLabDemo(ctx context.Context, g *globals, opts labDemoOptions) error {
	if opts.Timeout <= 0 {
		opts.Timeout = 25 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	d := &demoRun{g: g, out: g.stdout, wait: waitFlags{Timeout: opts.Timeout}}
	if g.output == "json" {
		d.out = io.Discard
	}
	defer d.shutdown()

	start := time.Now()
	var failed error
	steps := demoSteps()
	if opts.Real {
		steps = realDemoSteps()
	}
	for i, s := range steps {
		fmt.Fprintf(d.out, "\n== %d. %s\n", i+1, s.name)
		t0 := time.Now()
		err := s.run(d, ctx)
		r := demoStepResult{Step: s.name, OK: err == nil, Millis: time.Since(t0).Milliseconds()}
		if err != nil {
			r.Error = err.Error()
		}
		d.steps = append(d.steps, r)
		if err != nil {
			failed = fmt.Errorf("demo step %q: %w", s.name, err)
			break
		}
	}
	fmt.Fprintf(d.out, "\n== shut down\n")
	if err := d.shutdown(); err != nil && failed == nil {
		failed = fmt.Errorf("shut down the lab: %w", err)
	}
	if failed == nil {
		fmt.Fprintf(d.out, "lab stopped; demo finished in %.1fs\n", time.Since(start).Seconds())
	}
	if g.output == "json" {
		if err := g.print(struct {
			OK    bool             `json:"ok"`
			Steps []demoStepResult `json:"steps"`
		}{failed == nil, d.steps}, nil); err != nil {
			return err
		}
	}
	return failed
}

func (d *demoRun) shutdown() error {
	if d.stack != nil {
		s := d.stack
		d.stack = nil
		return s.Close()
	}
	if d.lab == nil {
		return nil
	}
	l := d.lab
	d.lab = nil
	err := l.Close()
	for _, f := range d.cleanup {
		f()
	}
	d.cleanup = nil
	return err
}

func (d *demoRun) startLab(ctx context.Context) error {
	logger := slog.New(slog.DiscardHandler)
	if d.g.verbose && d.g.log != nil {
		logger = d.g.log
	}
	l, err := lab.Start(ctx, lab.Options{Logger: logger, FlushInterval: 200 * time.Millisecond})
	if err != nil {
		return err
	}
	d.lab = l
	d.pointAt(l.KafkaAddr(), l.ConnectURL(), demoSource, demoSink)
	fmt.Fprintf(d.out, "Kafka (in-process kfake)      %s\nKafka Connect (lab worker)   %s\n", l.KafkaAddr(), l.ConnectURL())
	return nil
}

// pointAt aims the steps at a running lab and its two connectors.
func (d *demoRun) pointAt(kafka, connectURL, source, sink string) {
	d.kafka, d.connectURL, d.source, d.sink = kafka, connectURL, source, sink
	d.c = connect.New(connectURL, connect.WithPollInterval(50*time.Millisecond))
	d.labG = &globals{connectURL: connectURL, bootstrap: kafka, output: "table", stdout: d.out, stderr: d.g.stderr,
		log: slog.New(slog.DiscardHandler)}
}

func (d *demoRun) createConnectors(ctx context.Context) error {
	source := map[string]string{
		"connector.class":          "cdcops.lab.ScriptedSource",
		"tasks.max":                "1",
		"lab.offsets":              demoOffsets,
		"lab.advance":              "true",
		"lab.topic":                demoTopic,
		"offset.flush.interval.ms": "200",
	}
	sink := map[string]string{
		"connector.class": "cdcops.lab.ScriptedSink",
		"tasks.max":       "1",
		"topics":          demoTopic,
	}
	// The source writes change records to demoTopic for the sink to read.
	if err := createDemoTopic(ctx, d.lab.KafkaAddr(), demoTopic); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "created topic %s\n", demoTopic)
	for _, c := range []connect.CreateRequest{{Name: demoSource, Config: source}, {Name: demoSink, Config: sink}} {
		if _, err := d.c.Create(ctx, c); err != nil {
			return err
		}
		fmt.Fprintf(d.out, "created %s (%s)\n", c.Name, c.Config["connector.class"])
	}
	for _, n := range []string{demoSource, demoSink} {
		if _, err := d.c.WaitFor(ctx, n, connect.Running, d.wait.Timeout); err != nil {
			return err
		}
	}
	return nil
}

func (d *demoRun) showStatus(ctx context.Context) error {
	fmt.Fprintln(d.out, "$ cdcops connectors list")
	return runConnectorsList(ctx, d.labG, connectorsListOptions{})
}

// showOffsets waits for the first offset flush of the source and the first
// commit of the sink, then prints both as `GET …/offsets` returns them.
func (d *demoRun) showOffsets(ctx context.Context) error {
	for _, n := range []string{d.source, d.sink} {
		var o []string
		for {
			offs, err := d.c.Offsets(ctx, n)
			if err != nil {
				return err
			}
			o = o[:0]
			for _, x := range offs.Offsets {
				o = append(o, fmt.Sprintf("  partition %s\n  offset    %s", x.Partition, x.Offset))
			}
			if len(o) > 0 {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("no offsets for %s yet: %w", n, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
		fmt.Fprintf(d.out, "GET %s/connectors/%s/offsets\n", d.c.URL(), n)
		for _, line := range o {
			fmt.Fprintln(d.out, line)
		}
	}
	return nil
}

func (d *demoRun) stopSource(ctx context.Context) error {
	fmt.Fprintf(d.out, "$ cdcops connectors stop %s\n", d.source)
	if err := runConnectorsStop(ctx, d.labG, connectorsStateOptions{Name: d.source, waitFlags: d.wait}); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "$ cdcops connectors status %s\n", d.source)
	if err := runConnectorsStatus(ctx, d.labG, connectorsStatusOptions{Name: d.source}); err != nil {
		return err
	}
	off, err := d.sourceOffset(ctx)
	if err != nil {
		return err
	}
	d.stoppedAt = off
	fmt.Fprintf(d.out, "offset while STOPPED: %s\n", off)
	return nil
}

// offsetsMoveOn shows the resumed source continuing from where it stopped:
// its offset advances past the one it had while STOPPED.
func (d *demoRun) offsetsMoveOn(ctx context.Context) error {
	for {
		off, err := d.sourceOffset(ctx)
		if err != nil {
			return err
		}
		if off != d.stoppedAt {
			fmt.Fprintf(d.out, "offset after resume:  %s\n", off)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("offset of %s did not advance after resume: %w", d.source, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (d *demoRun) sourceOffset(ctx context.Context) (string, error) {
	o, err := d.c.Offsets(ctx, d.source)
	if err != nil {
		return "", err
	}
	if len(o.Offsets) != 1 {
		return "", fmt.Errorf("%s has %d offsets, want 1", d.source, len(o.Offsets))
	}
	return string(o.Offsets[0].Offset), nil
}

func (d *demoRun) resumeSource(ctx context.Context) error {
	fmt.Fprintf(d.out, "$ cdcops connectors resume %s\n", d.source)
	return runConnectorsResume(ctx, d.labG, connectorsStateOptions{Name: d.source, waitFlags: d.wait})
}

func createDemoTopic(ctx context.Context, bootstrap, topic string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		return err
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}
