package main

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// newConnectorsCmd is the parent of the connector lifecycle commands. Each
// mutating child waits until the worker reports the requested state,
// because Connect changes states asynchronously after answering 2xx.
func newConnectorsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "connectors",
		Aliases: []string{"connector"},
		Short:   "List, inspect, pause, resume, stop, restart and delete Kafka Connect connectors",
		Example: `  cdcops connectors list
  cdcops connectors status inventory-connector -o json
  cdcops connectors stop inventory-connector --timeout 2m
  cdcops connectors restart inventory-connector --include-tasks --only-failed`,
	}
	cmd.AddCommand(
		newConnectorsListCmd(g),
		newConnectorsStatusCmd(g),
		newConnectorsPauseCmd(g),
		newConnectorsResumeCmd(g),
		newConnectorsStopCmd(g),
		newConnectorsRestartCmd(g),
		newConnectorsDeleteCmd(g),
	)
	return cmd
}

// waitFlags is the --timeout every mutating connectors command takes.
type waitFlags struct {
	Timeout time.Duration
}

func (w *waitFlags) addFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&w.Timeout, "timeout", 60*time.Second, "how long to wait for the worker to report the new state")
}
