package surgery

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/debezium"
	"github.com/cdcops/cdcops/kafka"
)

// rewindChanges moves a source connector to --to-position, or a sink's
// consumer group to the first offsets at --to-time (ListOffsets by time).
func rewindChanges(ctx context.Context, env Env, req Request) (changeFunc, error) {
	if (req.Position == "") == (req.Time == "") {
		return nil, cdcops.Errorf(cdcops.EINVALID, "sources: --to-position LSN|file:pos|GTID-set|SCN; sinks: --to-time 2026-12-01T10:00:00Z",
			"rewind needs exactly one of --to-position or --to-time")
	}
	var only []byte
	if req.Partition != "" {
		n, err := connectjson.Normalize([]byte(req.Partition))
		if err != nil {
			return nil, cdcops.Errorf(cdcops.EINVALID, `e.g. --partition '{"server":"dbserver1"}'`, "--partition %q is not a JSON object: %v", req.Partition, err)
		}
		only = n
	}
	var ms int64
	if req.Time != "" {
		t, err := ParseTime(req.Time)
		if err != nil {
			return nil, err
		}
		ms = t.UnixMilli()
	}
	return func(c *Current) ([]cdcops.PlanChange, []string, error) {
		entries := c.Entries
		if only != nil {
			e, ok := c.Find(only)
			if !ok {
				return nil, nil, cdcops.Errorf(cdcops.EINVALID, "name one of the partitions that exist",
					"unknown partition %s for %s (it has: %s)", only, c.Name, knownPartitions(c))
			}
			entries = []Entry{e}
		}
		if len(entries) == 0 {
			return nil, nil, cdcops.Errorf(cdcops.ENOTFOUND, "a connector without offsets starts from its configured start; use restore --snapshot to give it some",
				"%s has no offsets to rewind", c.Name)
		}
		if c.Type == cdcops.ConnectorSink {
			if req.Time == "" {
				return nil, nil, cdcops.Errorf(cdcops.EINVALID, "rewind a sink with --to-time T", "%s is a sink connector: --to-position is for source connectors", c.Name)
			}
			return sinkToTime(ctx, env, c, entries, ms)
		}
		if req.Position == "" {
			return nil, nil, cdcops.Errorf(cdcops.EINVALID, "rewind a source with --to-position POS", "%s is a source connector: --to-time is for sinks", c.Name)
		}
		var out []cdcops.PlanChange
		var flags []string
		for _, e := range entries {
			after, err := repositioned(c.Class, e.Value, req.Position)
			if err != nil {
				return nil, nil, err
			}
			if string(after) == string(e.Value) {
				continue
			}
			ch, err := change(c, e, e, true, after)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, ch)
			if fwd, _ := forward(c, e.Value, after); fwd {
				flags = append(flags, fmt.Sprintf("forward jump on %s %s: %s; the changes in between are never delivered", c.Name, e.Partition, strings.Join(ch.Delta, ", ")))
			}
		}
		return out, flags, nil
	}, nil
}

var binlogPos = regexp.MustCompile(`^([^:\s]+\.[0-9]+):([0-9]+)$`)

