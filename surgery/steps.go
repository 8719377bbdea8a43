package surgery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/kafka"
)

// stop stops the connector and waits for STOPPED with no tasks; for a
// sink also for its consumer group to be empty. The detail keeps the
// state it had, so a refused apply can put it back.
func (r *runner) stop(ctx context.Context, c cdcops.PlanConnector) (string, error) {
	cc := r.env.Connect
	st, err := cc.Status(ctx, c.Name)
	if err != nil {
		return "", err
	}
	prev := st.Connector.State
	if err := cc.Stop(ctx, c.Name); err != nil {
		return "", err
	}
	if _, err := cc.WaitFor(ctx, c.Name, connect.Stopped, r.opts.Timeout); err != nil {
		return "", err
	}
	if c.Type == cdcops.ConnectorSink && c.Group != "" && r.env.Bootstrap != "" {
		if err := r.waitGroupEmpty(ctx, c.Group); err != nil {
			return "", err
		}
	}
	return "was " + prev, nil
}

func (r *runner) waitGroupEmpty(ctx context.Context, group string) error {
	kc, err := kafka.Dial(ctx, r.env.Bootstrap)
	if err != nil {
		return err
	}
	defer kc.Close()
	deadline := time.Now().Add(r.opts.Timeout)
	for {
		state, members, err := kc.GroupState(ctx, group)
		if err != nil {
			return err
		}
		if members == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return cdcops.Errorf(cdcops.ECONFLICT, "check for other consumers in the group", "consumer group %s still has %d member(s) (%s) after %s", group, members, state, r.opts.Timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// undoStop resumes the connectors this run stopped that were running.
func (r *runner) undoStop(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for _, c := range r.p.Connectors {
		if r.detail(c.Name, StepStop) == "was "+cdcops.StateRunning {
			if err := r.env.Connect.Resume(ctx, c.Name); err != nil {
				r.env.log().Warn("could not resume connector after a refused apply", "connector", c.Name, "err", err)
			}
		}
	}
}

// checkBase refuses a stale plan: the offsets must still be the ones the
// plan was computed from (read with the connectors stopped).
func (r *runner) checkBase(ctx context.Context) (string, error) {
	cur, _, err := r.env.read(ctx, Names(r.p), r.p.Read)
	if err != nil {
		return "", err
	}
	if h := baseHash(cur); h != r.p.BaseSHA256 {
		return "", cdcops.Errorf(cdcops.ECONFLICT, "make the plan again from the current offsets (stop the connector first so they stay put)",
			"plan %s is stale: the offsets moved since it was made (base %s, now %s); nothing was written", r.p.ID, r.p.BaseSHA256[:12], h[:12])
	}
	return "offsets unchanged since planning (" + r.p.BaseSHA256[:12] + ")", nil
}

// backup stores the pre-change snapshot and verifies it before anything
// is written; its id goes into the plan (the rollback source).
func (r *runner) backup(ctx context.Context) (string, error) {
	res, err := backup.Take(ctx, r.env.sources(), r.env.Vault, backup.Options{Names: Names(r.p), Via: r.p.Read, AllowEmpty: true})
	if err != nil {
		return "", err
	}
	if ok, detail := verifySnapshot(ctx, r.env, res.ID); !ok {
		return "", cdcops.Errorf(cdcops.ECORRUPT, "check the vault; nothing was written", "pre-change snapshot: %s", detail)
	}
	r.p.PreChangeSnapshot = res.ID
	if err := r.env.State.UpdatePlan(ctx, r.p); err != nil {
		return "", err
	}
	return res.ID, nil
}

// write puts the changes' After values in place, only while the
// connector is STOPPED with no tasks (a running task would overwrite them
// at its next flush).
func (r *runner) write(ctx context.Context, c cdcops.PlanConnector) (string, error) {
	st, err := r.env.Connect.Status(ctx, c.Name)
	if err != nil {
		return "", err
	}
	if !connect.Stopped.Done(st) {
		return "", cdcops.Errorf(cdcops.ECONFLICT, fmt.Sprintf("someone started it again; stop it (`cdcops connectors stop %s`) and run the apply with --resume", c.Name),
			"refusing to write offsets of %s: it is %s, not STOPPED with no tasks", c.Name, connect.Describe(st))
	}
	if r.writeVia() == "rest" {
		body := cdcops.ConnectorOffsets{Offsets: []cdcops.ConnectorOffset{}}
		for _, ch := range c.Changes {
			body.Offsets = append(body.Offsets, cdcops.ConnectorOffset{Partition: ch.Partition, Offset: nullable(ch.After)})
		}
		msg, err := r.env.Connect.AlterOffsets(ctx, c.Name, body)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("PATCH %d partition(s): %s", len(body.Offsets), msg), nil
	}
	kc, err := kafka.Dial(ctx, r.env.Bootstrap)
	if err != nil {
		return "", err
	}
	defer kc.Close()
	if c.Type == cdcops.ConnectorSink {
		return r.writeGroup(ctx, kc, c)
	}
	recs := make([]cdcops.OffsetRecord, 0, len(c.Changes))
	var where []string
	for _, ch := range c.Changes {
		if ch.Topic == "" || ch.KafkaPartition < 0 {
			return "", cdcops.Errorf(cdcops.EINVALID, "write it with --via rest", "no offsets topic partition known for %s %s", c.Name, ch.Partition)
		}
		recs = append(recs, cdcops.OffsetRecord{Topic: ch.Topic, Partition: ch.KafkaPartition, RawKey: ch.Key, RawValue: ch.After})
		where = append(where, fmt.Sprintf("%s[%d]", ch.Topic, ch.KafkaPartition))
	}
	if err := kc.WriteOffsetRecords(ctx, recs); err != nil {
		return "", err
	}
	return fmt.Sprintf("wrote %d record(s) with exact key bytes to %s", len(recs), strings.Join(where, ", ")), nil
}

// writeVia is the offsets write path: the plan's, or for a --via signal
// plan (whose rollback writes offsets) the one chosen for its rollback.
func (r *runner) writeVia() string {
	if r.p.Signal != nil {
		return r.p.Signal.RollbackVia
	}
	return r.p.Write
}

func (r *runner) writeGroup(ctx context.Context, kc *kafka.Client, c cdcops.PlanConnector) (string, error) {
	state, members, err := kc.GroupState(ctx, c.Group)
	if err != nil {
		return "", err
	}
	if members > 0 {
		return "", cdcops.Errorf(cdcops.ECONFLICT, "stop the sink first", "consumer group %s is %s with %d member(s)", c.Group, state, members)
	}
	var set, reset []cdcops.PartitionOffset
	for _, ch := range c.Changes {
		topic, p, off, ok := sinkParts(ch.Partition, ch.After)
		if !ok {
			return "", fmt.Errorf("sink partition %s", ch.Partition)
		}
		if ch.After == nil {
			reset = append(reset, cdcops.PartitionOffset{Topic: topic, Partition: p})
		} else {
			set = append(set, cdcops.PartitionOffset{Topic: topic, Partition: p, Offset: off})
		}
	}
	if err := kc.CommitGroupOffsets(ctx, c.Group, set, reset); err != nil {
		return "", err
	}
	return fmt.Sprintf("committed %d and deleted %d offset(s) of group %s", len(set), len(reset), c.Group), nil
}

// verify reads the offsets back and compares them byte for byte with
// what was written (an absent partition for a reset).
func (r *runner) verify(ctx context.Context, conns []cdcops.PlanConnector) (string, error) {
	names := make([]string, len(conns))
	for i, c := range conns {
		names[i] = c.Name
	}
	cur, _, err := r.env.read(ctx, names, r.p.Read)
	if err != nil {
		return "", err
	}
	var bad []string
	n := 0
	for _, c := range conns {
		for _, ch := range c.Changes {
			e, ok := cur[c.Name].Find(ch.Partition)
			n++
			switch {
			case ch.After == nil && ok:
				bad = append(bad, fmt.Sprintf("%s %s still has %s (want no offset)", c.Name, ch.Partition, e.Value))
			case ch.After != nil && !ok:
				bad = append(bad, fmt.Sprintf("%s %s has no offset (want %s)", c.Name, ch.Partition, ch.After))
			case ch.After != nil && string(e.Value) != string(ch.After):
				bad = append(bad, fmt.Sprintf("%s %s reads back %s (want %s)", c.Name, ch.Partition, e.Value, ch.After))
			}
		}
	}
	if len(bad) > 0 {
		return "", cdcops.Errorf(cdcops.ECONFLICT, fmt.Sprintf("the connectors are left STOPPED; `cdcops plans rollback %s --reason TEXT` restores the pre-change snapshot", r.p.ID),
			"read-back differs from the plan: %s", strings.Join(bad, "; "))
	}
	return fmt.Sprintf("%d partition(s) read back (%s) byte-identical to the plan", n, r.p.Read), nil
}

func (r *runner) resume(ctx context.Context, c cdcops.PlanConnector) (string, error) {
	if err := r.env.Connect.Resume(ctx, c.Name); err != nil {
		return "", err
	}
	return "resumed", nil
}

// watch waits until every connector is RUNNING with all tasks and, with
// WatchOffsets, until its offsets move on from what was written.
func (r *runner) watch(ctx context.Context, conns []cdcops.PlanConnector) (string, error) {
	start := time.Now()
	for _, c := range conns {
		if _, err := r.env.Connect.WaitFor(ctx, c.Name, connect.Running, r.opts.Timeout); err != nil {
			return "", err
		}
	}
	if !r.opts.WatchOffsets {
		return fmt.Sprintf("RUNNING after %dms", time.Since(start).Milliseconds()), nil
	}
	waiting := map[string]cdcops.PlanConnector{}
	for _, c := range conns {
		waiting[c.Name] = c
	}
	deadline := time.Now().Add(r.opts.Timeout)
	for len(waiting) > 0 {
		names := make([]string, 0, len(waiting))
		for n := range waiting {
			names = append(names, n)
		}
		cur, _, err := r.env.read(ctx, names, r.p.Read)
		if err != nil {
			return "", err
		}
		for n, c := range waiting {
			if moved(cur[n], c) {
				delete(waiting, n)
			}
		}
		if len(waiting) == 0 {
			break
		}
		if time.Now().After(deadline) {
			var left []string
			for n := range waiting {
				left = append(left, n)
			}
			return "", cdcops.Errorf(cdcops.ECONFLICT, "the connector runs but has not committed a new offset: check it has changes to read and its offset.flush.interval.ms; --watch-offsets=false stops at RUNNING",
				"offsets of %s did not move on from the written ones within %s", strings.Join(left, ", "), r.opts.Timeout)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Sprintf("RUNNING and offsets moving after %dms", time.Since(start).Milliseconds()), nil
}

// moved: some written partition now holds a different offset.
func moved(cur *Current, c cdcops.PlanConnector) bool {
	for _, ch := range c.Changes {
		e, ok := cur.Find(ch.Partition)
		if ok && string(e.Value) != string(ch.After) {
			return true
		}
	}
	return false
}
