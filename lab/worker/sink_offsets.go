package worker

import (
	"context"
	"errors"
	"sort"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/cdcops/cdcops/connectjson"
)

// Sink connector offsets are the committed offsets of the connector's
// consumer group (Worker.sinkConnectorOffsets, SinkUtils).

func sinkEntry(topic string, partition int32, offset int64) (offsetEntry, error) {
	// SinkUtils builds both maps as HashMaps; Encode writes HashMap order
	// (kafka_partition before kafka_topic).
	p, err := connectjson.Encode(connectjson.Object{{Key: "kafka_topic", Value: topic}, {Key: "kafka_partition", Value: int64(partition)}})
	if err != nil {
		return offsetEntry{}, err
	}
	o, err := connectjson.Encode(connectjson.Object{{Key: "kafka_offset", Value: offset}})
	return offsetEntry{p, o}, err
}

func (w *Worker) sinkOffsets(ctx context.Context, name string, cfg map[string]string) ([]offsetEntry, *restError) {
	resp, err := w.adm.FetchOffsets(ctx, sinkGroup(name, cfg))
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return nil, errInternal(msgSinkReadFailed(name))
	}
	var out []offsetEntry
	for _, o := range resp.Sorted() {
		if o.Err != nil || o.At < 0 {
			continue
		}
		e, err := sinkEntry(o.Topic, o.Partition, o.At)
		if err != nil {
			return nil, errInternal(err.Error())
		}
		out = append(out, e)
	}
	return out, nil
}

// javaString is String.valueOf of a value Jackson parsed.
func javaString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := connectjson.Encode(v)
	if err != nil {
		return ""
	}
	return string(b)
}

type sinkTP struct {
	topic     string
	partition int32
}

// parseSinkOffsets is SinkUtils.parseSinkConnectorOffsets; a nil offset
// means "reset this partition".
func parseSinkOffsets(reqs []requestedOffset) (map[sinkTP]*int64, []sinkTP, *restError) {
	out := map[sinkTP]*int64{}
	var order []sinkTP
	for _, q := range reqs {
		pm, ok := q.partition.(connectjson.Object)
		if !ok {
			return nil, nil, errBadRequest(msgSinkPartitionNull)
		}
		topic, hasTopic := pm.Get("kafka_topic")
		part, hasPart := pm.Get("kafka_partition")
		if !hasTopic || !hasPart {
			return nil, nil, errBadRequest(msgSinkPartitionKeys)
		}
		if topic == nil {
			return nil, nil, errBadRequest(msgSinkTopicNull)
		}
		if part == nil {
			return nil, nil, errBadRequest(msgSinkPartitionValNull)
		}
		p, err := strconv.ParseInt(javaString(part), 10, 32) // Integer.parseInt(String.valueOf(..))
		if err != nil {
			return nil, nil, errBadRequest(msgSinkBadPartition(javaString(part)))
		}
		tp := sinkTP{javaString(topic), int32(p)}
		if _, seen := out[tp]; !seen {
			order = append(order, tp)
		}
		if q.offset == nil {
			out[tp] = nil
			continue
		}
		om, _ := q.offset.(connectjson.Object)
		ov, ok := om.Get("kafka_offset")
		if !ok {
			return nil, nil, errBadRequest(msgSinkOffsetKeyRequired)
		}
		off, err := strconv.ParseInt(javaString(ov), 10, 64) // Long.parseLong(String.valueOf(..))
		if err != nil {
			return nil, nil, errBadRequest(msgSinkBadOffset(javaString(ov)))
		}
		out[tp] = &off
	}
	return out, order, nil
}

// groupActive reports whether the group still has members (tasks that
// have not stopped), which makes Kafka refuse offset changes.
func (w *Worker) groupActive(ctx context.Context, group string) bool {
	described, err := w.adm.DescribeGroups(ctx, group)
	if err != nil {
		return false
	}
	g, ok := described[group]
	return ok && g.Err == nil && len(g.Members) > 0
}

func (w *Worker) alterSinkOffsets(ctx context.Context, name string, cfg map[string]string, reqs []requestedOffset) *restError {
	parsed, order, rerr := parseSinkOffsets(reqs)
	if rerr != nil {
		return rerr
	}
	group := sinkGroup(name, cfg)
	if w.groupActive(ctx, group) {
		return errInternal(msgSinkAlterFailed(name))
	}
	commit := kadm.Offsets{}
	del := kadm.TopicsSet{}
	for _, tp := range order {
		if off := parsed[tp]; off != nil {
			commit.Add(kadm.Offset{Topic: tp.topic, Partition: tp.partition, At: *off, LeaderEpoch: -1})
		} else {
			del.Add(tp.topic, tp.partition)
		}
	}
	if len(commit) > 0 {
		resp, err := w.adm.CommitOffsets(ctx, group, commit)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			w.log.Warn("alter sink offsets failed", "connector", name, "err", err)
			return errInternal(msgSinkAlterGroupFailed(name))
		}
	}
	if len(del) > 0 {
		resp, err := w.adm.DeleteOffsets(ctx, group, del)
		if err == nil {
			err = resp.Error()
		}
		if err != nil && !errors.Is(err, kerr.GroupIDNotFound) && !errors.Is(err, kerr.UnknownTopicOrPartition) {
			w.log.Warn("alter sink offsets failed", "connector", name, "err", err)
			return errInternal(msgSinkAlterGroupFailed(name))
		}
	}
	return nil
}

// resetSinkOffsets deletes the whole group; a missing group is success.
func (w *Worker) resetSinkOffsets(ctx context.Context, name string, cfg map[string]string) *restError {
	group := sinkGroup(name, cfg)
	if w.groupActive(ctx, group) {
		return errInternal(msgSinkResetFailed(name))
	}
	resp, err := w.adm.DeleteGroup(ctx, group)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		if errors.Is(err, kerr.NonEmptyGroup) {
			return errInternal(msgSinkResetFailed(name))
		}
		w.log.Warn("reset sink offsets failed", "connector", name, "err", err)
		return errInternal(msgSinkResetGroupFailed(name))
	}
	return nil
}

// sortedTopics returns the keys of a set, sorted.
func sortedTopics(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
