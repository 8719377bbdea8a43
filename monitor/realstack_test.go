package monitor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/lab/realstack"
	"github.com/cdcops/cdcops/lab/sqlpipe"
	"github.com/cdcops/cdcops/monitor"
	"github.com/cdcops/cdcops/sqlconn"
)

// realRig is a real Debezium pipeline (Connect 4.4, private database)
// with a Monitor that knows its source database.
type realRig struct {
	c   *connect.Client
	p   *realstack.Pipeline
	m   *monitor.Monitor
	src *sqlconn.DB
}

func startRealRig(t *testing.T, ctx context.Context, db string) *realRig {
	t.Helper()
	w := testenv.RealConnect(t, realstack.Version44)
	b := testenv.RealKafka(t)
	o := realstack.PipelineOptions{Connect: w.URL(), Bootstrap: b.Addr(), Name: testenv.UniqueName("mon")}
	if db == "postgres" {
		o.Postgres = testenv.RealPostgres(t)
	} else {
		o.MariaDB = testenv.RealMariaDB(t)
	}
	p, err := realstack.StartPipeline(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	c := connect.New(w.URL(), connect.WithPollInterval(250*time.Millisecond))
	t.Cleanup(func() {
		c.Delete(context.Background(), p.Source)
		c.Delete(context.Background(), p.Sink)
	})
	if err := p.WaitSynced(ctx, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	k, err := kafka.Dial(ctx, b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	cfg := monitor.Config{Window: 3, OffsetsTopic: w.OffsetsTopic(),
		Connectors: map[string]monitor.ConnectorConfig{p.Source: {Source: p.SourceDSN, Slot: p.Slot}}}
	m, err := monitor.New(cfg, monitor.Deps{Connect: c, Kafka: k})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return &realRig{c: c, p: p, m: m, src: testenv.Open(t, p.SourceDSN)}
}

// source runs one cycle and returns the source connector's entry.
func (r *realRig) source(t *testing.T, ctx context.Context) (*monitor.Report, monitor.Connector) {
	t.Helper()
	rep, err := r.m.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Connectors {
		if c.Name == r.p.Source {
			return rep, c
		}
	}
	t.Fatalf("%s not in the report", r.p.Source)
	return nil, monitor.Connector{}
}

// until cycles every second until cond holds for the source.
func (r *realRig) until(t *testing.T, ctx context.Context, what string, cond func(monitor.Connector) bool) monitor.Connector {
	t.Helper()
	var last monitor.Connector
	var rep *monitor.Report
	for i := 0; i < 90; i++ {
		rep, last = r.source(t, ctx)
		if cond(last) {
			return last
		}
		time.Sleep(time.Second)
	}
	b, _ := json.MarshalIndent(last, "", "  ")
	t.Fatalf("%s never showed %s; errors %v; last:\n%s", r.p.Source, what, rep.Errors, b)
	return last
}

func (r *realRig) load(t *testing.T, ctx context.Context, n int, seed uint64) {
	t.Helper()
	if _, err := sqlpipe.Load(ctx, r.src, sqlpipe.LoadOptions{Tables: []string{realstack.PipelineTable}, Changes: n, Seed: seed, InsertOnly: true}); err != nil {
		t.Fatal(err)
	}
}

func lagOf(c monitor.Connector) int64 {
	if c.Source == nil || c.Source.LagBytes == nil {
		return -1
	}
	return *c.Source.LagBytes
}

// Debezium PostgreSQL and MariaDB sources: the source lag (bytes of log
// between offset and head) rises under load while the connector is paused
// and falls after it resumes.
func TestRealSourceLagPausedAndResumed(t *testing.T) {
	for _, db := range []string{"postgres", "mariadb"} {
		t.Run(db, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			r := startRealRig(t, ctx, db)
			// The JDBC sink writes into the same server; stopped, its writes
			// do not move the log head while we watch the source alone.
			if err := r.c.Stop(ctx, r.p.Sink); err != nil {
				t.Fatal(err)
			}
			r.load(t, ctx, 20, 31)
			r.until(t, ctx, "an offset with a log position", func(c monitor.Connector) bool { return lagOf(c) >= 0 && c.Source.LagMS != nil })
			if err := r.c.Pause(ctx, r.p.Source); err != nil {
				t.Fatal(err)
			}
			if _, err := r.c.WaitFor(ctx, r.p.Source, connect.WantState(cdcops.StatePaused), time.Minute); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second) // a flush already under way lands before we measure
			_, before := r.source(t, ctx)
			r.load(t, ctx, 300, 32)
			_, mid := r.source(t, ctx)
			r.load(t, ctx, 300, 33)
			_, paused := r.source(t, ctx)
			if !(lagOf(before) < lagOf(mid) && lagOf(mid) < lagOf(paused)) {
				t.Fatalf("lag while paused under load: %d → %d → %d bytes; want it rising", lagOf(before), lagOf(mid), lagOf(paused))
			}
			if db == "mariadb" && (paused.Source.LagGTIDs == nil || before.Source.LagGTIDs == nil || *paused.Source.LagGTIDs <= *before.Source.LagGTIDs) {
				t.Fatalf("GTID lag while paused: %v → %v transactions; want it rising", before.Source.LagGTIDs, paused.Source.LagGTIDs)
			}
			if db == "postgres" && (paused.Source.SlotLagBytes == nil || *paused.Source.SlotLagBytes <= 0) {
				t.Fatalf("slot lag while paused: %+v", paused.Source)
			}
			t.Logf("%s paused: %d bytes behind (%s, head %s)", db, lagOf(paused), paused.Source.Position, paused.Source.Head)
			if err := r.c.Resume(ctx, r.p.Source); err != nil {
				t.Fatal(err)
			}
			after := r.until(t, ctx, "the lag falling after resume", func(c monitor.Connector) bool {
				return lagOf(c) >= 0 && lagOf(c) < lagOf(paused)/2
			})
			t.Logf("%s resumed: %d bytes behind", db, lagOf(after))
			if db == "mariadb" && (after.Source.LagGTIDs == nil || *after.Source.LagGTIDs >= *paused.Source.LagGTIDs) {
				t.Fatalf("GTID lag after resume: %+v", after.Source)
			}
		})
	}
}

// hookReceiver keeps webhook bodies.
type hookReceiver struct {
	mu     sync.Mutex
	bodies []string
}

func (h *hookReceiver) ServeHTTP(_ http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, string(b))
	h.mu.Unlock()
}

