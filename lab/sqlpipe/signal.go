package sqlpipe

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/lab/plugin"
)

// Signal config keys, Debezium's names (spec delta §2).
const (
	KeySignalChannels   = "signal.enabled.channels"
	KeySignalCollection = "signal.data.collection"
	KeySignalTopic      = "signal.kafka.topic"
	KeySignalBootstrap  = "signal.kafka.bootstrap.servers"
	KeySignalGroup      = "signal.kafka.groupId"
)

// signalConfig is which signal channels the lab source listens on.
type signalConfig struct {
	table     string // source channel: the signal table ("" = off)
	topic     string // kafka channel: the signal topic ("" = off)
	bootstrap string
	group     string // the consumer group whose committed offset says what was read
}

func parseSignalConfig(cfg map[string]string, prefix string) (signalConfig, error) {
	var c signalConfig
	channels := cfg[KeySignalChannels]
	if strings.TrimSpace(channels) == "" {
		channels = "source" // Debezium's code default
	}
	for _, ch := range strings.Split(channels, ",") {
		switch strings.TrimSpace(ch) {
		case "source":
			if name := strings.TrimSpace(cfg[KeySignalCollection]); name != "" {
				parts := strings.Split(name, ".")
				c.table = parts[len(parts)-1] // schema or database part: the source's own
				if err := checkIdent("table", c.table); err != nil {
					return c, err
				}
			}
		case "kafka":
			c.topic = strings.TrimSpace(cfg[KeySignalTopic])
			if c.topic == "" {
				c.topic = prefix + "-signal"
			}
			if c.group = strings.TrimSpace(cfg[KeySignalGroup]); c.group == "" {
				c.group = "kafka-signal" // Debezium's default
			}
			if c.bootstrap = strings.TrimSpace(cfg[KeySignalBootstrap]); c.bootstrap == "" {
				return c, configError("the kafka signal channel needs %s", KeySignalBootstrap)
			}
		case "":
		default:
			return c, configError("%s: the lab source supports the source and kafka channels, not %q", KeySignalChannels, ch)
		}
	}
	return c, nil
}

// signalData is the part of execute-snapshot the lab reads. Like
// Debezium 3.x it reads only the plural "additional-conditions".
type signalData struct {
	Type            string   `json:"type"`
	DataCollections []string `json:"data-collections"`
	Conditions      []struct {
		DataCollection string `json:"data-collection"`
		Filter         string `json:"filter"`
	} `json:"additional-conditions"`
}

type signal struct {
	id, typ string
	data    json.RawMessage
}

// signals is a running source task's signal handling: signal-table
// inserts arrive through the changelog stream, Kafka signals through a
// consumer of partition 0.
type signals struct {
	cfg     signalConfig
	prefix  string
	log     *slog.Logger
	mu      sync.Mutex
	pending []signal
	kafka   *kgo.Client
	stop    context.CancelFunc
}

// startSignals installs capture on the signal table (its inserts are read
// from the changelog, as Debezium reads them from the log) and starts the
// Kafka channel's consumer.
func (t *sourceTask) startSignals(ctx context.Context, cfg signalConfig) error {
	s := &signals{cfg: cfg, prefix: t.cfg.prefix, log: t.log}
	t.signals = s
	if cfg.table != "" {
		if _, err := Install(ctx, t.db, []string{cfg.table}); err != nil {
			return fmt.Errorf("signal table %s: %w", cfg.table, err)
		}
		t.stream.Other = s.fromChange
	}
	if cfg.topic != "" {
		// Like Debezium's consumer (group signal.kafka.groupId, auto
		// commit, earliest): a restarted task goes on after what it read.
		start := kgo.NewOffset().AtStart()
		cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(cfg.bootstrap, ",")...))
		if err != nil {
			return configError("signal consumer: %v", err)
		}
		if offs, err := kadm.NewClient(cl).FetchOffsets(ctx, cfg.group); err == nil {
			if o, ok := offs.Lookup(cfg.topic, 0); ok && o.At >= 0 {
				start = kgo.NewOffset().At(o.At)
			}
		}
		cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{cfg.topic: {0: start}})
		cctx, cancel := context.WithCancel(context.Background())
		s.kafka, s.stop = cl, cancel
		go s.consume(cctx)
	}
	return nil
}

func (s *signals) close() {
	if s != nil && s.kafka != nil {
		s.stop()
		s.kafka.Close()
	}
}

// fromChange takes a signal-table insert from the stream; the row has the
// signal's three columns (id, type, data) in that order.
func (s *signals) fromChange(ch Change) {
	if ch.Table != s.cfg.table || ch.Op != "c" {
		return
	}
	var row map[string]any
	if err := json.Unmarshal(ch.After, &row); err != nil {
		return
	}
	str := func(k string) string { v, _ := row[k].(string); return v }
	s.add(signal{id: str("id"), typ: str("type"), data: json.RawMessage(str("data"))})
}

