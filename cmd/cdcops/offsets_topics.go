package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/kafka"
)

type offsetsTopicsOptions struct{}

func newOffsetsTopicsCmd(g *globals) *cobra.Command {
	var opts offsetsTopicsOptions
	return &cobra.Command{
		Use:   "topics",
		Short: "Discover the offsets topics in use and say why each was chosen",
		Long: `Lists compacted topics whose sampled records are Kafka Connect offset keys,
plus every offsets.storage.topic set in a connector config (KIP-618), with
the reason each was chosen. Backups read all of them.`,
		Example: `  cdcops offsets topics --bootstrap kafka:9092
  cdcops offsets topics -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runOffsetsTopics(cmd.Context(), g, opts) },
	}
}

func runOffsetsTopics(ctx context.Context, g *globals, _ offsetsTopicsOptions) error {
	meta, err := backup.FetchMeta(ctx, g.connectClient())
	if err != nil {
		g.log.Warn("Kafka Connect unreachable; connector-level offsets.storage.topic settings are not included", "err", err)
	}
	kc, err := kafka.Dial(ctx, g.bootstrap)
	if err != nil {
		return err
	}
	defer kc.Close()
	configured := map[string]string{}
	for name, info := range meta.Infos {
		if t := info.Config["offsets.storage.topic"]; t != "" {
			configured[t] = "offsets.storage.topic of connector " + name
		}
	}
	found, err := kc.DiscoverOffsetsTopics(ctx, configured)
	if err != nil {
		return fmt.Errorf("offsets topics: %w", err)
	}
	if found == nil {
		found = []kafka.FoundTopic{}
	}
	return g.print(found, func(w io.Writer) {
		fmt.Fprintln(w, "TOPIC\tPARTITIONS\tSAMPLED\tWHY")
		for _, f := range found {
			fmt.Fprintf(w, "%s\t%d\t%d/%d offset keys\t%s\n", f.Name, f.Partitions, f.OffsetKeys, f.Sampled, strings.Join(f.Reasons, "; "))
		}
		if len(found) == 0 {
			fmt.Fprintln(w, "(none found)\t\t\t")
		}
	})
}
