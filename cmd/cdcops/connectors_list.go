package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/connect"
)

type connectorsListOptions struct{}

// connectorRow is one line of `connectors list` (and its -o json element).
type connectorRow struct {
	Name  string              `json:"name"`
	Type  string              `json:"type"`
	State string              `json:"state"`
	Tasks []connect.TaskState `json:"tasks"`
	Class string              `json:"class"`
}

func newConnectorsListCmd(g *globals) *cobra.Command {
	var opts connectorsListOptions
	return &cobra.Command{
		Use:   "list",
		Short: "List connectors with type, state, tasks and class",
		Example: `  cdcops connectors list
  cdcops connectors list --connect http://connect.internal:8083 -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConnectorsList(cmd.Context(), g, opts)
		},
	}
}

func runConnectorsList(ctx context.Context, g *globals, _ connectorsListOptions) error {
	c := g.connectClient()
	names, err := c.List(ctx)
	if err != nil {
		return fmt.Errorf("list connectors: %w", err)
	}
	exp, err := c.ListExpanded(ctx, connect.ExpandStatus, connect.ExpandInfo)
	if err != nil {
		return fmt.Errorf("list connectors: %w", err)
	}
	// Connect leaves a connector out of ?expand= while it has no status yet
	// (just created); it is still listed, state "" (table: "-").
	for _, n := range names {
		if _, ok := exp[n]; !ok {
			info, err := c.Get(ctx, n) // deleted meanwhile: listed without details
			if err != nil {
				info = nil
			}
			exp[n] = connect.Expanded{Info: info}
		}
	}
	rows := make([]connectorRow, 0, len(exp))
	for name, e := range exp {
		r := connectorRow{Name: name, Tasks: []connect.TaskState{}}
		if e.Status != nil {
			r.Type, r.State, r.Tasks = e.Status.Type, e.Status.Connector.State, e.Status.Tasks
		}
		if e.Info != nil {
			r.Class = e.Info.Config["connector.class"]
			if r.Type == "" {
				r.Type = e.Info.Type
			}
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return g.print(rows, func(w io.Writer) {
		fmt.Fprintln(w, "NAME\tTYPE\tSTATE\tTASKS\tCLASS")
		for _, r := range rows {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Name, orDash(r.Type), orDash(r.State), taskSummary(r.Tasks), orDash(r.Class))
		}
	})
}

// taskSummary counts tasks per state: "2 RUNNING", "1 RUNNING, 1 FAILED", "-".
func taskSummary(tasks []connect.TaskState) string {
	if len(tasks) == 0 {
		return "-"
	}
	counts := map[string]int{}
	var order []string
	for _, t := range tasks {
		if counts[t.State] == 0 {
			order = append(order, t.State)
		}
		counts[t.State]++
	}
	parts := make([]string, len(order))
	for i, s := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[s], s)
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
