package journal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/state"
)

// Sink connectors keep their offsets in a consumer group, not in an
// offsets topic. The journal polls each sink's group offsets (reading
// __consumer_offsets needs rights operators rarely grant) and stores each
// change like an offsets write: key ["<connector>",{"kafka_topic",
// "kafka_partition"}] and value {"kafka_offset":N}, the shapes of Connect's
// GET /connectors/{sink}/offsets, under the pseudo-topic "group:<group>".
// A poll sees the net change since the last one, stamped with the poll's
// time; commits between two polls are folded into one entry.
const groupTopicPrefix = "group:"

// GroupSource reads a consumer group's committed offsets.
type GroupSource interface {
	GroupOffsets(ctx context.Context, group string) (map[string]map[int32]int64, error)
}

// IsGroupTopic reports whether a journal key's topic is a sink's group.
func IsGroupTopic(topic string) (group string, ok bool) {
	return strings.CutPrefix(topic, groupTopicPrefix)
}

func (j *Journal) pollGroups(ctx context.Context) {
	t := time.NewTicker(j.o.GroupPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := j.groupsOnce(ctx); err != nil && ctx.Err() == nil {
			j.o.Log.Warn("journal: sink group offsets", "err", err)
		}
	}
}

// groupsOnce stores the group offsets that changed since the last poll.
func (j *Journal) groupsOnce(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	sinks := j.states.sinks()
	now := j.o.Now()
	since := j.lastGroupPoll
	j.lastGroupPoll = now
	var entries []state.JournalEntry
	var changes []Change
	for connector, group := range sinks {
		offs, err := j.o.Groups.GroupOffsets(ctx, group)
		if err != nil {
			return fmt.Errorf("group %s of %s: %w", group, connector, err)
		}
		for topic, parts := range offs {
			for p, off := range parts {
				key, err := connectjson.OffsetKey(connector, connectjson.Object{{Key: "kafka_topic", Value: topic}, {Key: "kafka_partition", Value: int64(p)}})
				if err != nil {
					return err
				}
				value := []byte(fmt.Sprintf(`{"kafka_offset":%d}`, off))
				gt := groupTopicPrefix + group
				id, err := j.groupKey(ctx, gt, connector, key)
				if err != nil {
					return err
				}
				prev, seen := j.latest[id]
				if seen && string(prev) == string(value) {
					continue
				}
				e := state.JournalEntry{KeyID: id, Partition: p, Offset: off, Time: now, Seen: now, Value: value}
				e.Reason = j.classifyGroup(connector, since, now, prev, off)
				e.Unaudited = e.Reason != ""
				if j.o.Plans != nil {
					if plan, err := j.o.Plans.PlanApplying(ctx, connector, now); err == nil && plan != "" {
						e.PlanID, e.Reason, e.Unaudited = plan, "", false
					}
				}
				if e.Unaudited {
					c := Change{Time: now, Connector: connector, Topic: topic, KafkaPartition: p, KafkaOffset: off, Reason: e.Reason,
						Partition: partitionOf(key), Before: rawOrNull(prev), After: value}
					changes = append(changes, c)
				}
				j.latest[id] = value
				entries = append(entries, e)
			}
		}
	}
	if len(entries) == 0 {
		return nil
	}
	if err := j.o.Store.AppendJournal(ctx, state.JournalBatch{Entries: entries}); err != nil {
		return err
	}
	j.notify(ctx, changes)
	return nil
}

func (j *Journal) groupKey(ctx context.Context, topic, connector string, key []byte) (int64, error) {
	k := topic + "\x00" + string(key)
	if id, ok := j.keys[k]; ok {
		return id, nil
	}
	ids, err := j.o.Store.AddJournalKeys(ctx, []state.JournalKey{{Topic: topic, Connector: connector, Key: key}})
	if err != nil {
		return 0, err
	}
	j.keys[k] = ids[0]
	return ids[0], nil
}

// classifyGroup flags a group offset that went back, or moved while the
// sink was not running at any sample since the last poll.
func (j *Journal) classifyGroup(connector string, since, now time.Time, prev []byte, off int64) string {
	if prev != nil {
		if o, err := connectjson.ParseObject(prev); err == nil {
			if was, ok := o.Get("kafka_offset"); ok {
				if w, isInt := was.(int64); isInt && off < w {
					return fmt.Sprintf("moved backwards: kafka offset %d → %d (%+d)", w, off, off-w)
				}
			}
		}
	}
	if prev != nil && !j.states.ranBetween(connector, since, now) {
		return "committed while the connector was not running"
	}
	return ""
}
