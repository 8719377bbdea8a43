package main

import "github.com/spf13/cobra"

// newLabCmd is the `cdcops lab` parent: the embedded Kafka + Connect
// sandbox. Subcommands live in lab_*.go, one file each.
func newLabCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run the embedded lab: in-process Kafka and a Kafka-Connect-compatible worker",
		Long: `The lab is an in-process Kafka broker (franz-go kfake) plus a Kafka Connect
4.4.0-compatible REST worker on 127.0.0.1, with scripted connectors that write
realistic Debezium-shaped offsets. Use it to rehearse offset operations and
reconciliation without a real cluster.`,
		Example: `  cdcops lab up                          # Kafka on 127.0.0.1:9092, Connect on :8083
  cdcops lab up --dir .cdcops/lab -o json # keep data across restarts`,
	}
	cmd.AddCommand(newLabUpCmd(g))
	cmd.AddCommand(newLabDemoCmd(g))
	cmd.AddCommand(newLabLoadCmd(g), newLabFaultCmd(g))
	return cmd
}
