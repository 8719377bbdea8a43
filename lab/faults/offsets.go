package faults

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/connectjson"
)

// liveOffsetKeys returns the offset records of connector whose latest
// value is not a tombstone, as last seen (exact key bytes, partition).
func liveOffsetKeys(ctx context.Context, t Target, connector string) ([]topicRecord, error) {
	recs, err := readTopic(ctx, t, t.offsetsTopic())
	if err != nil {
		return nil, err
	}
	latest := map[string]topicRecord{}
	var order []string
	for _, r := range recs {
		ns, _, err := connectjson.ParseOffsetKey(r.Key)
		if err != nil || ns != connector {
			continue
		}
		k := string(r.Key)
		if _, seen := latest[k]; !seen {
			order = append(order, k)
		}
		latest[k] = r
	}
	var out []topicRecord
	for _, k := range order {
		if latest[k].Value != nil {
			out = append(out, latest[k])
		}
	}
	return out, nil
}

// DeleteOffsets writes a tombstone for every live offset key of connector
// to the offsets topic (same exact key bytes, same partition), as someone
// "cleaning up" the topic by hand would. A running connector rewrites its
// offset at its next flush, so stop it first to see the loss.
func DeleteOffsets(ctx context.Context, t Target, connector string) (Report, error) {
	rep := Report{Kind: "delete-offsets", Connector: connector}
	live, err := liveOffsetKeys(ctx, t, connector)
	if err != nil {
		return rep, err
	}
	if len(live) == 0 {
		return rep, cdcops.Errorf(cdcops.ENOTFOUND, "check the name; `cdcops offsets show NAME` lists its offsets",
			"connector %s has no offsets in %s", connector, t.offsetsTopic())
	}
	recs := make([]*kgo.Record, len(live))
	for i, r := range live {
		recs[i] = &kgo.Record{Topic: t.offsetsTopic(), Partition: r.Partition, Key: r.Key}
	}
	if err := produce(ctx, t, recs); err != nil {
		return rep, err
	}
	keys := make([]string, len(recs))
	for i, r := range recs {
		rep.Records = append(rep.Records, RecordRef{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: string(r.Key)})
		keys[i] = string(r.Key)
	}
	rep.Summary = fmt.Sprintf("wrote %d tombstone(s) to %s: %s", len(recs), t.offsetsTopic(), strings.Join(keys, " "))
	rep.Complete = true
	return rep, nil
}

// Rename deletes connector old and creates it again as new with the same
// config. Offsets are keyed by connector name, so old's offsets stay in
// the topic as orphans and new starts from nothing (it re-snapshots).
func Rename(ctx context.Context, t Target, old, new string, wait time.Duration) (Report, error) {
	rep := Report{Kind: "rename", Connector: old}
	cfg, err := t.Connect.Config(ctx, old)
	if err != nil {
		return rep, err
	}
	if err := t.Connect.Delete(ctx, old); err != nil {
		return rep, err
	}
	if err := t.Connect.WaitGone(ctx, old, wait); err != nil {
		return rep, err
	}
	cfg["name"] = new
	if _, err := t.Connect.Create(ctx, connect.CreateRequest{Name: new, Config: cfg}); err != nil {
		return rep, fmt.Errorf("create %s (old config of %s): %w", new, old, err)
	}
	orphans, err := liveOffsetKeys(ctx, t, old)
	if err != nil {
		return rep, err
	}
	for _, r := range orphans {
		rep.Records = append(rep.Records, RecordRef{Topic: t.offsetsTopic(), Partition: r.Partition, Offset: r.Offset, Key: string(r.Key), Value: string(r.Value)})
	}
	rep.Summary = fmt.Sprintf("renamed %s to %s; %d offset key(s) of %s are now orphans", old, new, len(orphans), old)
	for _, r := range orphans {
		rep.Summary += " " + string(r.Key)
	}
	rep.Complete = true
	return rep, nil
}

// PoisonPillValue is what PoisonPill writes unless told otherwise: not
// JSON, so no JSON-reading sink can apply it.
var PoisonPillValue = []byte("\x00\x01cdcops-poison-pill{not json")

// PoisonPill produces one record that no sink can apply into topic (key
// {"id":-1} unless key is given).
func PoisonPill(ctx context.Context, t Target, topic string, key, value []byte) (Report, error) {
	rep := Report{Kind: "poison-pill"}
	if key == nil {
		key = []byte(`{"id":-1}`)
	}
	if value == nil {
		value = PoisonPillValue
	}
	n, err := partitionsOf(ctx, t, topic)
	if err != nil {
		return rep, err
	}
	r := &kgo.Record{Topic: topic, Partition: connectjson.Partition(key, n), Key: key, Value: value,
		Headers: []kgo.RecordHeader{{Key: "cdcops.fault", Value: []byte("poison-pill")}}}
	if err := produce(ctx, t, []*kgo.Record{r}); err != nil {
		return rep, err
	}
	rep.Records = []RecordRef{{Topic: topic, Partition: r.Partition, Offset: r.Offset, Key: string(key), Value: printable(value)}}
	rep.Summary = fmt.Sprintf("produced a poison pill to %s[%d]@%d key %s", topic, r.Partition, r.Offset, key)
	rep.Complete = true
	return rep, nil
}

func printable(b []byte) string {
	return strings.ToValidUTF8(string(bytes.Map(func(r rune) rune {
		if r < 0x20 {
			return '.'
		}
		return r
	}, b)), "?")
}
