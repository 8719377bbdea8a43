package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/debezium"
)

type snapshotsShowOptions struct {
	identityFlag
	Ref string
}

func newSnapshotsShowCmd(g *globals) *cobra.Command {
	var opts snapshotsShowOptions
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a snapshot: metadata and every offset, decoded",
		Example: `  cdcops snapshots show latest
  cdcops snapshots show 20261121T120000Z-3f2a --identity ~/.config/cdcops/age.key -o json`,
		Args: exactArgs(1, "a snapshot id (or a unique prefix, or latest)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			return runSnapshotsShow(cmd.Context(), g, opts)
		},
	}
	opts.identityFlag.addFlags(cmd.Flags())
	return cmd
}

func runSnapshotsShow(ctx context.Context, g *globals, o snapshotsShowOptions) error {
	v, err := g.openVault(ctx, o.Identity)
	if err != nil {
		return err
	}
	defer v.Close()
	stop := g.startProgress("snapshots show: reading "+o.Ref, nil)
	s, err := v.Load(ctx, o.Ref)
	stop()
	if err != nil {
		return err
	}
	if g.output == "json" {
		return writeSnapshotJSON(g.stdout, s)
	}
	return g.print(s, func(w io.Writer) {
		m := s.Meta
		fmt.Fprintf(w, "snapshot\t%s\n", s.ID)
		fmt.Fprintf(w, "created\t%s by cdcops %s, via %s\n", m.Created.UTC().Format(time.RFC3339), m.CdcopsVersion, m.Via)
		fmt.Fprintf(w, "kafka\tcluster %s at %s\n", m.KafkaClusterID, m.Bootstrap)
		fmt.Fprintf(w, "connect\t%s (version %s)\n", m.ConnectURL, m.ConnectVersion)
		for _, t := range m.Topics {
			fmt.Fprintf(w, "topic\t%s: %d partitions, read to %d end offsets (%s)\n", t.Name, t.Partitions, len(t.EndOffsets), t.Reason)
		}
		fmt.Fprintf(w, "content sha256\t%s\n\n", s.ContentSHA256)
		classes := map[string]string{}
		for _, c := range s.Content.Connectors {
			classes[c.Name] = c.Class
		}
		fmt.Fprintln(w, "CONNECTOR\tPARTITION\tPOSITION\tWRITTEN")
		for _, r := range s.Content.Records {
			pos := "(malformed key, kept raw)"
			if !r.Malformed {
				d := debezium.Decode(classes[r.Connector], objectOf(r.RawValue))
				pos = d.Position
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Connector, partitionText(r.RawKey), pos, r.Timestamp.UTC().Format(time.RFC3339))
		}
		rest := make([]string, 0, len(s.Content.REST))
		for n := range s.Content.REST {
			rest = append(rest, n)
		}
		sort.Strings(rest)
		for _, n := range rest {
			for _, e := range s.Content.REST[n].Offsets {
				fmt.Fprintf(w, "%s\t%s\t%s\t(rest)\n", n, e.Partition, debezium.Decode(classes[n], objectOf(e.Offset)).Position)
			}
		}
		for _, gr := range s.Content.Groups {
			var parts []string
			for _, p := range gr.Offsets {
				parts = append(parts, fmt.Sprintf("%s[%d]=%d", p.Topic, p.Partition, p.Offset))
			}
			fmt.Fprintf(w, "%s\tgroup %s\t%s\t\n", gr.Connector, gr.Group, strings.Join(parts, " "))
		}
	})
}
