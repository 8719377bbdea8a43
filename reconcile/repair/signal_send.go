package repair

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/debezium"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/reconcile/dialect"
	"github.com/cdcops/cdcops/sqlconn"
)

// SignalOptions say how to reach the connector and how long to wait.
type SignalOptions struct {
	Channel   string          // source (the signal table) or kafka (the signal topic)
	Connect   *connect.Client // the Connect worker running the connector
	Connector string
	Bootstrap string        // kafka channel: default the connector's signal.kafka.bootstrap.servers
	Timeout   time.Duration // how long to wait for the sink to converge (default 2m)
	Poll      time.Duration // how often to re-reconcile while waiting (default 1s)
	// Sent, when set, sees each signal as it goes out (tests count them).
	Sent func(SignalRecord)
}

// SignalResult is what --signal did.
type SignalResult struct {
	Channel        string         `json:"channel"`
	Connector      string         `json:"connector"`
	Target         string         `json:"target"` // the signal table or topic
	DataCollection string         `json:"data_collection"`
	Checks         []cdcops.Check `json:"checks"`
	IDs            []string       `json:"ids"`
	Signals        []SnapshotData `json:"signals"`
	KeysSignalled  int            `json:"keys_signalled"`
	NotBySignal    int            `json:"not_by_signal"` // extra sink rows: a snapshot cannot delete them
	SnapshotSeen   bool           `json:"snapshot_seen"` // incremental_snapshot_* fields appeared in the offsets
	WaitedMS       int64          `json:"waited_ms"`
}

// Signal asks the connector to re-read exactly the keys that still
// differ (an incremental snapshot with additional-conditions), after
// checking every prerequisite, then re-reconciles them until the sink
// is equal or Timeout passes.
func Signal(ctx context.Context, spec Spec, o SignalOptions) (*Report, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if o.Channel != "source" && o.Channel != "kafka" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "use --signal source or --signal kafka", "unknown signal channel %q", o.Channel)
	}
	if o.Connect == nil || o.Connector == "" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "pass --connect URL and --connector NAME (the Debezium source connector)", "--signal needs the source connector")
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	var mu sync.Mutex
	var diffs []reconcile.Difference
	now, err := reconcile.Run(ctx, spec.reconcileSpec(spec.Keys, func(d reconcile.Difference) {
		mu.Lock()
		diffs = append(diffs, d)
		mu.Unlock()
	}))
	if err != nil {
		return nil, err
	}
	res := &SignalResult{Channel: o.Channel, Connector: o.Connector, Checks: []cdcops.Check{}, IDs: []string{}, Signals: []SnapshotData{}}
	rep := &Report{Action: "signal", Source: cdcops.RedactDSN(spec.Source), Sink: cdcops.RedactDSN(spec.Sink), SourceTable: now.SourceTable,
		SinkTable: now.SinkTable, Keys: len(spec.Keys), Differing: now.Total(), Skipped: []Skipped{}, Signal: res}
	var keys []map[string]string
	for _, d := range diffs {
		switch d.Kind {
		case reconcile.Missing, reconcile.Changed:
			keys = append(keys, d.Key)
		case reconcile.Extra:
			res.NotBySignal++
			rep.Skipped = append(rep.Skipped, Skipped{Key: d.Key, Reason: "extra in the sink: a snapshot cannot delete it; use repair --apply"})
		default:
			rep.Skipped = append(rep.Skipped, Skipped{Key: d.Key, Reason: "duplicate key on the " + d.Side})
		}
	}
	res.KeysSignalled = len(keys)
	src, err := sqlconn.Open(ctx, spec.Source)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	defer src.Close()
	w, err := dialect.WriterFor(ctx, src, src.Engine)
	if err != nil {
		return nil, err
	}
	ref, err := cdcops.ParseTableRef(now.SourceTable)
	if err != nil {
		return nil, err
	}
	tbl, err := w.Describe(ctx, src, ref)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	res.DataCollection = DataCollection(tbl.Ref.Schema, tbl.Ref.Name)
	ch, err := prepareChannel(ctx, o, src, w, res)
	if err != nil {
		return rep, err
	}
	if ch.close != nil {
		defer ch.close()
	}
	if len(keys) == 0 {
		eq := now.Equal
		rep.Equal, rep.Verify = &eq, now
		return rep, nil
	}
	var cols []keyCol
	for _, ci := range now.Compared {
		if ci.Key {
			c, _ := tbl.Column(ci.Source)
			cols = append(cols, keyCol{name: pairName(ci), col: c, class: classOf(ci.As)})
		}
	}
	res.Signals = append(res.Signals, conditions(w, cols, keys, res.DataCollection, ch.maxData)...)
	stamp := time.Now().UTC().Format("20060102T150405.000")
	for i, data := range res.Signals {
		rec := SignalRecord{ID: fmt.Sprintf("cdcops-repair-%s-%d", stamp, i+1), Type: "execute-snapshot", Data: data}
		if err := ch.send(ctx, rec); err != nil {
			return rep, err
		}
		res.IDs = append(res.IDs, rec.ID)
		if o.Sent != nil {
			o.Sent(rec)
		}
	}
	start := time.Now()
	check := spec.checkSpec(keys)
	deadline := time.After(o.Timeout)
	for {
		if offs, err := o.Connect.Offsets(ctx, o.Connector); err == nil {
			for _, off := range offs.Offsets {
				res.SnapshotSeen = res.SnapshotSeen || strings.Contains(string(off.Offset), "incremental_snapshot")
			}
		}
		v, err := reconcile.Run(ctx, check)
		if err != nil {
			return rep, err
		}
		rep.Verify = v
		if v.Equal {
			break
		}
		select {
		case <-ctx.Done():
			return rep, ctx.Err()
		case <-deadline:
			res.WaitedMS = time.Since(start).Milliseconds()
			f := false
			rep.Equal = &f
			return rep, nil
		case <-time.After(o.Poll):
		}
	}
	res.WaitedMS = time.Since(start).Milliseconds()
	t := true
	rep.Equal = &t
	return rep, nil
}

