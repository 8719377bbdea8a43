package monitor

import (
	"context"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/debezium"
)

func (m *Monitor) evalSinkConnector(ctx context.Context, ci connectorInfo, in *inputs, now time.Time, c *Connector, rep *Report) {
	group := sinkGroup(ci.name, ci.config)
	dlq := strings.TrimSpace(ci.config["errors.deadletterqueue.topic.name"])
	obs := SinkObservation{Group: group, Members: in.members[group], Committed: in.committed[group],
		Ends: map[TP]int64{}, RecordTime: map[TP]time.Time{}}
	addTopic := func(t string) {
		for p, end := range in.ends[t] {
			obs.Ends[TP{t, p}] = end
		}
	}
	for _, t := range listTopics(ci.config["topics"]) {
		addTopic(t)
	}
	var consumed int64
	for tp, off := range obs.Committed {
		if tp.Topic != dlq {
			addTopic(tp.Topic)
		}
		consumed += off
		if ts, ok := in.recordTimes[tp.Topic][tp.Partition]; ok {
			obs.RecordTime[tp] = ts
		}
	}
	st := m.sinks[ci.name]
	if st == nil {
		st = &sinkState{parts: map[TP]*partState{}}
		m.sinks[ci.name] = st
	}
	c.Sink = m.evalSink(st, obs, now)
	for _, p := range c.Sink.Partitions {
		if p.Status != OK {
			c.flag(p.Status, "%s[%d] %s: lag %d records, %d ms", p.Topic, p.Partition, p.Status, p.Lag, p.LagMS)
		}
	}
	if t := st.rate.observe(consumed, now, m.cfg.ThroughputDip, m.cfg.ThroughputMin); t != nil {
		// Consuming nothing is only a dip when there was something to consume.
		t.Dip = t.Dip && c.Sink.TotalLag > m.cfg.AllowedLag
		c.Throughput = t
		if t.Dip {
			c.flag(WARN, "throughput dip: %.1f records/s against a baseline of %.1f", t.RecordsPerSec, t.BaselinePerSec)
		}
	}
	if dlq != "" {
		ds := m.dlqs[dlq]
		if ds == nil {
			ds = dlqState{}
			m.dlqs[dlq] = ds
		}
		c.DLQ = m.evalDLQ(ds, dlq, in.ends[dlq])
		if c.DLQ.Spike {
			c.flag(WARN, "dead letter queue %s: %d records this cycle", dlq, c.DLQ.Interval)
		}
	}
	if wc := m.cfg.Connectors[ci.name].Watermark; wc != nil {
		m.evalSinkWatermark(ctx, wc, in, c, rep)
	}
}

func (m *Monitor) evalSinkWatermark(ctx context.Context, wc *WatermarkConfig, in *inputs, c *Connector, rep *Report) {
	var source time.Time
	if off, _, ok := latestOffset(in, wc.Source); ok {
		source, _ = off.sourceTime()
	}
	db, err := m.db(ctx, wc.DSN)
	if err != nil {
		rep.Errors = append(rep.Errors, cdcops.RedactDSN("watermark of "+c.Name+": "+err.Error()))
		return
	}
	sink, err := sinkMax(ctx, db, wc.Table, wc.Column)
	if err != nil {
		rep.Errors = append(rep.Errors, cdcops.RedactDSN("watermark of "+c.Name+": "+err.Error()))
		return
	}
	c.Watermark = evalWatermark(wc.Table, source, sink, wc.Budget)
	if c.Watermark.Breach {
		c.flag(WARN, "watermark: %s is %d ms behind %s's offset time (budget %d ms)", wc.Table, c.Watermark.GapMS, wc.Source, c.Watermark.BudgetMS)
	}
}

func (m *Monitor) evalSourceConnector(ctx context.Context, ci connectorInfo, in *inputs, now time.Time, c *Connector, rep *Report) {
	st := m.sources[ci.name]
	if st == nil {
		st = &sourceState{}
		m.sources[ci.name] = st
	}
	var produced int64
	for _, t := range in.sourceTopics[ci.name] {
		for _, end := range in.ends[t] {
			produced += end
		}
	}
	off, topic, hasOffset := latestOffset(in, ci.name)
	if hasOffset {
		off.kind, _ = debezium.Resolve(ci.config["connector.class"], off.fields)
	}
	if cc := m.cfg.Connectors[ci.name]; cc.Source != "" && hasOffset {
		slot := cc.Slot
		if slot == "" {
			slot = ci.config["slot.name"]
		}
		if slot == "" {
			slot = "debezium"
		}
		db, err := m.db(ctx, cc.Source)
		if err == nil {
			c.Source, err = m.sourceLag(ctx, db, off, slot, now)
		}
		if err != nil {
			rep.Errors = append(rep.Errors, cdcops.RedactDSN("source lag of "+ci.name+": "+err.Error()))
		}
	}
	if s := c.Source; s != nil {
		switch s.Retention.Risk {
		case 2:
			c.flag(ERR, "retention: %s", s.Retention.Reason)
		case 1:
			c.flag(WARN, "retention: %s", s.Retention.Reason)
		}
		if s.LagMS != nil && m.cfg.LagBudget > 0 && *s.LagMS > m.cfg.LagBudget.Milliseconds() {
			c.flag(WARN, "source lag %d ms beyond the budget of %d ms", *s.LagMS, m.cfg.LagBudget.Milliseconds())
		}
	}
	if hasOffset {
		if !off.at.Equal(st.lastWrite) {
			st.lastWrite, st.endAtWrite = off.at, produced
		}
		age := max(now.Sub(off.at), 0)
		moving := produced > st.endAtWrite || (c.Source != nil && c.Source.LagBytes != nil && *c.Source.LagBytes > 0)
		c.Offsets = &OffsetsAge{Topic: topic, LastWrite: off.at, AgeMS: age.Milliseconds(), Stale: age > m.cfg.StaleAfter && moving}
		if c.Offsets.Stale {
			c.flag(WARN, "offsets stale: last written %d ms ago while the source moves", c.Offsets.AgeMS)
		}
	}
	if t := st.rate.observe(produced, now, m.cfg.ThroughputDip, m.cfg.ThroughputMin); t != nil {
		// Producing nothing is a dip when the connector is down or its
		// database has changes it has not read.
		behind := c.Source != nil && c.Source.LagBytes != nil && *c.Source.LagBytes > 0
		t.Dip = t.Dip && (!c.Up || behind)
		c.Throughput = t
		if t.Dip {
			c.flag(WARN, "throughput dip: %.1f records/s against a baseline of %.1f", t.RecordsPerSec, t.BaselinePerSec)
		}
	}
}

// latestOffset finds the most recently written offset of connector in the
// offsets topics read this cycle.
func latestOffset(in *inputs, connector string) (sourceOffset, string, bool) {
	var best cdcops.OffsetRecord
	var topic string
	found := false
	for t, recs := range in.offsets {
		for _, r := range recs {
			if r.Connector == connector && r.RawValue != nil && (!found || r.Timestamp.After(best.Timestamp)) {
				best, topic, found = r, t, true
			}
		}
	}
	if !found {
		return sourceOffset{}, "", false
	}
	fields, err := connectjson.ParseObject(best.RawValue)
	if err != nil {
		return sourceOffset{at: best.Timestamp}, topic, true
	}
	return sourceOffset{fields: fields, at: best.Timestamp.UTC()}, topic, true
}
