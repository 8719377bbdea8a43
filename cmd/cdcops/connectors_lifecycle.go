package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/connect"
)

// connectorsStateOptions serves pause, resume and stop: one connector, one
// request, then a wait for the state the request asks for.
type connectorsStateOptions struct {
	Name string
	waitFlags
}

func newConnectorsPauseCmd(g *globals) *cobra.Command {
	return newConnectorsStateCmd(g, "pause", "Pause a connector and wait until it and its tasks are PAUSED",
		`  cdcops connectors pause inventory-connector
  cdcops connectors pause orders-sink --timeout 2m -o json`, runConnectorsPause)
}

func newConnectorsResumeCmd(g *globals) *cobra.Command {
	return newConnectorsStateCmd(g, "resume", "Resume a PAUSED or STOPPED connector and wait until all its tasks are RUNNING",
		`  cdcops connectors resume inventory-connector
  cdcops connectors resume orders-sink --timeout 5m`, runConnectorsResume)
}

func newConnectorsStopCmd(g *globals) *cobra.Command {
	return newConnectorsStateCmd(g, "stop", "Stop a connector (Kafka ≥ 3.5) and wait until it is STOPPED with no tasks",
		`  cdcops connectors stop inventory-connector      # before editing its offsets
  cdcops connectors stop orders-sink --timeout 2m -o json`, runConnectorsStop)
}

func newConnectorsStateCmd(g *globals, verb, short, example string,
	run func(context.Context, *globals, connectorsStateOptions) error) *cobra.Command {
	var opts connectorsStateOptions
	cmd := &cobra.Command{
		Use:     verb + " NAME",
		Short:   short,
		Example: example,
		Args:    exactArgs(1, "a connector NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return run(cmd.Context(), g, opts)
		},
	}
	opts.addFlags(cmd.Flags())
	return cmd
}

func runConnectorsPause(ctx context.Context, g *globals, opts connectorsStateOptions) error {
	c := g.connectClient()
	if err := c.Pause(ctx, opts.Name); err != nil {
		return fmt.Errorf("pause connector %s: %w", opts.Name, err)
	}
	return waitAndPrint(ctx, g, c, opts.Name, connect.Paused, opts.Timeout)
}

func runConnectorsResume(ctx context.Context, g *globals, opts connectorsStateOptions) error {
	c := g.connectClient()
	if err := c.Resume(ctx, opts.Name); err != nil {
		return fmt.Errorf("resume connector %s: %w", opts.Name, err)
	}
	return waitAndPrint(ctx, g, c, opts.Name, connect.Running, opts.Timeout)
}

func runConnectorsStop(ctx context.Context, g *globals, opts connectorsStateOptions) error {
	c := g.connectClient()
	if err := c.Stop(ctx, opts.Name); err != nil {
		return fmt.Errorf("stop connector %s: %w", opts.Name, err)
	}
	return waitAndPrint(ctx, g, c, opts.Name, connect.Stopped, opts.Timeout)
}

// waitAndPrint waits for want and prints the status that satisfied it.
func waitAndPrint(ctx context.Context, g *globals, c *connect.Client, name string, want connect.Want, timeout time.Duration) error {
	stop := g.startProgress(fmt.Sprintf("waiting for %s to be %s", name, want.Desc), nil)
	st, err := c.WaitFor(ctx, name, want, timeout)
	stop()
	if err != nil {
		return err
	}
	return g.print(st, func(w io.Writer) {
		fmt.Fprintf(w, "connector %s is %s\n", name, connect.Describe(st))
	})
}
