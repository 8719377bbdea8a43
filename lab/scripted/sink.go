package scripted

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/cdcops/cdcops/lab/plugin"
)

// SinkClass is the connector.class of the scripted sink.
const SinkClass = "cdcops.lab.ScriptedSink"

// KeyErrantMatch makes the sink hand every record whose value contains
// this string to the worker's errant-record reporter (DLQ or failure).
const KeyErrantMatch = "lab.errant.match"

// Sink is cdcops.lab.ScriptedSink: it accepts every record; the worker
// consumes its topics in group connect-<name> and commits after each Put.
type Sink struct{}

func (Sink) Type() string                     { return "sink" }
func (Sink) Validate(map[string]string) error { return nil }
func (Sink) NewTask() plugin.SinkTask         { return &sinkTask{} }

// TaskConfigs gives every task the connector config; the group shares the partitions.
func (Sink) TaskConfigs(cfg map[string]string, maxTasks int) ([]map[string]string, error) {
	if n, err := strconv.Atoi(cfg["tasks.max"]); err == nil && n > 0 && n < maxTasks {
		maxTasks = n
	}
	out := make([]map[string]string, 0, maxTasks)
	for i := 0; i < maxTasks; i++ {
		tc := map[string]string{}
		for k, v := range cfg {
			tc[k] = v
		}
		out = append(out, tc)
	}
	return out, nil
}

type sinkTask struct {
	tc    plugin.SinkTaskContext
	match []byte
}

func (t *sinkTask) Start(_ context.Context, tc plugin.SinkTaskContext) error {
	cfg := tc.Config()
	if cfg[KeyFail] == "true" {
		return errors.New("scripted failure (lab.fail=true)")
	}
	t.tc = tc
	if m := cfg[KeyErrantMatch]; m != "" {
		t.match = []byte(m)
	}
	return nil
}

func (t *sinkTask) Put(ctx context.Context, recs []plugin.SinkRecord) error {
	for _, r := range recs {
		if t.match != nil && bytes.Contains(r.Value, t.match) {
			if err := t.tc.ReportErrant(ctx, r, fmt.Errorf("record %s-%d@%d matches %s", r.Topic, r.Partition, r.Offset, KeyErrantMatch)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *sinkTask) Stop() error { return nil }
