package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/lab/faults"
)

// Fault kinds `cdcops lab fault` knows.
var labFaultKinds = []string{"sink-drop", "sink-corrupt", "task-fail", "poison-pill", "delete-offsets", "rename", "stale-offsets", "clear"}

type labFaultOptions struct {
	kind      string
	connector string
	count     int
	column    string
	topic     string
	message   string
	to        string
	wait      time.Duration
}

func (o *labFaultOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.connector, "connector", "", "connector to break (default lab-sink for sink faults, lab-source otherwise)")
	fs.IntVar(&o.count, "count", 5, "sink-drop/sink-corrupt: how many events")
	fs.StringVar(&o.column, "column", "name", "sink-corrupt: column to corrupt")
	fs.StringVar(&o.topic, "topic", "", "poison-pill: topic to write to (default lab.main.customers)")
	fs.StringVar(&o.message, "message", "", "task-fail: the failure message")
	fs.StringVar(&o.to, "to", "", "rename: the new connector name (default <name>-renamed)")
	fs.DurationVar(&o.wait, "wait", 30*time.Second, "how long to wait for the fault to take effect")
}

func newLabFaultCmd(g *globals) *cobra.Command {
	o := &labFaultOptions{}
	cmd := &cobra.Command{
		Use:   "fault KIND",
		Short: "Inject a failure into the lab pipeline and print what it did",
		Long: `fault breaks the running lab pipeline on purpose, the way production breaks:

  sink-drop       the sink silently skips its next --count events (rows go missing)
  sink-corrupt    the sink writes a wrong --column value on its next --count upserts
  task-fail       the connector's task fails with --message as its trace
  poison-pill     a record no sink can apply lands in --topic (DLQ or FAILED sink)
  delete-offsets  tombstones for every offset key of --connector in connect-offsets
  rename          --connector is deleted and recreated as --to; its offsets become orphans
  stale-offsets   the source keeps flushing its resume offset while records flow
  clear           removes every injected fault setting from --connector's config

It talks to the lab through --connect (REST) and --bootstrap (Kafka), like any
client, and prints the rows, records or offset keys it touched.`,
		Example: `  cdcops lab fault sink-drop --count 3
  cdcops lab fault sink-corrupt --column email --count 2 -o json
  cdcops lab fault poison-pill --topic lab.main.orders
  cdcops lab fault delete-offsets --connector lab-source
  cdcops lab fault rename --connector lab-source --to lab-source-v2`,
		Args: exactArgs(1, "a fault KIND: "+strings.Join(labFaultKinds, ", ")),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.kind = args[0]
			return runLabFault(cmd.Context(), g, o)
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

func runLabFault(ctx context.Context, g *globals, o *labFaultOptions) error {
	t := faults.Target{Connect: g.connectClient(), Kafka: g.bootstrap}
	sinkDefault := func() string {
		if o.connector == "" {
			return "lab-sink"
		}
		return o.connector
	}
	sourceDefault := func() string {
		if o.connector == "" {
			return "lab-source"
		}
		return o.connector
	}
	var rep faults.Report
	var err error
	stop := g.startProgress("lab fault "+o.kind+": waiting for it to take effect", nil)
	defer stop()
	switch o.kind {
	case "sink-drop":
		rep, err = faults.SinkDrop(ctx, t, sinkDefault(), o.count, o.wait)
	case "sink-corrupt":
		rep, err = faults.SinkCorrupt(ctx, t, sinkDefault(), o.column, o.count, o.wait)
	case "task-fail":
		rep, err = faults.FailTask(ctx, t, sourceDefault(), o.message, o.wait)
	case "poison-pill":
		topic := o.topic
		if topic == "" {
			topic = "lab.main.customers"
		}
		rep, err = faults.PoisonPill(ctx, t, topic, nil, nil)
	case "delete-offsets":
		rep, err = faults.DeleteOffsets(ctx, t, sourceDefault())
	case "rename":
		to := o.to
		if to == "" {
			to = sourceDefault() + "-renamed"
		}
		rep, err = faults.Rename(ctx, t, sourceDefault(), to, o.wait)
	case "stale-offsets":
		rep, _, err = faults.StaleOffsets(ctx, t, nil, sourceDefault(), 0)
	case "clear":
		name := o.connector
		if name == "" {
			return usageError{cdcops.Errorf(cdcops.EINVALID, "pass --connector NAME", "clear needs --connector")}
		}
		if err = faults.ClearFaults(ctx, t, name); err == nil {
			rep = faults.Report{Kind: "clear", Connector: name, Summary: "removed fault settings from " + name, Complete: true}
		}
	default:
		return usageError{cdcops.Errorf(cdcops.EINVALID, "use one of: "+strings.Join(labFaultKinds, ", "), "unknown fault kind %q", o.kind)}
	}
	if err != nil {
		return err
	}
	if perr := g.print(rep, func(w io.Writer) { printFaultReport(w, rep) }); perr != nil {
		return perr
	}
	if !rep.Complete {
		return exitStatus(1)
	}
	return nil
}

func printFaultReport(w io.Writer, rep faults.Report) {
	fmt.Fprintln(w, rep.Summary)
	if len(rep.Rows) > 0 {
		fmt.Fprintln(w, "N\tKIND\tTABLE\tKEY\tDETAIL")
		for _, r := range rep.Rows {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", r.N, r.Kind, r.Table, r.Key, r.Detail)
		}
	}
	if len(rep.Records) > 0 {
		fmt.Fprintln(w, "TOPIC\tPARTITION\tOFFSET\tKEY")
		for _, r := range rep.Records {
			fmt.Fprintf(w, "%s\t%d\t%d\t%s\n", r.Topic, r.Partition, r.Offset, r.Key)
		}
	}
	if rep.Trace != "" {
		fmt.Fprintln(w, "trace:", firstTraceLine(rep.Trace), "(`cdcops connectors status` shows it all)")
	}
}

func firstTraceLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
