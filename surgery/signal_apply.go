package surgery

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/debezium"
	"github.com/cdcops/cdcops/kafka"
)

// Steps of a --via signal apply, after stop, check and backup.
const (
	StepSignal    = "signal"
	StepCommitted = "committed"
	StepRestart   = "restart"
)

func signalPreconditions(p *cdcops.Plan) []cdcops.Check {
	s := p.Signal
	return []cdcops.Check{
		{Name: "write path", OK: true, Detail: fmt.Sprintf("set-binlog-position signal %s on the Kafka signal channel: topic %s partition 0, key %q; data %s", s.ID, s.Topic, s.Key, s.Data)},
		{Name: "signal channel usable", OK: true, Detail: "kafka channel enabled and topic " + s.Topic + " exists"},
		{Name: "heartbeats on", OK: true, Detail: "heartbeat.interval.ms > 0: the signal commits the new position with a heartbeat"},
	}
}

func signalStepNames(p *cdcops.Plan) []string {
	return []string{
		"resume: PUT /resume, wait for RUNNING (the connector reads the signal while it runs)",
		"signal: set-binlog-position " + string(p.Signal.Data) + " to " + p.Signal.Topic + "[0] (id " + p.Signal.ID + ")",
		"committed: GET /offsets until the committed offset is at " + p.Signal.Position + " (the signal's heartbeat), or time out",
		"restart: POST /restart?includeTasks=true, as Debezium requires for the new position to take effect",
		"watch: tasks RUNNING and offsets moving on from " + p.Signal.Position + " (the replay), or time out",
	}
}

// applySignal runs a --via signal plan's steps after the backup.
func (r *runner) applySignal(ctx context.Context) error {
	c := r.p.Connectors[0]
	if err := r.step(ctx, c.Name, StepResume, func(ctx context.Context) (string, error) {
		if _, err := r.resume(ctx, c); err != nil {
			return "", err
		}
		return r.running(ctx, c.Name, "RUNNING")
	}); err != nil {
		return err
	}
	// Journaled under the connector: from the signal to the restart the
	// connector's own (backward) commit is this plan's (the journal's plan
	// windows, cmd/cdcops/offsets_journal_plans.go).
	if err := r.step(ctx, c.Name, StepSignal, r.sendSignal); err != nil {
		return err
	}
	if err := r.step(ctx, allConns, StepCommitted, func(ctx context.Context) (string, error) { return r.waitPosition(ctx, c, true) }); err != nil {
		return err
	}
	if err := r.step(ctx, c.Name, StepRestart, func(ctx context.Context) (string, error) {
		if _, err := r.env.Connect.Restart(ctx, c.Name, connect.RestartOptions{IncludeTasks: true}); err != nil {
			return "", err
		}
		return r.running(ctx, c.Name, "restarted; RUNNING")
	}); err != nil {
		return err
	}
	return r.step(ctx, allConns, StepWatch, func(ctx context.Context) (string, error) {
		if !r.opts.WatchOffsets {
			return r.running(ctx, c.Name, "RUNNING")
		}
		if _, err := r.running(ctx, c.Name, ""); err != nil {
			return "", err
		}
		return r.waitPosition(ctx, c, false)
	})
}

// running waits until name and its tasks are RUNNING, then reports done.
func (r *runner) running(ctx context.Context, name, done string) (string, error) {
	if _, err := r.env.Connect.WaitFor(ctx, name, connect.Running, r.opts.Timeout); err != nil {
		return "", err
	}
	return done, nil
}

// sendSignal writes the signal record to partition 0 of the signal topic,
// keyed topic.prefix, as Debezium's Kafka channel reads it. The id is the
// plan's, so a resumed apply that sends again sends the same signal.
func (r *runner) sendSignal(ctx context.Context) (string, error) {
	s := r.p.Signal
	value, err := debezium.SignalValue(s.ID, "set-binlog-position", s.Data)
	if err != nil {
		return "", err
	}
	kc, err := kafka.Dial(ctx, s.Bootstrap)
	if err != nil {
		return "", err
	}
	defer kc.Close()
	if err := kc.WriteOffsetRecords(ctx, []cdcops.OffsetRecord{{Topic: s.Topic, Partition: 0, RawKey: []byte(s.Key), RawValue: value}}); err != nil {
		return "", err
	}
	return fmt.Sprintf("sent %s to %s[0]", s.ID, s.Topic), nil
}

// waitPosition reads the committed offset through REST until it is at
// the signal's target (at=true) or has moved on from it (at=false).
func (r *runner) waitPosition(ctx context.Context, c cdcops.PlanConnector, at bool) (string, error) {
	start := time.Now()
	deadline := start.Add(r.opts.Timeout)
	last := "(none)"
	for {
		body, err := r.env.Connect.Offsets(ctx, c.Name)
		if err != nil {
			return "", err
		}
		for _, o := range body.Offsets {
			pb, err := connectjson.Normalize(o.Partition)
			if err != nil || string(pb) != string(c.Changes[0].Partition) {
				continue
			}
			last = string(o.Offset)
			if atPosition(r.p.Signal, o.Offset) == at {
				if at {
					return fmt.Sprintf("committed offset %s is at %s after %dms", last, r.p.Signal.Position, time.Since(start).Milliseconds()), nil
				}
				return fmt.Sprintf("RUNNING; offsets moved on from %s to %s after %dms", r.p.Signal.Position, last, time.Since(start).Milliseconds()), nil
			}
		}
		if time.Now().After(deadline) {
			if at {
				return "", cdcops.Errorf(cdcops.ECONFLICT, fmt.Sprintf("check the connector's log for set-binlog-position, its heartbeat.interval.ms and offset.flush.interval.ms; `cdcops plans rollback %s --reason TEXT` restores the pre-change offsets", r.p.ID),
					"the committed offset of %s did not reach %s within %s (last %s)", c.Name, r.p.Signal.Position, r.opts.Timeout, last)
			}
			return "", cdcops.Errorf(cdcops.ECONFLICT, "the connector runs but has not committed past the target: check it has changes to replay; --watch-offsets=false stops at RUNNING",
				"offsets of %s did not move on from %s within %s", c.Name, r.p.Signal.Position, r.opts.Timeout)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// atPosition: does a committed offset show the signal's target? GTID
// targets compare the gtids set; file:pos compares pos, and file when the
// offset has one (the lab's offsets have only pos).
func atPosition(s *cdcops.SignalSend, offset []byte) bool {
	o := objOrNil(offset)
	var d struct {
		File  string `json:"binlog_filename"`
		Pos   *int64 `json:"binlog_position"`
		GTIDs string `json:"gtid_set"`
	}
	if o == nil || json.Unmarshal(s.Data, &d) != nil {
		return false
	}
	if d.GTIDs != "" {
		g, _ := o.Get("gtids")
		have, err1 := debezium.ParseGTIDSet(fmt.Sprint(g))
		want, err2 := debezium.ParseGTIDSet(d.GTIDs)
		return err1 == nil && err2 == nil && have.String() == want.String()
	}
	if f, ok := o.Get("file"); ok && f != d.File {
		return false
	}
	p, _ := o.Get("pos")
	n, ok := p.(int64)
	return ok && d.Pos != nil && n == *d.Pos
}
