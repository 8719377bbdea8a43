package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/debezium"
	"github.com/cdcops/cdcops/state"
)

// Entry is one offsets write in a connector's timeline.
type Entry struct {
	Time           time.Time       `json:"time"`
	Topic          string          `json:"topic"`
	KafkaPartition int32           `json:"kafka_partition"`
	KafkaOffset    int64           `json:"kafka_offset"`
	Partition      json.RawMessage `json:"partition"`
	Before         json.RawMessage `json:"before"` // null: the partition was new
	After          json.RawMessage `json:"after"`  // null: a tombstone
	Position       string          `json:"position"`
	Delta          []string        `json:"delta"`
	PlanID         string          `json:"plan_id,omitempty"`
	Unaudited      bool            `json:"unaudited"`
	Reason         string          `json:"reason,omitempty"`
}

// Gap is a stretch the journal could not see (kind "compacted" or
// "before-first-run": records lost; their writes are unknown) or was not
// running (kind "journal-down": it caught up from the topic afterwards,
// so nothing is lost unless a compacted gap overlaps it).
type Gap struct {
	Kind           string    `json:"kind"`
	Topic          string    `json:"topic,omitempty"`
	KafkaPartition int32     `json:"kafka_partition"`
	FromOffset     int64     `json:"from_offset"`
	ToOffset       int64     `json:"to_offset"`
	From           time.Time `json:"from"`
	To             time.Time `json:"to"`
}

// History is a connector's timeline.
type History struct {
	Connector string  `json:"connector"`
	Entries   []Entry `json:"entries"`
	Gaps      []Gap   `json:"gaps"`
}

// HistoryOptions select part of a timeline.
type HistoryOptions struct {
	Connector    string
	Class        string          // connector.class for decoding; guessed when empty
	Partition    json.RawMessage // only this source partition (any key order)
	Since, Until time.Time       // zero = open
}

// ReadHistory builds a connector's timeline from the store, one entry per
// write with what it replaced, and the gaps that touch it.
func ReadHistory(ctx context.Context, st *state.Store, o HistoryOptions) (History, error) {
	h := History{Connector: o.Connector, Entries: []Entry{}, Gaps: []Gap{}}
	keys, err := connectorKeys(ctx, st, o.Connector, o.Partition)
	if err != nil || len(keys) == 0 {
		return h, err
	}
	ids := make([]int64, 0, len(keys))
	for id := range keys {
		ids = append(ids, id)
	}
	prev := map[int64][]byte{}
	if !o.Since.IsZero() {
		at, err := st.JournalAt(ctx, ids, o.Since.Add(-time.Millisecond))
		if err != nil {
			return h, err
		}
		for id, e := range at {
			prev[id] = e.Value
		}
	}
	entries, err := st.JournalEntries(ctx, state.JournalQuery{KeyIDs: ids, Since: o.Since, Until: o.Until})
	if err != nil {
		return h, err
	}
	for _, e := range entries {
		k := keys[e.KeyID]
		h.Entries = append(h.Entries, describe(o.Class, k, e, prev[e.KeyID]))
		prev[e.KeyID] = e.Value
	}
	h.Gaps, err = gapsFor(ctx, st, keys, o.Since, o.Until)
	return h, err
}

// describe turns a stored entry into a timeline entry.
func describe(class string, k state.JournalKey, e state.JournalEntry, before []byte) Entry {
	out := Entry{Time: e.Time, Topic: k.Topic, KafkaPartition: e.Partition, KafkaOffset: e.Offset,
		Partition: partitionOf(k.Key), Before: rawOrNull(before), After: rawOrNull(e.Value),
		PlanID: e.PlanID, Unaudited: e.Unaudited, Reason: e.Reason, Delta: []string{}}
	var b, a connectjson.Object
	if before != nil {
		b, _ = connectjson.ParseObject(before)
	}
	if e.Value != nil {
		a, _ = connectjson.ParseObject(e.Value)
		out.Position = debezium.Decode(class, a).Position
	}
	if d := debezium.Delta(class, b, a); d != nil {
		out.Delta = d
	}
	return out
}

func rawOrNull(b []byte) json.RawMessage {
	if b == nil || !json.Valid(b) {
		return json.RawMessage("null")
	}
	return json.RawMessage(b)
}

// partitionOf is the source partition object of an offset key, as its
// bytes stand in the key.
func partitionOf(key []byte) json.RawMessage {
	_, part, err := connectjson.ParseOffsetKey(key)
	if err != nil {
		return json.RawMessage("null")
	}
	b, err := connectjson.Encode(part)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// connectorKeys returns a connector's keys by id, only those of partition
// when given (compared in Java's key order, so any order matches).
func connectorKeys(ctx context.Context, st *state.Store, connector string, partition json.RawMessage) (map[int64]state.JournalKey, error) {
	all, err := st.JournalKeys(ctx, connector)
	if err != nil {
		return nil, err
	}
	var want []byte
	if len(partition) > 0 {
		obj, err := connectjson.ParseObject(partition)
		if err != nil {
			return nil, cdcops.Errorf(cdcops.EINVALID, `pass the partition as a JSON object, e.g. --partition '{"server":"dbserver1"}'`,
				"bad --partition: %v", err)
		}
		if want, err = connectjson.Encode(obj); err != nil {
			return nil, err
		}
	}
	out := map[int64]state.JournalKey{}
	for _, k := range all {
		if want != nil && !bytes.Equal(partitionOf(k.Key), want) {
			continue
		}
		out[k.ID] = k
	}
	if want != nil && len(out) == 0 && len(all) > 0 {
		var have []string
		for _, k := range all {
			have = append(have, string(partitionOf(k.Key)))
		}
		sort.Strings(have)
		return nil, cdcops.Errorf(cdcops.ENOTFOUND, "use one of the partitions the journal has seen: "+joinMax(have, 5),
			"connector %s has no partition %s in the journal", connector, string(partition))
	}
	return out, nil
}

func joinMax(s []string, n int) string {
	if len(s) > n {
		s = append(s[:n:n], "…")
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// gapsFor lists the compaction gaps on the topic partitions keys live in
// and the journal's down times, overlapping [since, until].
func gapsFor(ctx context.Context, st *state.Store, keys map[int64]state.JournalKey, since, until time.Time) ([]Gap, error) {
	out := []Gap{}
	parts := map[string]map[int32]bool{}
	latest, err := st.JournalLatest(ctx)
	if err != nil {
		return nil, err
	}
	for id, k := range keys {
		if parts[k.Topic] == nil {
			parts[k.Topic] = map[int32]bool{}
		}
		if e, ok := latest[id]; ok {
			parts[k.Topic][e.Partition] = true
		}
	}
	overlaps := func(from, to time.Time) bool {
		return (until.IsZero() || !from.After(until)) && (since.IsZero() || !to.Before(since))
	}
	gaps, err := st.JournalGaps(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range gaps {
		if parts[g.Topic][g.Partition] && overlaps(g.From, g.To) {
			out = append(out, Gap{Kind: g.Kind, Topic: g.Topic, KafkaPartition: g.Partition,
				FromOffset: g.FromOffset, ToOffset: g.ToOffset, From: g.From, To: g.To})
		}
	}
	runs, err := st.JournalRuns(ctx)
	if err != nil {
		return nil, err
	}
	for i := 1; i < len(runs); i++ {
		from, to := runs[i-1].Alive, runs[i].Started
		if to.After(from) && overlaps(from, to) {
			out = append(out, Gap{Kind: "journal-down", KafkaPartition: -1, FromOffset: -1, ToOffset: -1, From: from, To: to})
		}
	}
	return out, nil
}
