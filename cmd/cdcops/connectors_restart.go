package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/connect"
)

// restartGrace bounds how long restart waits to see the restart begin
// before it trusts a RUNNING status (see connect.RestartedFrom).
const restartGrace = 2 * time.Second

type connectorsRestartOptions struct {
	Name         string
	IncludeTasks bool
	OnlyFailed   bool
	waitFlags
}

func newConnectorsRestartCmd(g *globals) *cobra.Command {
	var opts connectorsRestartOptions
	cmd := &cobra.Command{
		Use:   "restart NAME",
		Short: "Restart a connector (and optionally its tasks) and wait until all are RUNNING",
		Long: `Restart a connector. Without flags only the Connector instance restarts
(Connect answers 204); with --include-tasks and/or --only-failed Connect
answers 202 with the instances it will restart, and cdcops waits until
the connector and all its tasks are RUNNING again.`,
		Example: `  cdcops connectors restart inventory-connector
  cdcops connectors restart inventory-connector --include-tasks
  cdcops connectors restart orders-sink --include-tasks --only-failed --timeout 2m`,
		Args: exactArgs(1, "a connector NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runConnectorsRestart(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.IncludeTasks, "include-tasks", false, "restart the tasks too")
	cmd.Flags().BoolVar(&opts.OnlyFailed, "only-failed", false, "restart only the instances that are FAILED")
	opts.addFlags(cmd.Flags())
	return cmd
}

func runConnectorsRestart(ctx context.Context, g *globals, opts connectorsRestartOptions) error {
	c := g.connectClient()
	planned, err := c.Restart(ctx, opts.Name, connect.RestartOptions{IncludeTasks: opts.IncludeTasks, OnlyFailed: opts.OnlyFailed})
	if err != nil {
		return fmt.Errorf("restart connector %s: %w", opts.Name, err)
	}
	if planned != nil {
		g.log.Debug("restart accepted", "connector", opts.Name, "plan", connect.Describe(planned))
	}
	return waitAndPrint(ctx, g, c, opts.Name, connect.RestartedFrom(planned, restartGrace), opts.Timeout)
}
