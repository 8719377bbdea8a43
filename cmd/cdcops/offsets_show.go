package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/debezium"
)

type offsetsShowOptions struct {
	sourceFlags
	Name string
}

func newOffsetsShowCmd(g *globals) *cobra.Command {
	var opts offsetsShowOptions
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a connector's current offsets, decoded, with when each was last written",
		Long: `Shows each source partition's offset decoded for its connector class
(PostgreSQL LSN as X/Y, MySQL binlog file:pos and GTIDs, SQL Server LSNs,
MongoDB oplog time, Oracle SCN, ts_* as times) and the time the record was
written to the offsets topic. With --via rest the time comes from the topic
when Kafka is reachable, else it is unknown. Sink connectors show their
consumer group offsets.`,
		Example: `  cdcops offsets show inventory-connector
  cdcops offsets show inventory-connector --via rest -o json`,
		Args: exactArgs(1, "a connector name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runOffsetsShow(cmd.Context(), g, opts)
		},
	}
	opts.sourceFlags.addFlags(cmd.Flags())
	return cmd
}

// offsetRow is one partition of `offsets show`. Partition and offset are
// the JSON objects Connect stores (docs/json.md); a key that is not valid
// JSON is kept as text in partition_raw with malformed set.
type offsetRow struct {
	Partition      json.RawMessage  `json:"partition"`
	Offset         json.RawMessage  `json:"offset"` // null: a tombstone
	PartitionRaw   string           `json:"partition_raw,omitempty"`
	Malformed      bool             `json:"malformed,omitempty"`
	Decoded        debezium.Decoded `json:"decoded"`
	Written        *time.Time       `json:"written"` // nil = unknown
	Topic          string           `json:"topic,omitempty"`
	KafkaPartition *int32           `json:"kafka_partition"` // nil = unknown (read via REST only)
	KafkaOffset    *int64           `json:"kafka_offset"`
}

// location is where the row's record lives, for the table.
func (r offsetRow) location() string {
	if r.KafkaPartition == nil || r.KafkaOffset == nil {
		return ""
	}
	return fmt.Sprintf("%s[%d]@%d", r.Topic, *r.KafkaPartition, *r.KafkaOffset)
}

// partitionText is the partition for the table.
func (r offsetRow) partitionText() string {
	if r.Malformed {
		return r.PartitionRaw
	}
	return string(r.Partition)
}

// rowFor fills the partition and offset of a row from raw bytes.
func rowFor(partition, offset []byte) offsetRow {
	var row offsetRow
	if json.Valid(partition) {
		row.Partition = json.RawMessage(partition)
	} else {
		row.PartitionRaw, row.Malformed = strings.ToValidUTF8(string(partition), "?"), true
	}
	if len(offset) > 0 && json.Valid(offset) {
		row.Offset = json.RawMessage(offset)
	} else if len(offset) > 0 {
		row.Malformed = true
	}
	return row
}

func (r *offsetRow) at(rec cdcops.OffsetRecord) {
	t := rec.Timestamp.UTC()
	p, o := rec.Partition, rec.Offset
	r.Written, r.Topic, r.KafkaPartition, r.KafkaOffset = &t, rec.Topic, &p, &o
}

type showResult struct {
	Connector string                   `json:"connector"`
	Class     string                   `json:"class,omitempty"`
	Via       string                   `json:"via"`
	Offsets   []offsetRow              `json:"offsets"`
	Groups    []cdcops.PartitionOffset `json:"group_offsets"`
	Group     string                   `json:"group,omitempty"`
}

