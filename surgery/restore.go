package surgery

import (
	"context"
	"fmt"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connectjson"
)

// restoreChanges makes every partition of the snapshot's connectors what
// the snapshot holds. Partitions the snapshot does not hold are left
// alone (PATCH semantics: only listed partitions change).
func restoreChanges(ctx context.Context, env Env, req *Request) (changeFunc, error) {
	var err error
	snap := req.Target
	if snap == nil {
		if req.Snapshot == "" {
			return nil, cdcops.Errorf(cdcops.EINVALID, "`cdcops snapshots list` shows the snapshot ids", "restore needs --snapshot ID or --to-time T")
		}
		if snap, err = env.Vault.Load(ctx, req.Snapshot); err != nil {
			return nil, err
		}
	}
	if req.All {
		if len(req.Names) > 0 {
			return nil, cdcops.Errorf(cdcops.EINVALID, "", "name connectors or pass --all, not both")
		}
		known, err := env.Connect.List(ctx)
		if err != nil {
			return nil, err
		}
		have := map[string]bool{}
		for _, n := range known {
			have[n] = true
		}
		for _, n := range snap.ConnectorNames() {
			if have[n] {
				req.Names = append(req.Names, n)
			}
		}
	}
	want := CurrentOf(snap, snap.ConnectorNames())
	allowNew := req.AllowNewPartitions
	return func(c *Current) ([]cdcops.PlanChange, []string, error) {
		w := want[c.Name]
		if w == nil || len(w.Entries) == 0 {
			return nil, nil, cdcops.Errorf(cdcops.ENOTFOUND, "`cdcops snapshots show "+snap.ID+"` lists what it holds",
				"snapshot %s holds no offsets for %s", snap.ID, c.Name)
		}
		var out []cdcops.PlanChange
		var flags []string
		for _, e := range w.Entries {
			after := e.Value
			if c.Type != cdcops.ConnectorSink && after != nil {
				if after, err = connectjson.Normalize(after); err != nil {
					return nil, nil, fmt.Errorf("snapshot offset %s: %w", e.Partition, err)
				}
			}
			now, exists := c.Find(e.Partition)
			if !exists && len(c.Entries) > 0 && !allowNew {
				return nil, nil, cdcops.Errorf(cdcops.EINVALID, "check the snapshot is this connector's; --allow-new-partitions adds it anyway",
					"snapshot partition %s is not a partition of %s (it has: %s)", e.Partition, c.Name, knownPartitions(c))
			}
			if exists && string(now.Value) == string(after) {
				continue
			}
			ch, err := change(c, e, now, exists, after)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, ch)
			if fwd, _ := forward(c, now.Value, after); fwd {
				flags = append(flags, fmt.Sprintf("forward jump on %s %s: %s; the changes in between are never delivered", c.Name, e.Partition, strings.Join(ch.Delta, ", ")))
			}
		}
		return out, flags, nil
	}, nil
}

// change builds a PlanChange for partition (from), current state now and
// the new value. Source keys keep the exact bytes and partition they were
// read with; a key seen nowhere gets Connect's murmur2 partition.
func change(c *Current, from, now Entry, exists bool, after []byte) (cdcops.PlanChange, error) {
	ch := cdcops.PlanChange{Partition: from.Partition, KafkaPartition: -1, After: after}
	if exists {
		ch.Before = now.Value
	}
	ch.Delta = delta(c, ch.Before, after)
	if c.Type == cdcops.ConnectorSink {
		return ch, nil
	}
	switch {
	case exists && now.Topic != "":
		ch.Key, ch.Topic, ch.KafkaPartition = now.Key, now.Topic, now.KP
	case from.Topic != "" && c.Topics[from.Topic] > 0:
		ch.Key, ch.Topic, ch.KafkaPartition = from.Key, from.Topic, from.KP
	default:
		key := from.Key
		if key == nil {
			p, err := connectjson.ParseObject(from.Partition)
			if err != nil {
				return ch, err
			}
			if key, err = connectjson.OffsetKey(c.Name, p); err != nil {
				return ch, err
			}
		}
		ch.Key = key
		if t, n := offsetsTopicOf(c); t != "" {
			ch.Topic, ch.KafkaPartition = t, connectjson.Partition(key, n)
		}
	}
	return ch, nil
}

// offsetsTopicOf is where a new key of c goes: its own offsets.storage.topic,
// the topic its other keys live in, or the only offsets topic read.
func offsetsTopicOf(c *Current) (string, int32) {
	if t := c.Config["offsets.storage.topic"]; t != "" && c.Topics[t] > 0 {
		return t, c.Topics[t]
	}
	for _, e := range c.Entries {
		if e.Topic != "" {
			return e.Topic, c.Topics[e.Topic]
		}
	}
	if len(c.Topics) == 1 {
		for t, n := range c.Topics {
			return t, n
		}
	}
	if n := c.Topics["connect-offsets"]; n > 0 {
		return "connect-offsets", n
	}
	return "", 0
}
