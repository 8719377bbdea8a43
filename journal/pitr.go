package journal

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/state"
	"github.com/cdcops/cdcops/vault/snapfile"
)

// AtOptions ask for the offsets at an instant.
type AtOptions struct {
	Connectors []string // empty = every connector the journal has seen
	At         time.Time
	// Horizon is the newest instant the journal is known to have seen
	// completely (see Horizon); At after it is refused.
	Horizon time.Time
	// AllowGaps answers even when At falls in a gap, with a warning.
	AllowGaps bool
}

// SnapshotAt materialises the offsets as they stood at o.At: for every
// key, the last write at or before it (a tombstone there means the key was
// absent). The result is an ordinary snapshot (Via "journal") that backups,
// diffs and restore plans take like any other. Warnings say what the
// answer could not rule out.
func SnapshotAt(ctx context.Context, st *state.Store, o AtOptions) (s *cdcops.Snapshot, warnings []string, err error) {
	if !o.Horizon.IsZero() && o.At.After(o.Horizon) {
		return nil, nil, cdcops.Errorf(cdcops.ECONFLICT, "run `cdcops offsets journal` until it has caught up, or pick an earlier --to-time",
			"the journal has seen the offsets topics completely only up to %s, not %s", stamp(o.Horizon), stamp(o.At))
	}
	names := o.Connectors
	if len(names) == 0 {
		all, err := st.JournalKeys(ctx, "")
		if err != nil {
			return nil, nil, err
		}
		seen := map[string]bool{}
		for _, k := range all {
			if !seen[k.Connector] {
				seen[k.Connector] = true
				names = append(names, k.Connector)
			}
		}
		sort.Strings(names)
	}
	s = &cdcops.Snapshot{Meta: cdcops.SnapshotMeta{Created: time.Now().UTC(), Via: "journal", Scope: names}}
	at := o.At.UTC()
	s.Meta.AsOf = &at
	for _, name := range names {
		keys, err := connectorKeys(ctx, st, name, nil)
		if err != nil {
			return nil, nil, err
		}
		if len(keys) == 0 {
			return nil, nil, cdcops.Errorf(cdcops.ENOTFOUND, "check the name with `cdcops offsets history NAME`; the journal only knows connectors it has seen write",
				"the journal has no offsets for connector %s", name)
		}
		ids := make([]int64, 0, len(keys))
		for id := range keys {
			ids = append(ids, id)
		}
		gaps, err := gapsFor(ctx, st, keys, at, at)
		if err != nil {
			return nil, nil, err
		}
		for _, g := range gaps {
			if g.Kind == "journal-down" {
				continue // caught up afterwards from the topic
			}
			msg := fmt.Sprintf("%s: offsets %d–%d of %s[%d] (%s to %s) never reached the journal (%s)",
				name, g.FromOffset, g.ToOffset-1, g.Topic, g.KafkaPartition, stamp(g.From), stamp(g.To), g.Kind)
			if !o.AllowGaps {
				return nil, nil, cdcops.Errorf(cdcops.ECONFLICT, "pick a time outside the gap (see `cdcops offsets history "+name+"`) or pass --allow-gap",
					"cannot tell the offsets at %s: %s", stamp(at), msg)
			}
			warnings = append(warnings, msg)
		}
		last, err := st.JournalAt(ctx, ids, at)
		if err != nil {
			return nil, nil, err
		}
		if len(last) == 0 {
			warnings = append(warnings, fmt.Sprintf("%s had no offsets at %s (its first write came later)", name, stamp(at)))
		}
		groups := map[string]*cdcops.GroupOffsets{}
		for id, e := range last {
			if e.Value == nil {
				continue
			}
			k := keys[id]
			if group, ok := IsGroupTopic(k.Topic); ok {
				if groups[group] == nil {
					groups[group] = &cdcops.GroupOffsets{Connector: name, Group: group}
				}
				_, part, err := connectjson.ParseOffsetKey(k.Key)
				if err != nil {
					return nil, nil, err
				}
				topic, _ := part.Get("kafka_topic")
				t, _ := topic.(string)
				groups[group].Offsets = append(groups[group].Offsets, cdcops.PartitionOffset{Topic: t, Partition: e.Partition, Offset: e.Offset})
				continue
			}
			s.Content.Records = append(s.Content.Records, cdcops.OffsetRecord{
				Topic: k.Topic, Partition: e.Partition, Offset: e.Offset, Timestamp: e.Time,
				RawKey: k.Key, RawValue: e.Value, Connector: k.Connector,
			})
		}
		for _, g := range groups {
			sort.Slice(g.Offsets, func(a, b int) bool {
				x, y := g.Offsets[a], g.Offsets[b]
				return x.Topic < y.Topic || x.Topic == y.Topic && x.Partition < y.Partition
			})
			s.Content.Groups = append(s.Content.Groups, *g)
		}
	}
	if s.Meta.Topics, err = topicsRead(ctx, st, s.Content.Records); err != nil {
		return nil, nil, err
	}
	snapfile.Canonicalize(&s.Content)
	return s, warnings, nil
}

// topicsRead describes the offsets topics a journal snapshot's records
// come from as a backup does: partitions seen and where the journal
// stands on each, so `snapshots verify` checks it like any backup.
func topicsRead(ctx context.Context, st *state.Store, recs []cdcops.OffsetRecord) ([]cdcops.SnapshotTopic, error) {
	pos, err := st.JournalPositions(ctx)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, r := range recs {
		used[r.Topic] = true
	}
	out := []cdcops.SnapshotTopic{}
	for topic := range used {
		t := cdcops.SnapshotTopic{Name: topic, Reason: "offsets journal", EndOffsets: map[int32]int64{}}
		for p, next := range pos[topic] {
			t.EndOffsets[p] = next
			t.Partitions = max(t.Partitions, p+1)
		}
		out = append(out, t)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}

// Horizon is the newest instant the journal has seen completely: now when
// it has read every partition up to ends (the topics' end offsets,
// sampled now; an open transaction keeps it behind, which errs on the
// safe side), else the newest record time it stored on a partition still
// behind.
func Horizon(ctx context.Context, st *state.Store, ends map[string]map[int32]int64, now time.Time) (time.Time, error) {
	pos, err := st.JournalPositions(ctx)
	if err != nil {
		return time.Time{}, err
	}
	horizon := now
	for topic, parts := range ends {
		for p, end := range parts {
			if pos[topic][p] >= end {
				continue
			}
			t, err := st.JournalNewest(ctx, topic, p)
			if err != nil {
				return time.Time{}, err
			}
			if t.Before(horizon) {
				horizon = t
			}
		}
	}
	return horizon, nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "the topic's start"
	}
	return t.UTC().Format(time.RFC3339Nano)
}
