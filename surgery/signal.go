package surgery

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/debezium"
	"github.com/cdcops/cdcops/kafka"
)

// Debezium's MySQL and MariaDB connectors (3.5+) take set-binlog-position
// (io.debezium.connector.{mysql,mariadb}.signal.SetBinlogPositionSignal).
var signalClasses = []string{"io.debezium.connector.mysql.MySqlConnector", "io.debezium.connector.mariadb.MariaDbConnector"}

// labSignalClass is the lab's source (lab/sqlpipe), which honours the
// same signal: the real connector that has it is not served here.
const labSignalClass = "cdcops.lab.SqlSource"

// The signal's checks, as SetBinlogPositionSignal validates its data: a
// filename of the form prefix.NNNNNN; MySQL GTID sets with one interval
// per server uuid; MariaDB domain-server-sequence lists.
var (
	signalFile      = regexp.MustCompile(`^([a-zA-Z0-9_-]+\.[0-9]{6}):([0-9]+)$`)
	mysqlSignalGTID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}:\d+(-\d+)?(,[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}:\d+(-\d+)?)*$`)
	mariaSignalGTID = regexp.MustCompile(`^\d+-\d+-\d+(,\d+-\d+-\d+)*$`)
	anyFilePos      = regexp.MustCompile(`^([^:\s]+):([0-9]+)$`)
	uuid            = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// signalChanges plans a rewind --via signal: every prerequisite is checked
// here, before anything is stored or sent; send receives how to signal.
func signalChanges(ctx context.Context, env Env, req Request, send *cdcops.SignalSend) (changeFunc, error) {
	if req.Position == "" || req.Time != "" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "e.g. --to-position mysql-bin.000003:154 --via signal",
			"--via signal repositions a MySQL/MariaDB source: it needs --to-position (file:pos or a GTID set)")
	}
	if req.Partition != "" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "drop --partition", "--via signal moves the connector's only partition; --partition does not apply")
	}
	return func(c *Current) ([]cdcops.PlanChange, []string, error) {
		lab := c.Class == labSignalClass
		if !lab && !slices.Contains(signalClasses, c.Class) {
			return nil, nil, cdcops.Errorf(cdcops.EINVALID, "write the offset instead: drop --via signal (or --via rest|topic)",
				"--via signal works for %s only (set-binlog-position); %s is %s", strings.Join(signalClasses, " and "), c.Name, orDefault(c.Class, "of unknown class"))
		}
		if err := heartbeatOn(c); err != nil {
			return nil, nil, err
		}
		if err := kafkaChannel(ctx, c, send); err != nil {
			return nil, nil, err
		}
		if len(c.Entries) != 1 {
			return nil, nil, cdcops.Errorf(cdcops.ENOTFOUND, "a connector without offsets starts from its snapshot; use restore --snapshot",
				"%s has %d offset partitions; --via signal moves exactly one", c.Name, len(c.Entries))
		}
		e := c.Entries[0]
		after, data, err := signalTarget(c, e.Value, req.Position, lab)
		if err != nil {
			return nil, nil, err
		}
		send.Data, send.Position = data, req.Position
		ch, err := change(c, e, e, true, after)
		if err != nil {
			return nil, nil, err
		}
		var flags []string
		fwd, _ := forward(c, e.Value, after)
		if lab {
			fwd = labPos(e.Value) < labPos(after)
		}
		if fwd {
			flags = append(flags, fmt.Sprintf("forward jump on %s %s: %s; the changes in between are never delivered", c.Name, e.Partition, strings.Join(ch.Delta, ", ")))
		}
		return []cdcops.PlanChange{ch}, flags, nil
	}, nil
}

// heartbeatOn: the signal persists the new position with a forced
// heartbeat, which is a no-op unless heartbeat.interval.ms > 0.
func heartbeatOn(c *Current) error {
	v := strings.TrimSpace(c.Config["heartbeat.interval.ms"])
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return nil
	}
	return cdcops.Errorf(cdcops.EINVALID, "set heartbeat.interval.ms (e.g. 10000) on the connector, or write the offset instead (drop --via signal)",
		"refusing --via signal: %s has heartbeat.interval.ms=%q; set-binlog-position commits the new position with a heartbeat, so without heartbeats it silently commits nothing", c.Name, v)
}

// kafkaChannel finds the connector's Kafka signal channel and checks its
// topic exists. The source channel (signal table) is refused: its row is
// written to the binlog after the target, so the replay the signal starts
// reads that row again and Debezium repositions again, in a loop; Kafka
// signals are consumed once (consumer group signal.kafka.groupId).
func kafkaChannel(ctx context.Context, c *Current, send *cdcops.SignalSend) error {
	channels := debezium.SignalChannels(c.Config)
	hint := "enable the Kafka channel on the connector: signal.enabled.channels=kafka, signal.kafka.bootstrap.servers=HOST:PORT, signal.kafka.topic (default <topic.prefix>-signal, one partition)"
	if !slices.Contains(channels, "kafka") {
		why := "no kafka channel"
		if slices.Contains(channels, "source") {
			why = "only the source channel, whose signal row the replay reads again (Debezium would reposition in a loop)"
		}
		return cdcops.Errorf(cdcops.EINVALID, hint, "refusing --via signal: %s has no usable signal channel: signal.enabled.channels=%q has %s", c.Name, strings.Join(channels, ","), why)
	}
	ks := debezium.KafkaSignalsOf(c.Config)
	if ks.Key == "" || ks.Bootstrap == "" {
		return cdcops.Errorf(cdcops.EINVALID, hint, "refusing --via signal: %s has no usable signal channel: the kafka channel needs topic.prefix (the signal key) and signal.kafka.bootstrap.servers", c.Name)
	}
	topic, bootstrap := ks.Topic, ks.Bootstrap
	kc, err := kafka.Dial(ctx, bootstrap)
	if err != nil {
		return err
	}
	defer kc.Close()
	if _, err := kc.TopicPartitions(ctx, topic); err != nil {
		return cdcops.Errorf(cdcops.EINVALID, "create it with one partition (Debezium reads partition 0 only)",
			"refusing --via signal: %s has no usable signal channel: signal topic %s: %v", c.Name, topic, err)
	}
	send.Channel, send.Topic, send.Bootstrap, send.Key = "kafka", topic, bootstrap, ks.Key
	return nil
}

// signalTarget is the offset the connector commits after the signal (for
// the plan's before → after) and the signal's data.
func signalTarget(c *Current, value []byte, pos string, lab bool) ([]byte, json.RawMessage, error) {
	m := signalFile.FindStringSubmatch(pos)
	if f := anyFilePos.FindStringSubmatch(pos); m == nil && f != nil && !uuid.MatchString(f[1]) {
		return nil, nil, cdcops.Errorf(cdcops.EINVALID, "name the binlog file as SHOW BINARY LOGS does, e.g. mysql-bin.000003:154",
			"refusing --to-position %q: set-binlog-position takes binlog file names of the form prefix.NNNNNN (six digits), not %q", pos, f[1])
	}
	var data json.RawMessage
	if m != nil {
		n, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil {
			return nil, nil, cdcops.Errorf(cdcops.EINVALID, "", "--to-position %q: position too large", pos)
		}
		data, _ = json.Marshal(map[string]any{"binlog_filename": m[1], "binlog_position": n})
		if lab {
			o, err := connectjson.ParseObject(value)
			if err != nil {
				return nil, nil, err
			}
			// The lab's changelog has one counter: the filename is ignored.
			after, err := connectjson.Encode(append(connectjson.Object{}, o...).Set("pos", n))
			return after, data, err
		}
	} else {
		if lab {
			return nil, nil, cdcops.Errorf(cdcops.EINVALID, "give file:pos, e.g. lab-bin.000001:10", "refusing --to-position %q: not file:pos, and the lab source has no GTIDs", pos)
		}
		gtids := mysqlSignalGTID
		if c.Class == signalClasses[1] {
			gtids = mariaSignalGTID
		}
		if !gtids.MatchString(pos) {
			return nil, nil, cdcops.Errorf(cdcops.EINVALID, "give file:pos with a file named like mysql-bin.000003, or a GTID set (MySQL uuid:1-77, one interval per uuid; MariaDB 0-1-100)",
				"--to-position %q is not a target set-binlog-position of %s accepts", pos, c.Class)
		}
		if o := objOrNil(value); o != nil {
			if _, ok := o.Get("gtids"); !ok {
				return nil, nil, cdcops.Errorf(cdcops.EINVALID, "give a binlog file:pos instead",
					"refusing a GTID target: %s's offset has no \"gtids\", so the connector does not run with GTIDs", c.Name)
			}
		}
		data, _ = json.Marshal(map[string]any{"gtid_set": pos})
	}
	after, err := repositioned(c.Class, value, pos)
	if k, _ := debezium.Resolve(c.Class, objOrNil(value)); k != debezium.MySQL && err == nil {
		err = fmt.Errorf("%s offsets are not MySQL/MariaDB binlog offsets", c.Name)
	}
	return after, data, err
}

// labPos is the lab source's changelog position in an offset (-1 if none).
func labPos(value []byte) int64 {
	v, _ := objOrNil(value).Get("pos")
	if n, ok := v.(int64); ok {
		return n
	}
	return -1
}