// consume reads partition 0 of the signal topic; records keyed other than
// topic.prefix are dropped, as Debezium drops them.
func (s *signals) consume(ctx context.Context) {
	for ctx.Err() == nil {
		fs := s.kafka.PollFetches(ctx)
		next := int64(-1)
		fs.EachRecord(func(r *kgo.Record) {
			next = r.Offset + 1
			if string(r.Key) != s.prefix {
				s.log.Info("signal key doesn't match the connector's name", "key", string(r.Key), "prefix", s.prefix)
				return
			}
			var v struct {
				ID   string          `json:"id"`
				Type string          `json:"type"`
				Data json.RawMessage `json:"data"`
			}
			if json.Unmarshal(r.Value, &v) == nil {
				s.add(signal{id: v.ID, typ: v.Type, data: v.Data})
			}
		})
		if next >= 0 {
			commit := kadm.Offsets{}
			commit.Add(kadm.Offset{Topic: s.cfg.topic, Partition: 0, At: next, LeaderEpoch: -1})
			if _, err := kadm.NewClient(s.kafka).CommitOffsets(ctx, s.cfg.group, commit); err != nil && ctx.Err() == nil {
				s.log.Warn("signal consumer commit", "err", err)
			}
		}
	}
}

func (s *signals) add(sg signal) {
	s.mu.Lock()
	s.pending = append(s.pending, sg)
	s.mu.Unlock()
}

func (s *signals) take() []signal {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.pending
	s.pending = nil
	return out
}

// snapshotSignals runs the pending execute-snapshot signals: the rows
// each condition selects are re-read and returned as read ('r') events
// with source.snapshot "incremental", then an offset-only record that
// ends the snapshot (its offsets carry incremental_snapshot_* meanwhile).
func (t *sourceTask) snapshotSignals(ctx context.Context) ([]plugin.SourceRecord, error) {
	var out []plugin.SourceRecord
	for _, sg := range t.signals.take() {
		if sg.typ == "set-binlog-position" {
			out = append(out, t.setPosition(sg)...)
			continue
		}
		if sg.typ != "execute-snapshot" {
			t.log.Info("signal ignored by the lab source", "id", sg.id, "type", sg.typ)
			continue
		}
		var d signalData
		if err := json.Unmarshal(sg.data, &d); err != nil || len(d.DataCollections) == 0 {
			t.log.Warn("execute-snapshot signal without data-collections; not executed", "id", sg.id)
			continue
		}
		if d.Type != "" && !strings.EqualFold(d.Type, "INCREMENTAL") {
			t.log.Warn("the lab source runs incremental snapshots only", "id", sg.id, "type", d.Type)
			continue
		}
		now := time.Now().UnixMilli()
		for _, table := range t.cfg.tables {
			id := t.capt.Schema + "." + table
			if !anyMatch(d.DataCollections, id, false) {
				continue
			}
			where := ""
			for _, c := range d.Conditions {
				if anyMatch([]string{c.DataCollection}, id, true) && strings.TrimSpace(c.Filter) != "" {
					where = c.Filter
				}
			}
			rows, err := selectRows(ctx, t, table, where)
			if err != nil {
				return nil, err
			}
			off := connectjson.Object{{Key: offPos, Value: t.stream.Pos}, {Key: offTsMs, Value: now},
				{Key: "incremental_snapshot_collections", Value: id}, {Key: "incremental_snapshot_signal_id", Value: sg.id}}
			for _, r := range rows {
				ev, err := t.capt.Encode(Change{Pos: t.stream.Pos, Table: table, Op: "r", After: r, TsMs: now}, "incremental")
				if err != nil {
					return nil, err
				}
				out = append(out, t.record(ev, off))
			}
			t.log.Info("incremental snapshot", "signal", sg.id, "table", id, "rows", len(rows))
		}
		out = append(out, plugin.SourceRecord{SourcePartition: t.partition,
			SourceOffset: connectjson.Object{{Key: offPos, Value: t.stream.Pos}, {Key: offTsMs, Value: now}}})
	}
	return out, nil
}

func selectRows(ctx context.Context, t *sourceTask, table, where string) ([]json.RawMessage, error) {
	ti := t.capt.Tables[table]
	q := "SELECT " + rowJSON(t.db.Engine, ti, "t") + " FROM " + quote(t.db.Engine, table) + " t"
	if where != "" {
		q += " WHERE (" + where + ")"
	}
	rows, err := t.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("incremental snapshot of %s: %w", table, err)
	}
	defer rows.Close()
	var out []json.RawMessage
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, json.RawMessage(s))
	}
	return out, rows.Err()
}

// anyMatch: does a Debezium data-collection regex match id in full?
// Conditions match case-insensitively, as Debezium compiles them.
func anyMatch(patterns []string, id string, fold bool) bool {
	for _, p := range patterns {
		expr := "^(?:" + strings.TrimSpace(p) + ")$"
		if fold {
			expr = "(?i)" + expr
		}
		if re, err := regexp.Compile(expr); err == nil && re.MatchString(id) {
			return true
		}
	}
	return false
}