func pairName(ci reconcile.ColumnInfo) string {
	if ci.Source != ci.Sink {
		return ci.Source + ":" + ci.Sink
	}
	return ci.Source
}

func classOf(name string) dialect.Class {
	for c := dialect.ClassText; c <= dialect.ClassJSON; c++ {
		if c.String() == name {
			return c
		}
	}
	return dialect.ClassText
}

// channel sends signals one way; maxData bounds a signal's data (the
// signal table's data column length; 0 = none).
type channel struct {
	send    func(context.Context, SignalRecord) error
	maxData int
	close   func()
}

// prepareChannel checks every prerequisite of the channel and returns
// how to send on it. Each check lands in res.Checks; the first failure is
// the error (nothing has been sent then).
func prepareChannel(ctx context.Context, o SignalOptions, src *sqlconn.DB, w dialect.Writer, res *SignalResult) (*channel, error) {
	fail := func(name, hint, format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		res.Checks = append(res.Checks, cdcops.Check{Name: name, OK: false, Detail: msg})
		return cdcops.Errorf(cdcops.ECONFLICT, hint, "%s", msg)
	}
	ok := func(name, detail string) {
		res.Checks = append(res.Checks, cdcops.Check{Name: name, OK: true, Detail: detail})
	}
	st, err := o.Connect.Status(ctx, o.Connector)
	if err != nil {
		return nil, err
	}
	if !connect.Running.Done(st) {
		return nil, fail("connector running", "start or resume the connector first: `cdcops connectors resume "+o.Connector+"`",
			"connector %s is %s", o.Connector, connect.Describe(st))
	}
	ok("connector running", connect.Describe(st))
	cfg, err := o.Connect.Config(ctx, o.Connector)
	if err != nil {
		return nil, err
	}
	channels := debezium.SignalChannels(cfg)
	if !slices.Contains(channels, o.Channel) {
		return nil, fail("channel enabled", "add "+o.Channel+" to the connector's signal.enabled.channels",
			"signal.enabled.channels=%q does not include %s", strings.Join(channels, ","), o.Channel)
	}
	ok("channel enabled", "signal.enabled.channels="+strings.Join(channels, ","))
	if o.Channel == "kafka" {
		return kafkaChannel(ctx, o, cfg, res, fail, ok)
	}
	return sourceChannel(ctx, src, w, cfg, res, fail, ok)
}

type failFunc func(name, hint, format string, args ...any) error