// A replication slot whose wal_status turns unreserved or lost (a small
// max_slot_wal_keep_size on the private cluster, WAL written while the
// connector is stopped) raises the retention alert: the metric the alert
// rules watch, and a webhook notice.
func TestRealSlotRetentionRisk(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	r := startRealRig(t, ctx, "postgres")
	c := r.until(t, ctx, "a reserved slot", func(c monitor.Connector) bool {
		return c.Source != nil && c.Source.Retention.WALStatus != "" && c.Source.LagBytes != nil
	})
	if c.Source.Retention.Risk != 0 {
		t.Fatalf("fresh slot at risk: %+v", c.Source.Retention)
	}
	if err := r.c.Stop(ctx, r.p.Source); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.WaitFor(ctx, r.p.Source, connect.WantState(cdcops.StateStopped), time.Minute); err != nil {
		t.Fatal(err)
	}
	exec := func(q string) {
		t.Helper()
		if _, err := r.src.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'`)
	exec(`SELECT pg_reload_conf()`)
	t.Cleanup(func() {
		bg := context.Background()
		r.src.ExecContext(bg, `ALTER SYSTEM RESET max_slot_wal_keep_size`)
		r.src.ExecContext(bg, `SELECT pg_reload_conf()`)
		r.c.Delete(bg, r.p.Source)
		r.src.ExecContext(bg, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, r.p.Slot)
	})
	rcv := &hookReceiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	cfg, err := monitor.Config{Webhooks: []monitor.WebhookConfig{{URL: srv.URL, Threshold: "WARN"}}}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	notifier := monitor.NewNotifier(cfg.Webhooks, srv.Client(), nil)
	var status string
	for i := 0; i < 6 && status != "unreserved" && status != "lost"; i++ {
		exec(fmt.Sprintf(`CREATE TABLE filler_%d AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 100000) g`, i))
		exec(`SELECT pg_switch_wal()`)
		exec(`CHECKPOINT`)
		if err := r.src.QueryRowContext(ctx, `SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1`, r.p.Slot).Scan(&status); err != nil {
			t.Fatal(err)
		}
	}
	rep, c := r.source(t, ctx)
	risk := c.Source.Retention.Risk
	if c.Source.Retention.WALStatus != status || risk < 1 || !strings.Contains(c.Source.Retention.Reason, status) || c.Severity == monitor.OK {
		t.Fatalf("wal_status %s: retention %+v, severity %s", status, c.Source.Retention, c.Severity)
	}
	t.Logf("slot %s wal_status %s → risk %d: %s", r.p.Slot, status, risk, c.Source.Retention.Reason)
	// The metric the rules watch carries the risk, and a rule fires on it.
	coll := &monitor.Collector{}
	coll.Set(rep)
	want := fmt.Sprintf("# HELP cdcops_log_retention_risk %s\n# TYPE cdcops_log_retention_risk gauge\n", helpOf("cdcops_log_retention_risk"))
	for _, other := range rep.Connectors {
		if other.Source != nil {
			want += fmt.Sprintf("cdcops_log_retention_risk{connector=%q} %d\n", other.Name, other.Source.Retention.Risk)
		}
	}
	if err := testutil.CollectAndCompare(coll, strings.NewReader(want), "cdcops_log_retention_risk"); err != nil {
		t.Fatal(err)
	}
	fires := false
	for _, rule := range monitor.AlertRules().Groups[0].Rules {
		fires = fires || rule.Expr == fmt.Sprintf("cdcops_log_retention_risk == %d", risk)
	}
	if !fires {
		t.Fatalf("no alert rule fires on cdcops_log_retention_risk == %d", risk)
	}
	if err := notifier.Notify(ctx, rep); err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	found := false
	for _, b := range rcv.bodies {
		found = found || (strings.Contains(b, r.p.Source) && strings.Contains(b, "retention") && strings.Contains(b, `"firing"`))
	}
	if !found {
		t.Fatalf("no firing retention notice for %s: %v", r.p.Source, rcv.bodies)
	}
}

func helpOf(name string) string {
	for _, m := range monitor.MetricInfos() {
		if m.Name == name {
			return m.Help
		}
	}
	return ""
}

// MariaDB: the offset's binlog becoming the oldest on the server is at risk
// (the next purge removes it); purged, the position is gone.
func TestRealBinlogRetention(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	r := startRealRig(t, ctx, "mariadb")
	r.load(t, ctx, 10, 41)
	c := r.until(t, ctx, "an offset binlog position", func(c monitor.Connector) bool { return lagOf(c) >= 0 })
	if err := r.c.Stop(ctx, r.p.Source); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.WaitFor(ctx, r.p.Source, connect.WantState(cdcops.StateStopped), time.Minute); err != nil {
		t.Fatal(err)
	}
	_, c = r.source(t, ctx)
	file, _, _ := strings.Cut(c.Source.Position, ":")
	admin := testenv.Open(t, testenv.RealMariaDB(t).DSN())
	if _, err := admin.ExecContext(ctx, `FLUSH BINARY LOGS`); err != nil {
		t.Fatal(err)
	}
	// Purge everything older than the offset's file: it becomes the oldest.
	if _, err := admin.ExecContext(ctx, `PURGE BINARY LOGS TO '`+file+`'`); err != nil {
		t.Fatal(err)
	}
	_, c = r.source(t, ctx)
	oldest := c.Source.Retention.OldestLog
	if oldest != file || c.Source.Retention.Risk != 1 || !strings.Contains(c.Source.Retention.Reason, "oldest") || c.Severity != monitor.WARN {
		t.Fatalf("offset in the oldest binlog %s: %+v severity %s", file, c.Source.Retention, c.Severity)
	}
	// One more file, then purge the offset's: the position is gone.
	if _, err := admin.ExecContext(ctx, `FLUSH BINARY LOGS`); err != nil {
		t.Fatal(err)
	}
	// MariaDB skips a binlog a dump thread still reads (the stopped
	// connector's connection may linger a moment): purge until it is gone.
	for i := 0; ; i++ {
		logs := binaryLogNames(t, ctx, admin)
		if logs[0] != file {
			break
		}
		if i == 30 {
			t.Fatalf("MariaDB would not purge %s: %v", file, logs)
		}
		if _, err := admin.ExecContext(ctx, `PURGE BINARY LOGS TO '`+logs[len(logs)-1]+`'`); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
	}
	_, c = r.source(t, ctx)
	if c.Source.Retention.Risk != 2 || !strings.Contains(c.Source.Retention.Reason, "no longer on the server") || c.Severity != monitor.ERR || c.Source.LagBytes != nil {
		t.Fatalf("offset binlog %s purged: %+v severity %s", file, c.Source.Retention, c.Severity)
	}
	t.Logf("offset binlog %s purged: %s", file, c.Source.Retention.Reason)
}

func binaryLogNames(t *testing.T, ctx context.Context, db *sqlconn.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(ctx, `SHOW BINARY LOGS`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		var name string
		vals := make([]any, len(cols))
		vals[0] = &name
		for i := 1; i < len(cols); i++ {
			vals[i] = new(any)
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		t.Fatal("no binary logs")
	}
	return out
}
