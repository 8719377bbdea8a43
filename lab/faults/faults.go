package faults

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/lab/sqlpipe"
	"github.com/cdcops/cdcops/sqlconn"
)

// Target is the lab (or any Connect cluster) to inject faults into.
type Target struct {
	Connect *connect.Client
	// Kafka is the bootstrap address; needed by poison-pill, delete-offsets
	// and rename (to show the orphan key).
	Kafka string
	// OffsetsTopic defaults to connect-offsets.
	OffsetsTopic string
}

func (t Target) offsetsTopic() string {
	if t.OffsetsTopic == "" {
		return "connect-offsets"
	}
	return t.OffsetsTopic
}

// armTimeout bounds how long a fault waits for the worker to restart the
// connector's tasks with the fault in their config.
const armTimeout = 30 * time.Second

// Report says what a fault did, precisely enough for a test to assert on.
type Report struct {
	Kind      string `json:"kind"`
	Connector string `json:"connector,omitempty"`
	Summary   string `json:"summary"`
	// FaultID names a sink fault (drop/corrupt) in the sink's fault log.
	FaultID string `json:"fault_id,omitempty"`
	// Rows are the sink rows a drop/corrupt fault touched.
	Rows []sqlpipe.FaultAction `json:"rows,omitempty"`
	// Records are Kafka records the fault wrote.
	Records []RecordRef `json:"records,omitempty"`
	// Trace is the FAILED task's trace.
	Trace string `json:"trace,omitempty"`
	// Offset is a source offset value seen by the fault (stale flush).
	Offset string `json:"offset,omitempty"`
	// Complete is false when a sink fault is armed but has not yet seen
	// enough events within the wait.
	Complete bool `json:"complete"`
}

// RecordRef is one Kafka record a fault produced.
type RecordRef struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Key       string `json:"key"`
	Value     string `json:"value,omitempty"` // "" for a tombstone
}

func newFaultID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "f" + hex.EncodeToString(b[:])
}

// SinkDrop makes the lab sink connector silently skip its next n events
// (no DLQ, no error: they are just gone), then waits up to wait for them
// and reports which keys were dropped.
func SinkDrop(ctx context.Context, t Target, sink string, n int, wait time.Duration) (Report, error) {
	return sinkFault(ctx, t, sink, "sink-drop", n, wait, map[string]string{sqlpipe.KeyFaultDropEvents: strconv.Itoa(n)})
}

// SinkCorrupt makes the lab sink write a wrong value into column on its
// next n upserts, then waits up to wait and reports rows and values.
func SinkCorrupt(ctx context.Context, t Target, sink, column string, n int, wait time.Duration) (Report, error) {
	if column == "" {
		return Report{}, cdcops.Errorf(cdcops.EINVALID, "pass --column, e.g. --column name", "sink-corrupt needs a column")
	}
	return sinkFault(ctx, t, sink, "sink-corrupt", n, wait, map[string]string{sqlpipe.KeyFaultCorruptRows: strconv.Itoa(n), sqlpipe.KeyFaultCorruptCol: column})
}

var faultKeys = []string{sqlpipe.KeyFaultID, sqlpipe.KeyFaultFreezeOffset, sqlpipe.KeyFaultDropEvents, sqlpipe.KeyFaultCorruptRows, sqlpipe.KeyFaultCorruptCol, sqlpipe.KeyFaultFailMessage}

