package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/journal"
	"github.com/cdcops/cdcops/state"
)

type offsetsHistoryOptions struct {
	Name      string
	Partition string
	Since     string
	Until     string
}

func newOffsetsHistoryCmd(g *globals) *cobra.Command {
	var opts offsetsHistoryOptions
	cmd := &cobra.Command{
		Use:   "history NAME",
		Short: "Show a connector's offsets timeline from the journal, with who moved it",
		Long: `Lists every offsets write the journal (` + "`cdcops offsets journal`" + `) recorded
for the connector, oldest first: when, where on the offsets topic, the
position before → after (decoded: LSN bytes, binlog file/pos, GTIDs), and
the cdcops plan that made it, or "unaudited" with the reason when no plan
did and it was not the running task's progress. Gaps the journal could not
see (compacted records, time before its first run) and the times it was not
running are listed after the entries.`,
		Example: `  cdcops offsets history inventory-connector
  cdcops offsets history inventory-connector --since 2026-12-01T02:00:00Z --until 2026-12-01T03:00:00Z
  cdcops offsets history inventory-connector --partition '{"server":"dbserver1"}' -o json`,
		Args: exactArgs(1, "a connector name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runOffsetsHistory(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Partition, "partition", "", `only this source partition, as JSON (e.g. '{"server":"dbserver1"}')`)
	cmd.Flags().StringVar(&opts.Since, "since", "", "only writes at or after this time (RFC 3339, or a duration ago like 2h)")
	cmd.Flags().StringVar(&opts.Until, "until", "", "only writes at or before this time (RFC 3339, or a duration ago)")
	return cmd
}

func runOffsetsHistory(ctx context.Context, g *globals, o offsetsHistoryOptions) error {
	now := time.Now()
	since, err := parseInstant("--since", o.Since, now)
	if err != nil {
		return err
	}
	until, err := parseInstant("--until", o.Until, now)
	if err != nil {
		return err
	}
	store, err := state.Open(ctx, g.stateURL)
	if err != nil {
		return err
	}
	defer store.Close()
	h, err := journal.ReadHistory(ctx, store, journal.HistoryOptions{Connector: o.Name, Class: g.classOf(ctx, o.Name),
		Partition: json.RawMessage(o.Partition), Since: since, Until: until})
	if err != nil {
		return fmt.Errorf("offsets history %s: %w", o.Name, err)
	}
	return g.print(h, func(w io.Writer) {
		fmt.Fprintln(w, "TIME\tWHERE\tPARTITION\tCHANGE\tBY")
		for _, e := range h.Entries {
			change := strings.Join(e.Delta, "; ")
			if change == "" {
				change = "unchanged " + e.Position
			}
			by := "task"
			switch {
			case e.PlanID != "":
				by = "plan " + e.PlanID
			case e.Unaudited:
				by = "unaudited: " + e.Reason
			}
			fmt.Fprintf(w, "%s\t%s[%d]@%d\t%s\t%s\t%s\n", e.Time.Format(time.RFC3339Nano), e.Topic, e.KafkaPartition, e.KafkaOffset, e.Partition, change, by)
		}
		if len(h.Entries) == 0 {
			fmt.Fprintln(w, "(no writes recorded; is `cdcops offsets journal` running?)\t\t\t\t")
		}
		for _, gp := range h.Gaps {
			where := ""
			if gp.Topic != "" {
				where = fmt.Sprintf(" on %s[%d], offsets %d–%d", gp.Topic, gp.KafkaPartition, gp.FromOffset, gp.ToOffset-1)
			}
			fmt.Fprintf(w, "GAP %s%s from %s to %s\t\t\t\t\n", gp.Kind, where, gp.From.Format(time.RFC3339), gp.To.Format(time.RFC3339))
		}
	})
}

// classOf asks Connect for a connector's class, for decoding; "" (the
// kind is guessed from the offsets) when Connect is not reachable.
func (g *globals) classOf(ctx context.Context, name string) string {
	c, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	cfg, err := g.connectClient().Config(c, name)
	if err != nil {
		return ""
	}
	return cfg["connector.class"]
}
