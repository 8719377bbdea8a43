package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/realstack"
	"github.com/cdcops/cdcops/lab/sqlpipe"
)

// labUpOptions are the flags of `cdcops lab up`.
type labUpOptions struct {
	dir     string
	kafka   string
	connect string
	// ready, when set, is called with the running lab (tests use it to
	// talk to the lab before cancelling the context).
	ready    func(*lab.Lab)
	pipeline labPipelineOptions // --pipeline, --db, --sink-db, --dlq (lab_pipeline.go)
	// real runs the real Kafka / Connect / Debezium stack instead (lab_up_real.go);
	// readyReal is its ready hook for tests.
	real      bool
	readyReal func(*realstack.Stack)
}

func labUpFlags(fs *pflag.FlagSet, o *labUpOptions) {
	fs.StringVar(&o.dir, "dir", "", "keep the lab's Kafka data (connectors, offsets, groups) in this directory across restarts")
	fs.StringVar(&o.kafka, "kafka", "127.0.0.1:9092", "Kafka listen address (127.0.0.1:PORT; port 0 = random)")
	fs.StringVar(&o.connect, "connect", "127.0.0.1:8083", "Kafka Connect REST listen address (port 0 = random)")
	fs.BoolVar(&o.real, "real", false, "run real Kafka 4.4.0 + Connect 4.4.0 + Debezium on a private --db postgres|mariadb instead (needs java; first run fetches jars)")
	o.pipeline.addFlags(fs)
}

func newLabUpCmd(g *globals) *cobra.Command {
	o := &labUpOptions{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the lab in the foreground until Ctrl-C",
		Long: `Starts an in-process Kafka broker and a Kafka-Connect-compatible worker on
127.0.0.1 and prints their addresses. It runs until interrupted (Ctrl-C),
then stops the connectors (flushing their offsets) and the broker.

Connector classes: ` + strings.Join(labClasses(), ", ") + ".",
		Example: `  cdcops lab up
  cdcops lab up --dir .cdcops/lab --kafka 127.0.0.1:19092 --connect 127.0.0.1:18083
  cdcops lab up --kafka 127.0.0.1:0 --connect 127.0.0.1:0 -o json   # random ports
  cdcops lab up --real --db mariadb --dir .cdcops/real                # real Kafka, Connect, Debezium

  # then, in another terminal:
  cdcops connectors list --connect http://127.0.0.1:8083`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLabUp(cmd.Context(), g, *o)
		},
	}
	labUpFlags(cmd.Flags(), o)
	return cmd
}

// labClasses are the connector classes the lab's worker offers, sorted.
func labClasses() []string {
	var out []string
	for class := range lab.DefaultPlugins() {
		out = append(out, class)
	}
	sort.Strings(out)
	return out
}

// labAddrs is what `lab up` prints (-o json is a stable API): one object,
// with the pipeline `--pipeline` created inside it.
type labAddrs struct {
	Kafka    string            `json:"kafka"`
	Connect  string            `json:"connect"`
	Dir      string            `json:"dir,omitempty"`
	Pipeline *sqlpipe.Pipeline `json:"pipeline,omitempty"`
	Real     *realLab          `json:"real,omitempty"` // lab up --real
}

func runLabUp(ctx context.Context, g *globals, o labUpOptions) error {
	if o.real {
		return runLabUpReal(ctx, g, o)
	}
	logger := g.log
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// A URL is accepted too, so CDCOPS_CONNECT=http://… (read for every
	// command) does not break `lab up`.
	connect := strings.TrimSuffix(strings.TrimPrefix(o.connect, "http://"), "/")
	l, err := lab.Start(ctx, lab.Options{Dir: o.dir, KafkaAddr: o.kafka, ConnectAddr: connect, Logger: logger})
	if errors.Is(err, lab.ErrBadAddress) {
		return cdcops.Errorf(cdcops.EINVALID, "use --kafka 127.0.0.1:PORT (0 = random port)", "lab up: %w", err)
	}
	if err != nil {
		return cdcops.Errorf(cdcops.EUNAVAILABLE, "pick free ports with --kafka 127.0.0.1:0 --connect 127.0.0.1:0", "lab up: %w", err)
	}
	addrs := labAddrs{Kafka: l.KafkaAddr(), Connect: l.ConnectURL(), Dir: o.dir}
	pipeline, done, err := startLabPipeline(ctx, g, l, o.dir, o.pipeline)
	defer done()
	if err == nil {
		addrs.Pipeline = pipeline
		err = g.print(addrs, func(w io.Writer) {
			fmt.Fprintf(w, "kafka\t%s\n", addrs.Kafka)
			fmt.Fprintf(w, "connect\t%s\n", addrs.Connect)
			if addrs.Dir != "" {
				fmt.Fprintf(w, "dir\t%s\n", addrs.Dir)
			}
			if addrs.Pipeline != nil {
				printPipelineTable(w, addrs.Pipeline)
			}
		})
	}
	if err == nil {
		if o.ready != nil {
			o.ready(l)
		}
		<-ctx.Done()
		logger.Info("lab stopping")
	}
	if cerr := l.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("lab shutdown: %w", cerr)
	}
	return err
}