func sinkFault(ctx context.Context, t Target, sink, kind string, n int, wait time.Duration, set map[string]string) (Report, error) {
	rep := Report{Kind: kind, Connector: sink}
	if n <= 0 {
		return rep, cdcops.Errorf(cdcops.EINVALID, "pass --count 1 or more", "%s needs a positive count", kind)
	}
	cfg, err := labConfig(ctx, t, sink, sqlpipe.SinkClass)
	if err != nil {
		return rep, err
	}
	db, err := sqlconn.Open(ctx, cfg[sqlpipe.KeyConnectionURL])
	if err != nil {
		return rep, err
	}
	defer db.Close()
	rep.FaultID = newFaultID()
	for _, k := range faultKeys {
		delete(cfg, k)
	}
	for k, v := range set {
		cfg[k] = v
	}
	cfg[sqlpipe.KeyFaultID] = rep.FaultID
	if _, _, err := t.Connect.PutConfig(ctx, sink, cfg); err != nil {
		return rep, fmt.Errorf("arm %s on %s: %w", kind, sink, err)
	}
	if err := awaitReconfigured(ctx, t, sink, sqlpipe.KeyFaultID, rep.FaultID, armTimeout); err != nil {
		return rep, err
	}
	deadline := time.Now().Add(wait)
	for {
		rep.Rows, err = sqlpipe.FaultActions(ctx, db, rep.FaultID)
		if err != nil {
			return rep, err
		}
		rep.Complete = len(rep.Rows) >= n
		if rep.Complete || !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return rep, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	keys := make([]string, len(rep.Rows))
	for i, r := range rep.Rows {
		keys[i] = r.Table + "(" + r.Key + ")"
	}
	verb := map[string]string{"sink-drop": "dropped", "sink-corrupt": "corrupted"}[kind]
	rep.Summary = fmt.Sprintf("%s %s %d of %d events: %s", sink, verb, len(rep.Rows), n, strings.Join(keys, " "))
	if !rep.Complete {
		rep.Summary += fmt.Sprintf(" (still armed: the rest go with the next events; fault id %s)", rep.FaultID)
	}
	return rep, nil
}

// labConfig reads a connector's config and checks it is the lab class.
func labConfig(ctx context.Context, t Target, name, class string) (map[string]string, error) {
	cfg, err := t.Connect.Config(ctx, name)
	if err != nil {
		return nil, err
	}
	if cfg["connector.class"] != class {
		return nil, cdcops.Errorf(cdcops.EINVALID, "this fault works on the lab's "+class+" connectors",
			"connector %s is %s, not %s", name, cfg["connector.class"], class)
	}
	return cfg, nil
}

// ClearFaults removes every fault key from a lab connector's config (the
// task restarts clean; a FAILED task needs `connectors restart` after).
func ClearFaults(ctx context.Context, t Target, name string) error {
	cfg, err := t.Connect.Config(ctx, name)
	if err != nil {
		return err
	}
	changed := false
	for _, k := range faultKeys {
		if _, ok := cfg[k]; ok {
			delete(cfg, k)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	_, _, err = t.Connect.PutConfig(ctx, name, cfg)
	return err
}

// FailTask makes a lab connector's task fail with msg as its error, through
// the connector's config (so it works from any process), and waits until
// the status shows the task FAILED with a trace.
func FailTask(ctx context.Context, t Target, name, msg string, wait time.Duration) (Report, error) {
	rep := Report{Kind: "task-fail", Connector: name}
	cfg, err := t.Connect.Config(ctx, name)
	if err != nil {
		return rep, err
	}
	if c := cfg["connector.class"]; c != sqlpipe.SourceClass && c != sqlpipe.SinkClass {
		return rep, cdcops.Errorf(cdcops.EINVALID, "this fault works on the lab's SqlSource/SqlSink connectors", "connector %s is %s", name, c)
	}
	if msg == "" {
		msg = "cdcops lab fault: injected task failure"
	}
	cfg[sqlpipe.KeyFaultFailMessage] = msg
	if _, _, err := t.Connect.PutConfig(ctx, name, cfg); err != nil {
		return rep, err
	}
	st, err := t.Connect.WaitFor(ctx, name, connect.Want{Desc: "a task FAILED", Done: func(s *connect.ConnectorStatus) bool {
		for _, ts := range s.Tasks {
			if ts.State == cdcops.StateFailed && ts.Trace != "" {
				return true
			}
		}
		return false
	}}, wait)
	if err != nil {
		return rep, err
	}
	for _, ts := range st.Tasks {
		if ts.State == cdcops.StateFailed {
			rep.Trace = ts.Trace
			rep.Summary = fmt.Sprintf("%s task %d FAILED: %s", name, ts.ID, rootCause(ts.Trace))
			break
		}
	}
	rep.Complete = true
	return rep, nil
}

// rootCause is the last "Caused by:" line of a Java-style trace, else its
// first line: the part that says what actually went wrong.
func rootCause(trace string) string {
	line, _, _ := strings.Cut(trace, "\n")
	for _, l := range strings.Split(trace, "\n") {
		if c, ok := strings.CutPrefix(strings.TrimSpace(l), "Caused by: "); ok {
			line = c
		}
	}
	return line
}