func runOffsetsShow(ctx context.Context, g *globals, o offsetsShowOptions) error {
	// A view may show the topics alone when Connect is down (it warns).
	bo := backup.Options{Names: []string{o.Name}, Via: o.Via, Topics: o.Topics, AllowPartial: true}
	if err := bo.Validate(); err != nil {
		return err
	}
	stop := g.startProgress("offsets show "+o.Name+": reading offsets", nil)
	s, err := backup.Collect(ctx, g.backupSources(), bo)
	stop()
	if err != nil {
		return fmt.Errorf("offsets show %s: %w", o.Name, err)
	}
	res := showResult{Connector: o.Name, Via: o.Via, Offsets: []offsetRow{}, Groups: []cdcops.PartitionOffset{}}
	c, known := s.Connector(o.Name)
	res.Class = c.Class
	for _, r := range s.Content.Records {
		row := rowFor([]byte(partitionText(r.RawKey)), r.RawValue)
		row.Decoded = debezium.Decode(c.Class, objectOf(r.RawValue))
		row.at(r)
		res.Offsets = append(res.Offsets, row)
	}
	if body, ok := s.Content.REST[o.Name]; ok {
		times := topicTimes(ctx, g, o)
		for _, e := range body.Offsets {
			row := rowFor(e.Partition, e.Offset)
			row.Decoded = debezium.Decode(c.Class, objectOf(e.Offset))
			if p := objectOf(e.Partition); p != nil {
				if key, err := connectjson.OffsetKey(o.Name, p); err == nil {
					if r, ok := times[string(key)]; ok {
						row.at(r)
					}
				}
			}
			res.Offsets = append(res.Offsets, row)
		}
	}
	for _, gr := range s.Content.Groups {
		res.Group, res.Groups = gr.Group, append(res.Groups, gr.Offsets...)
	}
	if !known && len(res.Offsets) == 0 && len(res.Groups) == 0 {
		return cdcops.Errorf(cdcops.ENOTFOUND, "`cdcops connectors list` shows the connectors; `cdcops offsets topics` the offsets topics",
			"connector %q has no offsets and is not known to Kafka Connect", o.Name)
	}
	return g.print(res, func(w io.Writer) {
		if res.Class != "" {
			fmt.Fprintf(w, "# %s (%s)\n", res.Connector, res.Class)
		}
		fmt.Fprintln(w, "PARTITION\tPOSITION\tWRITTEN\tWHERE")
		for _, r := range res.Offsets {
			when := "unknown"
			if r.Written != nil {
				when = r.Written.UTC().Format(time.RFC3339)
			}
			pos := r.Decoded.Position
			if r.Decoded.Guessed {
				pos += " (kind guessed: " + string(r.Decoded.Kind) + ")"
			}
			if r.Decoded.Snapshot != "" {
				pos += " [" + r.Decoded.Snapshot + "]"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.partitionText(), pos, when, r.location())
			for _, f := range r.Decoded.Fields {
				if f.Human != "" {
					fmt.Fprintf(w, "\t  %s = %s (%s)\t\t\n", f.Name, f.Raw, f.Human)
				}
			}
		}
		for _, p := range res.Groups {
			fmt.Fprintf(w, "%s[%d]\tcommitted offset %d (group %s)\tunknown\t\n", p.Topic, p.Partition, p.Offset, res.Group)
		}
		if len(res.Offsets) == 0 && len(res.Groups) == 0 {
			fmt.Fprintln(w, "(no offsets)\t\t\t")
		}
	})
}

// topicTimes reads the offsets topics for record times when Kafka is
// reachable; REST answers carry no times.
func topicTimes(ctx context.Context, g *globals, o offsetsShowOptions) map[string]cdcops.OffsetRecord {
	out := map[string]cdcops.OffsetRecord{}
	s, err := backup.Collect(ctx, g.backupSources(), backup.Options{Names: []string{o.Name}, Via: "topic", Topics: o.Topics, AllowPartial: true})
	if err != nil {
		g.log.Info("offsets topic unreadable; write times unknown", "err", err)
		return out
	}
	for _, r := range s.Content.Records {
		out[string(r.RawKey)] = r
	}
	return out
}

// partitionText is the partition map of an offsets key, or the raw key.
func partitionText(key []byte) string {
	if _, p, err := connectjson.ParseOffsetKey(key); err == nil {
		if b, err := connectjson.Encode(p); err == nil {
			return string(b)
		}
	}
	return strings.ToValidUTF8(string(key), "?")
}

// objectOf is the offset or partition map in raw, or nil when raw is not a
// JSON object (a tombstone or a malformed record).
func objectOf(raw []byte) connectjson.Object {
	o, _ := connectjson.ParseObject(raw)
	return o
}
