package monitor

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
)

// recordTimeWait bounds the fetch of the records at committed offsets.
const recordTimeWait = 3 * time.Second

// inputs is everything one cycle read from Kafka and Connect.
type inputs struct {
	ends         map[string]map[int32]int64
	committed    map[string]map[TP]int64 // group → offsets
	members      map[string]int
	recordTimes  map[string]map[int32]time.Time
	offsets      map[string][]cdcops.OffsetRecord // offsets topic → last records
	sourceTopics map[string][]string              // source connector → topics it wrote
	errors       []string
}

func (in *inputs) fail(format string, args ...any) {
	in.errors = append(in.errors, cdcops.RedactDSN(sprintf(format, args...)))
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// read fetches, with a handful of requests, the group offsets, group
// members, end offsets, record timestamps and offsets-topic records the
// connectors' rules need.
func (m *Monitor) read(ctx context.Context, conns []connectorInfo, now time.Time) (*inputs, error) {
	in := &inputs{committed: map[string]map[TP]int64{}, offsets: map[string][]cdcops.OffsetRecord{}, sourceTopics: map[string][]string{}}
	k := m.deps.Kafka
	topics := map[string]bool{}
	var groups []string
	offsetTopics := map[string]bool{}
	for _, ci := range conns {
		switch ci.typ {
		case cdcops.ConnectorSink:
			groups = append(groups, sinkGroup(ci.name, ci.config))
			for _, t := range listTopics(ci.config["topics"]) {
				topics[t] = true
			}
			if d := strings.TrimSpace(ci.config["errors.deadletterqueue.topic.name"]); d != "" {
				topics[d] = true
			}
		case cdcops.ConnectorSource:
			ts, err := m.deps.Connect.Topics(ctx, ci.name)
			if err != nil {
				in.fail("topics of %s: %v", ci.name, err)
			}
			in.sourceTopics[ci.name] = ts
			for _, t := range ts {
				topics[t] = true
			}
			offsetTopics[m.offsetsTopic(ci.config)] = true
		}
	}
	var err error
	if in.members, err = k.GroupMembers(ctx, groups...); err != nil {
		return nil, err
	}
	for _, g := range groups {
		offs, err := k.GroupOffsets(ctx, g)
		if err != nil {
			return nil, err
		}
		c := make(map[TP]int64, len(offs))
		for _, o := range offs {
			c[TP{o.Topic, o.Partition}] = o.Offset
			topics[o.Topic] = true
		}
		in.committed[g] = c
	}
	names := make([]string, 0, len(topics))
	for t := range topics {
		names = append(names, t)
	}
	sort.Strings(names)
	if in.ends, err = k.EndOffsets(ctx, names...); err != nil {
		return nil, err
	}
	behind := map[string]map[int32]int64{}
	for _, c := range in.committed {
		for tp, off := range c {
			if end, ok := in.ends[tp.Topic][tp.Partition]; ok && off < end {
				if behind[tp.Topic] == nil {
					behind[tp.Topic] = map[int32]int64{}
				}
				behind[tp.Topic][tp.Partition] = off
			}
		}
	}
	if in.recordTimes, err = k.RecordTimes(ctx, behind, recordTimeWait); err != nil {
		return nil, err
	}
	for t := range offsetTopics {
		recs, err := m.deps.Offsets.LastRecords(ctx, t)
		if err != nil {
			in.fail("offsets topic %s: %v", t, err)
			continue
		}
		in.offsets[t] = recs
	}
	return in, nil
}

// offsetsTopic is where a source connector's offsets are: its own
// offsets.storage.topic (KIP-618) or the worker's.
func (m *Monitor) offsetsTopic(cfg map[string]string) string {
	if t := strings.TrimSpace(cfg["offsets.storage.topic"]); t != "" {
		return t
	}
	return m.cfg.OffsetsTopic
}
