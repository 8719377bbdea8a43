package surgery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sort"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/state"
	"github.com/cdcops/cdcops/vault"
)

// Env are the systems surgery works on.
type Env struct {
	Connect   *connect.Client
	Bootstrap string
	Vault     *vault.Vault
	State     *state.Store
	Log       *slog.Logger
}

func (e Env) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

func (e Env) sources() backup.Sources {
	return backup.Sources{Connect: e.Connect, Bootstrap: e.Bootstrap, Log: e.Log}
}

// Current is one connector's offsets as read now.
type Current struct {
	Name   string
	Type   string
	Class  string
	Group  string
	Config map[string]string // redacted
	// Entries are its partitions; for sources from the offsets topics
	// (Key exact, Topic/KP where it lives) or REST; for sinks the
	// consumer group offsets in KIP-875 form.
	Entries []Entry
	// Topics are the offsets topics read and their partition counts.
	Topics map[string]int32
}

// Entry is one partition's current offset. Partition is the partition
// map as Connect encodes it, the identity entries are matched by.
type Entry struct {
	Partition []byte
	Key       []byte
	Topic     string
	KP        int32
	Value     []byte // nil = no offset
}

// Find returns the entry for partition (compared as encoded bytes).
func (c *Current) Find(partition []byte) (Entry, bool) {
	for _, e := range c.Entries {
		if string(e.Partition) == string(partition) {
			return e, true
		}
	}
	return Entry{}, false
}

// read collects the connectors' offsets via topic or rest (backup.Collect)
// and splits them per connector.
func (e Env) read(ctx context.Context, names []string, via string) (map[string]*Current, *cdcops.Snapshot, error) {
	s, err := backup.Collect(ctx, e.sources(), backup.Options{Names: names, Via: via})
	if err != nil {
		return nil, nil, err
	}
	return CurrentOf(s, names), s, nil
}

// CurrentOf splits a snapshot into per-connector offsets for names.
func CurrentOf(s *cdcops.Snapshot, names []string) map[string]*Current {
	out := map[string]*Current{}
	topics := map[string]int32{}
	for _, t := range s.Meta.Topics {
		topics[t.Name] = t.Partitions
	}
	for _, n := range names {
		c := &Current{Name: n, Topics: topics}
		if sc, ok := s.Connector(n); ok {
			c.Type, c.Class, c.Group, c.Config = sc.Type, sc.Class, sc.Group, sc.Config
		}
		out[n] = c
	}
	for _, r := range s.Content.Records {
		c := out[r.Connector]
		if c == nil || r.Malformed {
			continue
		}
		_, part, err := connectjson.ParseOffsetKey(r.RawKey)
		if err != nil {
			continue
		}
		pb, _ := connectjson.Encode(part)
		c.Entries = append(c.Entries, Entry{Partition: pb, Key: r.RawKey, Topic: r.Topic, KP: r.Partition, Value: r.RawValue})
	}
	for n, body := range s.Content.REST {
		c := out[n]
		if c == nil {
			continue
		}
		for _, o := range body.Offsets {
			pb, err := connectjson.Normalize(o.Partition)
			if err != nil {
				continue
			}
			var val []byte
			if len(o.Offset) > 0 && string(o.Offset) != "null" {
				val, _ = connectjson.Normalize(o.Offset)
			}
			en := Entry{Partition: pb, KP: -1, Value: val}
			if c.Type != cdcops.ConnectorSink {
				if p, err := connectjson.ParseObject(pb); err == nil {
					en.Key, _ = connectjson.OffsetKey(n, p)
				}
			}
			c.Entries = append(c.Entries, en)
		}
	}
	for _, g := range s.Content.Groups {
		c := out[g.Connector]
		if c == nil {
			continue
		}
		for _, o := range g.Offsets {
			c.Entries = append(c.Entries, Entry{Partition: SinkPartition(o.Topic, o.Partition), KP: -1, Value: SinkOffset(o.Offset)})
		}
	}
	for _, c := range out {
		sort.Slice(c.Entries, func(i, j int) bool { return string(c.Entries[i].Partition) < string(c.Entries[j].Partition) })
	}
	return out
}

// SinkPartition is a sink partition in KIP-875 form, as Connect encodes it.
func SinkPartition(topic string, p int32) []byte {
	b, _ := connectjson.Encode(connectjson.Object{{Key: "kafka_topic", Value: topic}, {Key: "kafka_partition", Value: int64(p)}})
	return b
}

// SinkOffset is a sink offset in KIP-875 form.
func SinkOffset(off int64) []byte {
	b, _ := connectjson.Encode(connectjson.Object{{Key: "kafka_offset", Value: off}})
	return b
}

// sinkParts decodes a KIP-875 sink partition and offset.
func sinkParts(partition, offset []byte) (topic string, p int32, off int64, ok bool) {
	po, err := connectjson.ParseObject(partition)
	if err != nil {
		return "", 0, 0, false
	}
	t, _ := po.Get("kafka_topic")
	pv, _ := po.Get("kafka_partition")
	topic, _ = t.(string)
	pn, okp := pv.(int64)
	if offset != nil {
		oo, err := connectjson.ParseObject(offset)
		if err != nil {
			return "", 0, 0, false
		}
		ov, _ := oo.Get("kafka_offset")
		off, _ = ov.(int64)
	}
	return topic, int32(pn), off, topic != "" && okp
}

// baseHash binds a plan to the state it was computed from: every
// connector's partitions and values, in a fixed order.
func baseHash(cur map[string]*Current) string {
	names := make([]string, 0, len(cur))
	for n := range cur {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		for _, e := range cur[n].Entries {
			rec, _ := json.Marshal([]any{n, string(e.Partition), string(e.Value), e.Value == nil})
			h.Write(rec)
			h.Write([]byte{'\n'})
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