// repositioned returns the offset value moved to pos, in the form the
// connector class's loader reads, or an error saying which form is wanted.
func repositioned(class string, value []byte, pos string) ([]byte, error) {
	o, err := connectjson.ParseObject(value)
	if err != nil {
		return nil, fmt.Errorf("current offset: %w", err)
	}
	o = append(connectjson.Object{}, o...)
	k, _ := debezium.Resolve(class, o)
	del := func(keys ...string) {
		for _, key := range keys {
			for i := range o {
				if o[i].Key == key {
					o = append(o[:i], o[i+1:]...)
					break
				}
			}
		}
	}
	_, inSnapshot := o.Get("snapshot")
	switch k {
	case debezium.Postgres:
		lsn, err := debezium.ParsePGLSN(pos)
		if err != nil {
			n, err2 := strconv.ParseInt(pos, 10, 64)
			if err2 != nil || n < 0 {
				return nil, cdcops.Errorf(cdcops.EINVALID, "give a PostgreSQL LSN such as 0/16B3748", "--to-position %q: %v", pos, err)
			}
			lsn = n
		}
		// lsn_proc/lsn_commit say what was completely processed and
		// committed; leaving them later than lsn would skip the replay.
		o = o.Set("lsn", lsn)
		for _, f := range []string{"lsn_proc", "lsn_commit"} {
			if _, ok := o.Get(f); ok {
				o = o.Set(f, lsn)
			}
		}
		del("lsn_events_processed", "last_snapshot_record")
	case debezium.MySQL:
		if m := binlogPos.FindStringSubmatch(pos); m != nil {
			if _, ok := o.Get("gtids"); ok {
				return nil, cdcops.Errorf(cdcops.EINVALID, "rewind to a GTID set, e.g. --to-position '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77'",
					"this connector's offset has \"gtids\": Debezium resumes from the GTID set, not from file:pos %s", pos)
			}
			n, _ := strconv.ParseInt(m[2], 10, 64)
			o = o.Set("file", m[1]).Set("pos", n)
		} else {
			if _, err := debezium.ParseGTIDSet(pos); err != nil {
				return nil, cdcops.Errorf(cdcops.EINVALID, "give binlog file:pos (mysql-bin.000003:154) or a GTID set",
					"--to-position %q: %v", pos, err)
			}
			o = o.Set("gtids", pos)
		}
		// event/row count what to skip after the position; a new position
		// starts at its first event.
		del("event", "row")
	case debezium.SQLServer:
		if _, err := debezium.ParseSQLServerLSN(pos); err != nil {
			return nil, cdcops.Errorf(cdcops.EINVALID, "give an LSN such as 0000002b:00000560:0003", "--to-position %q: %v", pos, err)
		}
		o = o.Set("commit_lsn", pos).Set("change_lsn", pos)
		del("event_serial_no")
	case debezium.Oracle:
		if _, err := debezium.ParseSCN(pos); err != nil {
			return nil, cdcops.Errorf(cdcops.EINVALID, "give an SCN such as 2901745", "--to-position %q: %v", pos, err)
		}
		// commit_scn later than scn would make the connector skip the
		// transactions the rewind is meant to replay.
		o = o.Set("scn", pos)
		del("commit_scn", "scn_idx")
	default:
		return nil, cdcops.Errorf(cdcops.EINVALID, "use `cdcops offsets restore NAME --snapshot ID` to move it to a backed-up offset",
			"--to-position is not supported for %s offsets", k)
	}
	if inSnapshot {
		return nil, cdcops.Errorf(cdcops.ECONFLICT, "let the snapshot finish, or restore a snapshot taken after it",
			"the connector is in the middle of a snapshot (offset has \"snapshot\"): a rewind would confuse it")
	}
	return connectjson.Encode(o)
}

// ParseTime reads RFC3339 or kafka-consumer-groups' YYYY-MM-DDTHH:mm:SS[.sss]
// (UTC when no zone is given, spec §6).
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, cdcops.Errorf(cdcops.EINVALID, "e.g. --to-time 2026-12-01T10:00:00Z (no zone = UTC)", "--to-time %q is not a time", s)
}

func sinkToTime(ctx context.Context, env Env, c *Current, entries []Entry, ms int64) ([]cdcops.PlanChange, []string, error) {
	kc, err := kafka.Dial(ctx, env.Bootstrap)
	if err != nil {
		return nil, nil, err
	}
	defer kc.Close()
	byTopic := map[string]map[int32]int64{}
	var out []cdcops.PlanChange
	var flags []string
	for _, e := range entries {
		topic, p, _, ok := sinkParts(e.Partition, e.Value)
		if !ok {
			continue
		}
		offs, seen := byTopic[topic]
		if !seen {
			if offs, err = kc.OffsetsForTime(ctx, topic, ms); err != nil {
				return nil, nil, err
			}
			byTopic[topic] = offs
		}
		to, ok := offs[p]
		if !ok {
			return nil, nil, cdcops.Errorf(cdcops.ENOTFOUND, "", "topic %s has no partition %d", topic, p)
		}
		after := SinkOffset(to)
		if string(after) == string(e.Value) {
			continue
		}
		ch, _ := change(c, e, e, true, after)
		out = append(out, ch)
		if fwd, _ := forward(c, e.Value, after); fwd {
			flags = append(flags, fmt.Sprintf("forward jump on %s %s[%d]: %s", c.Name, topic, p, strings.Join(ch.Delta, ", ")))
		}
	}
	return out, flags, nil
}
