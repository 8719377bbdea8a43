package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/connect"
)

type connectorsStatusOptions struct {
	Name string
}

func newConnectorsStatusCmd(g *globals) *cobra.Command {
	var opts connectorsStatusOptions
	return &cobra.Command{
		Use:   "status NAME",
		Short: "Show a connector's state and its tasks' states, with traces of failures",
		Example: `  cdcops connectors status inventory-connector
  cdcops connectors status orders-sink -o json`,
		Args: exactArgs(1, "a connector NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runConnectorsStatus(cmd.Context(), g, opts)
		},
	}
}

func runConnectorsStatus(ctx context.Context, g *globals, opts connectorsStatusOptions) error {
	st, err := g.connectClient().Status(ctx, opts.Name)
	if err != nil {
		return fmt.Errorf("status of connector %s: %w", opts.Name, err)
	}
	return g.print(st, func(w io.Writer) { writeStatusTable(w, st) })
}

// writeStatusTable prints the connector line, one line per task, then the
// full traces of whatever failed.
func writeStatusTable(w io.Writer, st *connect.ConnectorStatus) {
	fmt.Fprintln(w, "NAME\tTYPE\tSTATE\tWORKER")
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", st.Name, st.Type, st.Connector.State, st.Connector.WorkerID)
	if len(st.Tasks) == 0 {
		fmt.Fprintln(w, "(no tasks)")
	} else {
		fmt.Fprintln(w, "\nTASK\tSTATE\tWORKER")
		for _, t := range st.Tasks {
			fmt.Fprintf(w, "%d\t%s\t%s\n", t.ID, t.State, t.WorkerID)
		}
	}
	if st.Connector.Trace != "" {
		fmt.Fprintf(w, "\nconnector trace:\n%s\n", indent(st.Connector.Trace))
	}
	for _, t := range st.Tasks {
		if t.Trace != "" {
			fmt.Fprintf(w, "\ntask %d trace:\n%s\n", t.ID, indent(t.Trace))
		}
	}
}

func indent(s string) string {
	// Java traces indent with tabs, which the table writer would treat as
	// column breaks.
	s = strings.ReplaceAll(strings.TrimRight(s, "\n"), "\t", "    ")
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
