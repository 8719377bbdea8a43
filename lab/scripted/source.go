package scripted

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/lab/plugin"
)

// SourceClass is the connector.class of the scripted source.
const SourceClass = "cdcops.lab.ScriptedSource"

// Source config keys.
const (
	// KeyOffsets is a JSON array of {"partition":{...},"offset":{...}}.
	KeyOffsets = "lab.offsets"
	// KeyAdvance=true bumps one numeric field of every offset once per flush
	// interval: the last numeric field as written in lab.offsets.
	KeyAdvance = "lab.advance"
	// KeyFail=true makes the task fail on start (state FAILED with a trace).
	KeyFail = "lab.fail"
	// KeyTopic, if set, also produces one record per emitted offset to this
	// topic (value {"partition":..,"offset":..}) so sinks have data.
	KeyTopic = "lab.topic"
)

// Source is cdcops.lab.ScriptedSource.
type Source struct{}

type entry struct {
	partition, offset connectjson.Object
	// advance is the field lab.advance bumps, chosen from the script, not
	// from a committed offset: those come back in Java HashMap order, so
	// "the last numeric field" would change after a restart.
	advance string
}

// parseOffsets reads lab.offsets with connectjson.Parse, so field order
// (and hence HashMap encoding) is what the config says.
func parseOffsets(s string) ([]entry, error) {
	if s == "" {
		return nil, nil
	}
	v, err := connectjson.Parse([]byte(s))
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, errors.New("must be a JSON array of {\"partition\":{...},\"offset\":{...}}")
	}
	out := make([]entry, 0, len(arr))
	for i, e := range arr {
		obj, ok := e.(connectjson.Object)
		if !ok {
			return nil, fmt.Errorf("element %d is not an object", i)
		}
		p, _ := obj.Get("partition")
		o, _ := obj.Get("offset")
		pm, ok := p.(connectjson.Object)
		if !ok {
			return nil, fmt.Errorf("element %d: partition must be an object", i)
		}
		om, _ := o.(connectjson.Object)
		if o != nil && om == nil {
			return nil, fmt.Errorf("element %d: offset must be an object or null", i)
		}
		out = append(out, entry{partition: pm, offset: om, advance: lastNumeric(om)})
	}
	return out, nil
}

func (Source) Type() string { return "source" }

// Validate checks lab.offsets; the message follows ConfigException's
// "Invalid value V for configuration K: reason".
func (Source) Validate(cfg map[string]string) error {
	if _, err := parseOffsets(cfg[KeyOffsets]); err != nil {
		return fmt.Errorf("Invalid value %s for configuration %s: %v", cfg[KeyOffsets], KeyOffsets, err)
	}
	return nil
}

// TaskConfigs runs one task: the scripted partitions are not split.
func (Source) TaskConfigs(cfg map[string]string, _ int) ([]map[string]string, error) {
	tc := map[string]string{}
	for k, v := range cfg {
		tc[k] = v
	}
	return []map[string]string{tc}, nil
}

func (Source) NewTask() plugin.SourceTask { return &sourceTask{} }

type sourceTask struct {
	entries []entry
	emit    []bool // entries still to emit (no committed offset found)
	advance bool
	every   time.Duration
	topic   string
	first   bool
}

func (t *sourceTask) Start(ctx context.Context, tc plugin.SourceTaskContext) error {
	cfg := tc.Config()
	if cfg[KeyFail] == "true" {
		return errors.New("scripted failure (lab.fail=true)")
	}
	entries, err := parseOffsets(cfg[KeyOffsets])
	if err != nil {
		return fmt.Errorf("%s: %w", KeyOffsets, err)
	}
	t.entries, t.emit, t.first = entries, make([]bool, len(entries)), true
	t.advance, t.topic = cfg[KeyAdvance] == "true", cfg[KeyTopic]
	// Advance once per flush: ask the worker for its flush interval, else
	// use the connector's override, else Connect's lab default of 1s.
	t.every = time.Second
	if ms, err := strconv.Atoi(cfg["offset.flush.interval.ms"]); err == nil && ms > 0 {
		t.every = time.Duration(ms) * time.Millisecond
	}
	if f, ok := tc.(interface{ FlushInterval() time.Duration }); ok && f.FlushInterval() > 0 {
		t.every = f.FlushInterval()
	}
	// A restarted task resumes from the committed offset, as a real source
	// does; only partitions without one emit the scripted offset.
	for i, e := range t.entries {
		committed, err := tc.Offset(ctx, e.partition)
		if err != nil {
			return fmt.Errorf("read committed offset: %w", err)
		}
		if committed != nil {
			t.entries[i].offset = committed
		} else {
			t.emit[i] = true
		}
	}
	return nil
}

func (t *sourceTask) Poll(ctx context.Context) ([]plugin.SourceRecord, error) {
	if t.first {
		t.first = false
		var out []plugin.SourceRecord
		for i, e := range t.entries {
			if t.emit[i] {
				out = append(out, t.records(e)...)
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	if !t.advance {
		<-ctx.Done()
		return nil, nil
	}
	select {
	case <-ctx.Done():
		return nil, nil
	case <-time.After(t.every):
	}
	var out []plugin.SourceRecord
	for i := range t.entries {
		t.entries[i].offset = advanced(t.entries[i].offset, t.entries[i].advance)
		out = append(out, t.records(t.entries[i])...)
	}
	return out, nil
}

func (t *sourceTask) records(e entry) []plugin.SourceRecord {
	r := plugin.SourceRecord{SourcePartition: e.partition, SourceOffset: e.offset, Timestamp: time.Now()}
	if t.topic != "" {
		r.Topic = t.topic
		r.Value, _ = connectjson.Encode(connectjson.Object{{Key: "partition", Value: e.partition}, {Key: "offset", Value: e.offset}})
	}
	return []plugin.SourceRecord{r}
}

// lastNumeric is the key of o's last numeric field, or "".
func lastNumeric(o connectjson.Object) string {
	for i := len(o) - 1; i >= 0; i-- {
		if isNumber(o[i].Value) {
			return o[i].Key
		}
	}
	return ""
}

// advanced returns a copy of o with field key incremented by one; when o
// has no numeric field key (say, an offset altered through REST), its last
// numeric field.
func advanced(o connectjson.Object, key string) connectjson.Object {
	if v, _ := o.Get(key); !isNumber(v) {
		key = lastNumeric(o)
	}
	out := append(connectjson.Object(nil), o...)
	for i, f := range out {
		if f.Key != key {
			continue
		}
		switch v := f.Value.(type) {
		case int64:
			out[i].Value = v + 1
		case float64:
			out[i].Value = v + 1
		}
		return out
	}
	return out
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

func (t *sourceTask) Stop() error { return nil }
