package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/monitor"
	"github.com/cdcops/cdcops/server"
)

type serveOptions struct {
	Listen  string
	Monitor monitorOptions
	// ready receives the bound address once listening (for tests).
	ready chan<- string
}

func newServeCmd(g *globals) *cobra.Command {
	var opts serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve Prometheus metrics (/metrics), /healthz and /readyz, evaluating the pipeline each interval",
		Long: `serve runs the monitor every --interval, exports what it found as Prometheus
metrics (docs/monitoring.md lists them) and sends the webhook notifications
configured under monitor.webhooks. Between cycles it does nothing: scrapes
only format the last cycle's figures. /readyz answers 200 once a cycle
succeeded within the last three intervals.`,
		Example: `  cdcops serve --listen 127.0.0.1:9108
  cdcops serve --listen 0.0.0.0:9108 --interval 15s --config cdcops.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd.Context(), g, opts) },
	}
	cmd.Flags().StringVar(&opts.Listen, "listen", "127.0.0.1:9108", "HOST:PORT to serve on")
	monitorFlags(cmd, &opts.Monitor)
	return cmd
}

func runServe(ctx context.Context, g *globals, opts serveOptions) error {
	ln, err := server.Listen(opts.Listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	m, closeAll, err := g.newMonitor(ctx, opts.Monitor)
	if err != nil {
		return err
	}
	defer closeAll()
	interval := m.Config().Interval
	coll := &monitor.Collector{}
	notifier := monitor.NewNotifier(m.Config().Webhooks, nil, nil)
	var mu sync.Mutex
	var lastOK time.Time
	lastErr := errors.New("no evaluation cycle has completed yet")
	ready := func() error {
		mu.Lock()
		defer mu.Unlock()
		if lastOK.IsZero() || time.Since(lastOK) > 3*interval {
			return lastErr
		}
		return nil
	}
	h, err := server.Handler(server.Options{Collectors: []prometheus.Collector{coll}, Ready: ready})
	if err != nil {
		return err
	}
	g.log.Info("serving", "listen", ln.Addr().String(), "interval", interval)
	if opts.ready != nil {
		opts.ready <- ln.Addr().String()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, h) }()
	cycle := func() {
		cctx, ccancel := context.WithTimeout(ctx, max(interval, 30*time.Second))
		defer ccancel()
		rep, err := m.Cycle(cctx)
		coll.Set(rep)
		mu.Lock()
		if err != nil {
			lastErr = fmt.Errorf("last cycle failed: %w", err)
		} else {
			lastOK = time.Now()
		}
		mu.Unlock()
		if err != nil {
			g.log.Warn("monitor cycle failed", "err", err)
			return
		}
		if err := notifier.Notify(cctx, rep); err != nil {
			g.log.Warn("notification failed", "err", err)
		}
	}
	cycle()
	// A ticker, not a loop: between cycles the process sleeps.
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return <-done
		case err := <-done:
			return err
		case <-tick.C:
			cycle()
		}
	}
}