func sourceChannel(ctx context.Context, src *sqlconn.DB, w dialect.Writer, cfg map[string]string, res *SignalResult, fail failFunc, ok func(string, string)) (*channel, error) {
	name := strings.TrimSpace(strings.Split(cfg["signal.data.collection"], ",")[0])
	if name == "" {
		return nil, fail("signal table configured", "set signal.data.collection on the connector (and create the table: id, type, data)",
			"the connector has no signal.data.collection")
	}
	ref, err := signalTableRef(name, src.Engine)
	if err != nil {
		return nil, err
	}
	tbl, err := w.Describe(ctx, src, ref)
	if err != nil {
		return nil, fail("signal table exists", "create it: CREATE TABLE "+name+" (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)",
			"signal table %s: %v", name, err)
	}
	if len(tbl.Columns) != 3 {
		return nil, fail("signal table has 3 columns", "Debezium reads exactly 3 columns by position (id, type, data)",
			"signal table %s has %d columns", name, len(tbl.Columns))
	}
	ok("signal table has 3 columns", fmt.Sprintf("%s (%s, %s, %s)", tbl.Ref, tbl.Columns[0].Name, tbl.Columns[1].Name, tbl.Columns[2].Name))
	res.Target = tbl.Ref.String()
	insert := "INSERT INTO " + w.QuoteTable(tbl.Ref) + " VALUES (" + params(src.Engine, 3) + ")"
	// Writable: insert a probe row and roll it back.
	probe := func() error {
		tx, err := src.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		_, err = tx.ExecContext(ctx, insert, "cdcops-probe", "log", "{}")
		return err
	}
	if err := probe(); err != nil {
		return nil, fail("signal table writable", "grant INSERT on the signal table to the user of --source", "cannot insert into %s: %s", tbl.Ref, cdcops.RedactDSN(err.Error()))
	}
	ok("signal table writable", "probe insert rolled back")
	return &channel{maxData: dataLength(tbl.Columns[2].Type), send: func(ctx context.Context, r SignalRecord) error {
		data, _ := json.Marshal(r.Data)
		if _, err := src.ExecContext(ctx, insert, r.ID, r.Type, string(data)); err != nil {
			return cdcops.Errorf(cdcops.EUNAVAILABLE, "check the source database", "insert signal %s: %s", r.ID, cdcops.RedactDSN(err.Error()))
		}
		return nil
	}}, nil
}

func kafkaChannel(ctx context.Context, o SignalOptions, cfg map[string]string, res *SignalResult, fail failFunc, ok func(string, string)) (*channel, error) {
	ks := debezium.KafkaSignalsOf(cfg)
	if ks.Key == "" {
		return nil, fail("topic.prefix", "the Kafka signal key must equal the connector's topic.prefix", "the connector has no topic.prefix")
	}
	topic, prefix := ks.Topic, ks.Key
	res.Target = topic
	bootstrap := o.Bootstrap
	if bootstrap == "" {
		bootstrap = ks.Bootstrap
	}
	if bootstrap == "" {
		return nil, fail("signal bootstrap", "pass --bootstrap or set signal.kafka.bootstrap.servers", "no Kafka address for the signal topic")
	}
	cl, err := kafka.Dial(ctx, bootstrap)
	if err != nil {
		return nil, err
	}
	n, err := cl.TopicPartitions(ctx, topic)
	if err != nil {
		cl.Close()
		return nil, fail("signal topic exists", "create the topic "+topic+" (Debezium reads its partition 0 only)", "signal topic %s: %v", topic, err)
	}
	ok("signal topic exists", fmt.Sprintf("%s, %d partitions; signals go to partition 0 with key %q", topic, n, prefix))
	return &channel{close: cl.Close, send: func(ctx context.Context, r SignalRecord) error {
		value, err := debezium.SignalValue(r.ID, r.Type, r.Data)
		if err != nil {
			return err
		}
		// Exact bytes into partition 0: Debezium's signal consumer is
		// assigned partition 0 only and drops keys other than topic.prefix.
		return cl.WriteOffsetRecords(ctx, []cdcops.OffsetRecord{{Topic: topic, Partition: 0, RawKey: []byte(prefix), RawValue: value}})
	}}, nil
}

// signalTableRef reads signal.data.collection: schema.table (PostgreSQL),
// database.table (MariaDB); a three-part name keeps its last two parts.
func signalTableRef(name string, e sqlconn.Engine) (cdcops.TableRef, error) {
	parts := strings.Split(name, ".")
	if len(parts) == 3 {
		parts = parts[1:]
	}
	ref, err := cdcops.ParseTableRef(strings.Join(parts, "."))
	if err != nil {
		return ref, err
	}
	if e == sqlconn.SQLite && ref.Schema != "" && ref.Schema != "main" {
		ref.Schema = "" // the lab names SQLite tables by its own schema label
	}
	return ref, nil
}

// dataLength is a VARCHAR(n) column's n (0 for unbounded text).
func dataLength(typ string) int {
	var n int
	if i := strings.IndexByte(typ, '('); i >= 0 {
		fmt.Sscanf(typ[i+1:], "%d", &n)
	}
	return n
}

func params(e sqlconn.Engine, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = "?"
		if e == sqlconn.Postgres {
			ps[i] = fmt.Sprintf("$%d", i+1)
		}
	}
	return strings.Join(ps, ", ")
}
