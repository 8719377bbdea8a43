package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/monitor"
)

type monitorOptions struct {
	Once         bool
	Interval     time.Duration
	OffsetsTopic string
	Cycles       int // stop after this many cycles (0 = until interrupted); for tests
}

func newMonitorCmd(g *globals) *cobra.Command {
	var opts monitorOptions
	cmd := &cobra.Command{
		Use:   "monitor",
		Short: "Evaluate lag, source lag, retention risk, offset staleness, DLQ and throughput per connector",
		Long: `monitor evaluates every connector of the Connect cluster each --interval and
prints its status (OK, WARN, ERR, STOP, STALL, REWIND) and figures: sink lag in
records and seconds, source lag against the database log, log-retention risk,
offset age, dead-letter-queue growth, throughput and watermarks.

STOP, STALL, REWIND and WARN follow Burrow's rules over a window of
monitor.window cycles, so they need that many cycles of history; --once
prints the figures of a single cycle and exits 1 when a connector is ERR.
Source databases and watermarks are configured under monitor: in cdcops.yaml
(docs/monitoring.md).`,
		Example: `  cdcops monitor --once
  cdcops monitor --interval 10s -o json
  cdcops monitor rules > cdcops-rules.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runMonitor(cmd.Context(), g, opts) },
	}
	monitorFlags(cmd, &opts)
	cmd.Flags().BoolVar(&opts.Once, "once", false, "evaluate once, print and exit (1 when a connector is ERR)")
	cmd.AddCommand(newMonitorRulesCmd(g))
	return cmd
}

func monitorFlags(cmd *cobra.Command, opts *monitorOptions) {
	cmd.Flags().DurationVar(&opts.Interval, "interval", 0, "evaluation cycle (default monitor.interval, else 30s)")
	cmd.Flags().StringVar(&opts.OffsetsTopic, "offsets-topic", "", "worker offset.storage.topic (default monitor.offsets_topic, else connect-offsets)")
}

// newMonitor builds a Monitor from the config and flags; close releases
// the Kafka client and database connections.
func (g *globals) newMonitor(ctx context.Context, opts monitorOptions) (*monitor.Monitor, func(), error) {
	cfg := g.cfg.Monitor
	if opts.Interval < 0 {
		return nil, nil, usageError{fmt.Errorf("--interval %s must be positive", opts.Interval)}
	}
	if opts.Interval > 0 {
		cfg.Interval = opts.Interval
	}
	if opts.OffsetsTopic != "" {
		cfg.OffsetsTopic = opts.OffsetsTopic
	}
	// Bad config fails before anything is dialled.
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, nil, err
	}
	kc, err := kafka.Dial(ctx, g.bootstrap)
	if err != nil {
		return nil, nil, err
	}
	offsets, closeJournal := g.journalOffsets(ctx)
	m, err := monitor.New(cfg, monitor.Deps{Connect: g.connectClient(), Kafka: kc, Offsets: offsets, Logger: g.log})
	if err != nil {
		closeJournal()
		kc.Close()
		return nil, nil, err
	}
	return m, func() { m.Close(); closeJournal(); kc.Close() }, nil
}

func runMonitor(ctx context.Context, g *globals, opts monitorOptions) error {
	m, closeAll, err := g.newMonitor(ctx, opts)
	if err != nil {
		return err
	}
	defer closeAll()
	if opts.Once {
		opts.Cycles = 1
	}
	tick := time.NewTicker(m.Config().Interval)
	defer tick.Stop()
	for n := 1; ; n++ {
		rep, err := m.Cycle(ctx)
		if err != nil {
			return fmt.Errorf("monitor: %w", err)
		}
		if err := g.printCycle(rep, opts.Cycles == 1); err != nil {
			return err
		}
		if opts.Cycles > 0 && n >= opts.Cycles {
			if opts.Once && rep.Status.Severity() == monitor.ERR {
				return exitStatus(1)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// printCycle prints one report: with -o json one indented document when
// it is the only one (--once), else one compact document per line (JSON
// Lines), so a consumer can read the stream line by line.
func (g *globals) printCycle(rep *monitor.Report, only bool) error {
	if g.output == "json" && !only {
		return json.NewEncoder(g.stdout).Encode(rep)
	}
	return g.print(rep, func(w io.Writer) { writeMonitorTable(w, rep) })
}

func writeMonitorTable(w io.Writer, rep *monitor.Report) {
	fmt.Fprintf(w, "# %s  status %s\n", rep.At.Format(time.RFC3339), rep.Status)
	fmt.Fprintln(w, "CONNECTOR\tTYPE\tSTATE\tSTATUS\tLAG\tLAG_S\tSOURCE_LAG\tOFFSETS_AGE_S\tDLQ\tRATE/S\tREASONS")
	for _, c := range rep.Connectors {
		lag, lagS, src, age, dlq, rate := "-", "-", "-", "-", "-", "-"
		if s := c.Sink; s != nil {
			lag, lagS = fmt.Sprint(s.TotalLag), fmt.Sprintf("%.1f", float64(s.MaxLagMS)/1000)
		}
		if s := c.Source; s != nil {
			var parts []string
			if s.LagBytes != nil {
				parts = append(parts, fmt.Sprintf("%dB", *s.LagBytes))
			}
			if s.LagGTIDs != nil {
				parts = append(parts, fmt.Sprintf("%d GTIDs", *s.LagGTIDs))
			}
			if s.LagMS != nil {
				parts = append(parts, fmt.Sprintf("%.1fs", float64(*s.LagMS)/1000))
			}
			if len(parts) > 0 {
				src = strings.Join(parts, " ")
			}
		}
		if o := c.Offsets; o != nil {
			age = fmt.Sprintf("%.1f", float64(o.AgeMS)/1000)
		}
		if d := c.DLQ; d != nil {
			dlq = fmt.Sprintf("%d (+%d)", d.Total, d.Interval)
		}
		if t := c.Throughput; t != nil {
			rate = fmt.Sprintf("%.1f", t.RecordsPerSec)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, c.Type, c.State, c.Status, lag, lagS, src, age, dlq, rate, strings.Join(c.Reasons, "; "))
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "! %s\n", e)
	}
}

func newMonitorRulesCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "Write Prometheus alerting rules for the metrics `cdcops serve` exports",
		Example: `  cdcops monitor rules > /etc/prometheus/rules/cdcops.yaml
  promtool check rules /etc/prometheus/rules/cdcops.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runMonitorRules(g) },
	}
}

func runMonitorRules(g *globals) error {
	if g.output == "json" {
		return g.print(monitor.AlertRules(), nil)
	}
	b, err := monitor.RulesYAML()
	if err != nil {
		return &cdcops.Error{Code: cdcops.EINTERNAL, Msg: "render rules", Err: err}
	}
	_, err = g.stdout.Write(b)
	return err
}
