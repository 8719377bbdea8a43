package snapshots

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/debezium"
)

// DiffEntry is one source partition (or sink group partition) whose
// offset differs between two snapshots.
type DiffEntry struct {
	Connector      string   `json:"connector"`
	Topic          string   `json:"topic"`
	Partition      string   `json:"partition"`       // the source partition map (or topic[partition] for sinks)
	KafkaPartition int32    `json:"kafka_partition"` // where the key lives in the offsets topic
	Change         string   `json:"change"`          // added, removed, changed
	Before         string   `json:"before,omitempty"`
	After          string   `json:"after,omitempty"`
	Deltas         []string `json:"deltas,omitempty"`
}

// DiffResult lists the differences from A to B.
type DiffResult struct {
	A         string      `json:"a"`
	B         string      `json:"b"`
	Entries   []DiffEntry `json:"entries"`
	Unchanged int         `json:"unchanged"`
}

type diffItem struct {
	connector, topic, partition string
	kpart                       int32
	value                       []byte // offset JSON; nil = absent
	group                       bool
}

// items flattens a snapshot into comparable entries keyed by exact key
// bytes, so topic and REST snapshots compare (REST partitions are encoded
// as Connect would). A key present in several offsets topics resolves as
// Connect does: the connector's own offsets.storage.topic wins.
func items(s *cdcops.Snapshot) map[string]diffItem {
	m := map[string]diffItem{}
	own := map[string]string{}
	for _, c := range s.Content.Connectors {
		own[c.Name] = c.OffsetsTopic
	}
	for _, r := range s.Content.Records {
		part := string(r.RawKey)
		if _, p, err := connectjson.ParseOffsetKey(r.RawKey); err == nil {
			if b, err := connectjson.Encode(p); err == nil {
				part = string(b)
			}
		}
		k := "k\x00" + string(r.RawKey)
		if prev, dup := m[k]; dup && prev.topic == own[r.Connector] {
			continue
		}
		m[k] = diffItem{connector: r.Connector, topic: r.Topic, partition: part, kpart: r.Partition, value: r.RawValue}
	}
	for name, body := range s.Content.REST {
		for _, o := range body.Offsets {
			pv, err := connectjson.Parse(o.Partition)
			p, ok := pv.(connectjson.Object)
			if err != nil || !ok {
				continue
			}
			key, err := connectjson.OffsetKey(name, p)
			if err != nil {
				continue
			}
			val := []byte(o.Offset)
			if string(val) == "null" || len(val) == 0 {
				continue
			}
			if norm, err := connectjson.Normalize(val); err == nil {
				val = norm
			}
			pj, _ := connectjson.Encode(p)
			m["k\x00"+string(key)] = diffItem{connector: name, topic: "(rest)", partition: string(pj), kpart: -1, value: val}
		}
	}
	for _, g := range s.Content.Groups {
		for _, o := range g.Offsets {
			m[fmt.Sprintf("g\x00%s\x00%s\x00%d", g.Group, o.Topic, o.Partition)] = diffItem{connector: g.Connector, topic: o.Topic,
				partition: fmt.Sprintf("%s[%d] (group %s)", o.Topic, o.Partition, g.Group), kpart: o.Partition, value: []byte(strconv.FormatInt(o.Offset, 10)), group: true}
		}
	}
	return m
}

// Diff compares two snapshots partition by partition, with decoded deltas.
func Diff(a, b *cdcops.Snapshot) DiffResult {
	res := DiffResult{A: a.ID, B: b.ID, Entries: []DiffEntry{}}
	classes := map[string]string{}
	for _, s := range []*cdcops.Snapshot{a, b} {
		for _, c := range s.Content.Connectors {
			classes[c.Name] = c.Class
		}
	}
	ia, ib := items(a), items(b)
	keys := map[string]bool{}
	for k := range ia {
		keys[k] = true
	}
	for k := range ib {
		keys[k] = true
	}
	for k := range keys {
		x, inA := ia[k]
		y, inB := ib[k]
		if inA && inB && string(x.value) == string(y.value) {
			res.Unchanged++
			continue
		}
		e := DiffEntry{Connector: y.connector, Topic: y.topic, Partition: y.partition, KafkaPartition: y.kpart, Before: string(x.value), After: string(y.value)}
		if !inB {
			e.Connector, e.Topic, e.Partition, e.KafkaPartition = x.connector, x.topic, x.partition, x.kpart
		}
		switch {
		case !inA:
			e.Change = "added"
		case !inB:
			e.Change = "removed"
		default:
			e.Change = "changed"
		}
		if x.group || y.group {
			if inA && inB {
				xa, _ := strconv.ParseInt(string(x.value), 10, 64)
				yb, _ := strconv.ParseInt(string(y.value), 10, 64)
				e.Deltas = []string{fmt.Sprintf("%+d records", yb-xa)}
			}
		} else {
			e.Deltas = debezium.Delta(classes[e.Connector], object(x.value), object(y.value))
		}
		res.Entries = append(res.Entries, e)
	}
	sort.Slice(res.Entries, func(i, j int) bool {
		p, q := res.Entries[i], res.Entries[j]
		if p.Connector != q.Connector {
			return p.Connector < q.Connector
		}
		if p.Topic != q.Topic {
			return p.Topic < q.Topic
		}
		return p.Partition < q.Partition
	})
	return res
}

// object is the offset in raw, or nil when it is not a JSON object.
func object(raw []byte) connectjson.Object {
	o, _ := connectjson.ParseObject(raw)
	return o
}
