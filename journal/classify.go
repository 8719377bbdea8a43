package journal

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/debezium"
	"github.com/cdcops/cdcops/kafka"
)

// Change is an unaudited offsets write, as logged and sent to webhooks.
// Offsets are not secrets; connector configs never appear here.
type Change struct {
	Time           time.Time       `json:"time"`
	Connector      string          `json:"connector"`
	Topic          string          `json:"topic"`
	KafkaPartition int32           `json:"kafka_partition"`
	KafkaOffset    int64           `json:"kafka_offset"`
	Partition      json.RawMessage `json:"partition"`
	Before         json.RawMessage `json:"before"`
	After          json.RawMessage `json:"after"`
	Reason         string          `json:"reason"`
}

// classify says why a write is unaudited ("" when it is a cdcops plan's
// or normal progress by the running task) and which plan made it.
//
// Normal progress is a write, while the connector runs, that keeps or
// advances its position. Everything else needs someone to have done it:
// a tombstone (reset), a key that is not a Connect offset key, a write
// while the connector was not running (REST PATCH/DELETE, a console
// producer), a position that went backwards (set-binlog-position, a
// rewind by hand). A forward write by an outsider while the task runs
// looks exactly like progress and is not flagged (docs/journal.md).
//
// A write that would be flagged is first checked against the cdcops plans
// applying at the time: only those lookups hit the store, and they are
// never cached, since a plan's steps are stored moments before its write.
func (j *Journal) classify(ctx context.Context, keyID int64, r kafka.TailRecord) (reason, plan string, err error) {
	reason = j.suspicious(keyID, r)
	if reason == "" || j.o.Plans == nil || r.Connector == "" {
		return reason, "", nil
	}
	if plan, err = j.o.Plans.PlanApplying(ctx, r.Connector, r.Timestamp); err != nil || plan != "" {
		return "", plan, err
	}
	return reason, "", nil
}

// suspicious says why a write is not the running task's progress, or "".
func (j *Journal) suspicious(keyID int64, r kafka.TailRecord) string {
	if r.Malformed {
		return "not a Kafka Connect offset key"
	}
	if r.RawValue == nil {
		return "tombstone: the partition's offset was reset"
	}
	if j.states != nil {
		if b, a, inB, inA, sampled := j.states.around(r.Connector, r.Timestamp); sampled {
			switch {
			case !inB && !inA:
				return "written for a connector Connect does not know"
			case inB && inA && !mayWrite(b.State) && !mayWrite(a.State):
				return "written while the connector was " + b.State
			}
		}
	}
	prev, ok := j.latest[keyID]
	if !ok || prev == nil {
		return "" // a new partition: the task's first write
	}
	before, err1 := connectjson.ParseObject(prev)
	after, err2 := connectjson.ParseObject(r.RawValue)
	if err1 != nil || err2 != nil {
		return ""
	}
	if cmp, known := debezium.Compare(j.classOf(r.Connector), before, after); known && cmp < 0 {
		return "moved backwards: " + strings.Join(debezium.Delta(j.classOf(r.Connector), before, after), "; ")
	}
	return ""
}

// mayWrite is whether a connector in state st can have a task writing
// offsets.
func mayWrite(st string) bool {
	return st == cdcops.StateRunning || st == cdcops.StateRestarting || st == cdcops.StateUnassigned
}

func (j *Journal) classOf(connector string) string {
	if j.states == nil {
		return ""
	}
	return j.states.class(connector)
}

// change describes r for logs and webhooks; call it before r becomes the
// key's latest value, so Before is what it replaced.
func (j *Journal) change(keyID int64, r kafka.TailRecord, reason string) Change {
	c := Change{Time: r.Timestamp, Connector: r.Connector, Topic: r.Topic, KafkaPartition: r.Partition, KafkaOffset: r.Offset,
		Reason: reason, Before: json.RawMessage("null"), After: json.RawMessage("null"), Partition: json.RawMessage("null")}
	if _, part, err := connectjson.ParseOffsetKey(r.RawKey); err == nil {
		if b, err := connectjson.Encode(part); err == nil {
			c.Partition = b
		}
	}
	if prev := j.latest[keyID]; prev != nil && json.Valid(prev) {
		c.Before = append(json.RawMessage(nil), prev...)
	}
	if r.RawValue != nil && json.Valid(r.RawValue) {
		c.After = append(json.RawMessage(nil), r.RawValue...)
	}
	return c
}
