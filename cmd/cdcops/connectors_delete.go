package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
)

type connectorsDeleteOptions struct {
	Name string
	waitFlags
}

// deletedConnector is what `connectors delete` prints: enough to re-create
// the connector (secrets redacted), and a reminder that offsets stay.
type deletedConnector struct {
	Deleted   string            `json:"deleted"`
	Type      string            `json:"type"`
	Class     string            `json:"class"`
	LastState string            `json:"last_state,omitempty"`
	Tasks     int               `json:"tasks"`
	Config    map[string]string `json:"config"`
}

func newConnectorsDeleteCmd(g *globals) *cobra.Command {
	var opts connectorsDeleteOptions
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a connector (no prompt) and print what was deleted",
		Long: `Delete a connector without asking, wait until the worker no longer lists
it, and print its type, class, last state and config (secrets redacted) so
it can be re-created. Its offsets stay in the offsets topic or consumer
group, as in Kafka Connect: back them up or reset them separately.`,
		Example: `  cdcops connectors delete inventory-connector
  cdcops connectors delete orders-sink -o json > orders-sink.deleted.json`,
		Args: exactArgs(1, "a connector NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runConnectorsDelete(cmd.Context(), g, opts)
		},
	}
	opts.addFlags(cmd.Flags())
	return cmd
}

func runConnectorsDelete(ctx context.Context, g *globals, opts connectorsDeleteOptions) error {
	c := g.connectClient()
	info, err := c.Get(ctx, opts.Name)
	if err != nil {
		return fmt.Errorf("delete connector %s: %w", opts.Name, err)
	}
	// Keys the plugin's ConfigDef declares PASSWORD are hidden too, when the
	// worker can say which they are (the name rules apply either way).
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	pwKeys, _ := c.PasswordKeys(pctx, info.Config["connector.class"])
	cancel()
	out := deletedConnector{Deleted: info.Name, Type: info.Type, Class: info.Config["connector.class"],
		Tasks: len(info.Tasks), Config: cdcops.RedactConfig(info.Config, pwKeys...)}
	if st, err := c.Status(ctx, opts.Name); err == nil {
		out.LastState = st.Connector.State
	}
	if err := c.Delete(ctx, opts.Name); err != nil {
		return fmt.Errorf("delete connector %s: %w", opts.Name, err)
	}
	stop := g.startProgress("waiting for "+opts.Name+" to be gone", nil)
	err = c.WaitGone(ctx, opts.Name, opts.Timeout)
	stop()
	if err != nil {
		return err
	}
	return g.print(out, func(w io.Writer) {
		fmt.Fprintf(w, "deleted connector %s (%s, %s, was %s, %d tasks)\n", out.Deleted, out.Type, out.Class, out.LastState, out.Tasks)
		keys := make([]string, 0, len(out.Config))
		for k := range out.Config {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s\t%s\n", k, out.Config[k])
		}
	})
}
