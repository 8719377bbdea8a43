package main

import (
	"encoding/json"
	"regexp"
	"strconv"

	"github.com/cdcops/cdcops/snapshots"
)

// diffView is the -o json form of `snapshots diff` (docs/json.md): each
// partition and offset is a JSON object, never JSON inside a string. A sink
// connector's group position is shaped as Connect's REST API shows it:
// partition {"kafka_topic","kafka_partition"} and offset {"kafka_offset"}.
type diffView struct {
	A         string          `json:"a"`
	B         string          `json:"b"`
	Entries   []diffEntryView `json:"entries"`
	Unchanged int             `json:"unchanged"`
}

type diffEntryView struct {
	Connector      string          `json:"connector"`
	Topic          string          `json:"topic"`
	Partition      json.RawMessage `json:"partition"`
	Group          string          `json:"group,omitempty"`
	KafkaPartition int32           `json:"kafka_partition"`
	Change         string          `json:"change"` // added, removed, changed
	Before         json.RawMessage `json:"before"` // null: absent in A
	After          json.RawMessage `json:"after"`  // null: absent in B
	Deltas         []string        `json:"deltas"`
}

var groupPartition = regexp.MustCompile(`^(.*)\[(\d+)\] \(group (.*)\)$`)

func newDiffView(r snapshots.DiffResult) diffView {
	v := diffView{A: r.A, B: r.B, Unchanged: r.Unchanged, Entries: []diffEntryView{}}
	for _, e := range r.Entries {
		ev := diffEntryView{Connector: e.Connector, Topic: e.Topic, KafkaPartition: e.KafkaPartition, Change: e.Change, Deltas: e.Deltas}
		if ev.Deltas == nil {
			ev.Deltas = []string{}
		}
		group := false
		if m := groupPartition.FindStringSubmatch(e.Partition); m != nil && !json.Valid([]byte(e.Partition)) {
			group = true
			p, _ := strconv.Atoi(m[2])
			ev.Partition, _ = json.Marshal(map[string]any{"kafka_topic": m[1], "kafka_partition": p})
			ev.Group = m[3]
		} else {
			ev.Partition = jsonOrString(e.Partition)
		}
		for _, side := range []struct {
			raw string
			out *json.RawMessage
		}{{e.Before, &ev.Before}, {e.After, &ev.After}} {
			if side.raw == "" {
				continue
			}
			if n, err := strconv.ParseInt(side.raw, 10, 64); err == nil && group {
				*side.out, _ = json.Marshal(map[string]int64{"kafka_offset": n})
			} else {
				*side.out = jsonOrString(side.raw)
			}
		}
		v.Entries = append(v.Entries, ev)
	}
	return v
}

// jsonOrString keeps valid JSON as is and quotes anything else.
func jsonOrString(s string) json.RawMessage {
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}
