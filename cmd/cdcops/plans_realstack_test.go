package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/realstack"
	"github.com/cdcops/cdcops/sqlconn"
)

// withState gives a realRun its own state store (plans, journal, audit).
func withState(t *testing.T, r *realRun) *realRun {
	r.base = append(r.base, "--state", "sqlite://"+t.TempDir()+"/state.db")
	return r
}

// runErr runs the CLI and returns exit code, stdout and stderr.
func (r *realRun) runErr(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(r.ctx, append(append([]string{}, r.base...), args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func (r *realRun) planID(args ...string) string {
	r.t.Helper()
	var p cdcops.Plan
	mustJSON(r.t, r.run(0, append(args, "-o", "json")...), &p)
	if p.ID == "" {
		r.t.Fatal("plan without id")
	}
	return p.ID
}

func (r *realRun) reconcileEqual(p *realstack.Pipeline, within time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, out, errOut := r.runErr("reconcile", "--source", p.SourceDSN, "--sink", p.SinkDSN, "--table", p.Table)
		if code == 0 {
			return
		}
		if code != 1 || time.Now().After(deadline) {
			r.t.Fatalf("reconcile: exit %d\n%s%s", code, out, errOut)
		}
		time.Sleep(2 * time.Second)
	}
}

func queryOne(t *testing.T, ctx context.Context, dsn, q string, args ...any) string {
	t.Helper()
	db, err := sqlconn.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s sql.NullString
	if err := db.QueryRowContext(ctx, q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

// Acceptance (issue 11), real Debezium PostgreSQL 3.6.1 on Connect 4.4:
// a target older than the slot's restart_lsn is refused (exit 3, saying
// why); restoring an earlier snapshot while load runs replays the events
// since and the sink converges (reconcile equal).
func TestRealRewindPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	b, w, p, r := realPipeline(t, ctx, "postgres")
	r = withState(t, r)
	cc := connect.New(w.URL(), connect.WithPollInterval(250*time.Millisecond))

	restart := queryOne(t, ctx, p.SourceDSN, "SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = $1", p.Slot)
	code, _, errOut := r.runErr("offsets", "rewind", p.Source, "--to-position", "0/10")
	if code != 3 || !strings.Contains(errOut, "older than slot") || !strings.Contains(errOut, "restart_lsn "+restart) ||
		!strings.Contains(errOut, "database.* settings") {
		t.Fatalf("rewind before restart_lsn %s: exit %d: %s", restart, code, errOut)
	}

	// Keep the WAL since now: Debezium confirms nothing to the slot, so a
	// rewind to a later point can be replayed (the rewind runbook's setting).
	fls := "false"
	if _, err := cc.PatchConfig(ctx, p.Source, map[string]*string{"flush.lsn.source": &fls}); err != nil {
		t.Fatal(err)
	}
	// Seen on Connect 4.4: after PATCH /config the connector reported
	// STOPPED with no tasks; resume is idempotent on a running one.
	if err := cc.Resume(ctx, p.Source); err != nil {
		t.Fatal(err)
	}
	if _, err := cc.WaitFor(ctx, p.Source, connect.Running, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // one offset flush with the new config
	var snap struct {
		ID string `json:"id"`
	}
	mustJSON(t, r.run(0, "offsets", "backup", p.Source, "-o", "json"), &snap)
	r.run(0, "lab", "load", "--db", p.SourceDSN, "--table", p.Table, "--changes", "200", "--rate", "0", "--seed", "11")
	r.reconcileEqual(p, 3*time.Minute)
	r.run(0, "connectors", "stop", p.Source)
	before := testenv.TopicEnd(t, ctx, b.Addr(), p.Topic)

	id := r.planID("offsets", "restore", p.Source, "--snapshot", snap.ID, "--source", p.SourceDSN)
	show := r.run(0, "plans", "show", id)
	if !strings.Contains(show, "[ok] source log of "+p.Source) || !strings.Contains(show, "bytes)") {
		t.Fatalf("plan:\n%s", show)
	}
	loadDone := make(chan string, 1)
	go func() {
		_, out, errOut := r.runErr("lab", "load", "--db", p.SourceDSN, "--table", p.Table, "--changes", "100", "--rate", "50", "--seed", "12")
		loadDone <- out + errOut
	}()
	r.run(0, "plans", "apply", id, "--reason", "replay after sink outage", "--timeout", "3m")
	if out := <-loadDone; strings.Contains(out, "Error") {
		t.Fatalf("load during the apply: %s", out)
	}
	r.reconcileEqual(p, 4*time.Minute)
	// Without a replay the topic grows by at most 2 records per change of
	// the last load (delete + tombstone); the replay adds the 200 before.
	if grown := testenv.TopicEnd(t, ctx, b.Addr(), p.Topic) - before; grown < 300 {
		t.Fatalf("change topic grew by %d records after the rewind, want ≥ 300 (200 replayed + 100 new)", grown)
	}
	r.run(0, "audit", "verify")
}

// Acceptance (issue 11): the same refusal for MariaDB (Debezium 3.5.0)
// when the offset's binlog was purged.
func TestRealRewindMariaDBPurgedBinlog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	_, _, p, r := realPipeline(t, ctx, "mariadb")
	r = withState(t, r)
	r.run(0, "connectors", "stop", p.Source)
	m := testenv.RealMariaDB(t)
	db, err := sqlconn.Open(ctx, m.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 0; i < 2; i++ {
		if _, err := db.ExecContext(ctx, "FLUSH BINARY LOGS"); err != nil {
			t.Fatal(err)
		}
	}
	var last string
	rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	for rows.Next() {
		v := make([]any, len(cols))
		ptr := make([]any, len(cols))
		for i := range v {
			ptr[i] = &v[i]
		}
		if err := rows.Scan(ptr...); err != nil {
			t.Fatal(err)
		}
		last = string(v[0].([]byte))
	}
	rows.Close()
	if _, err := db.ExecContext(ctx, "PURGE BINARY LOGS TO '"+last+"'"); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := r.runErr("offsets", "rewind", p.Source, "--to-position", "0-1-1", "--source", m.DSN())
	if code != 3 || !strings.Contains(errOut, "no longer on the server") || !strings.Contains(errOut, "purged") {
		t.Fatalf("rewind into a purged binlog: exit %d: %s", code, errOut)
	}
	if code, out, _ := r.runErr("plans", "list", "-o", "json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("a refused plan was stored: %s", out)
	}
}

// Acceptance (issue 11): the Debezium JDBC sink on Connect 4.4 fails on a
// poison pill; a skip plan gets its task running again, and the rows after
// the pill arrive (reconcile equal).
func TestRealSinkSkipPoisonPill(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b, w, p, r := realPipeline(t, ctx, "postgres")
	r = withState(t, r)
	cc := connect.New(w.URL(), connect.WithPollInterval(250*time.Millisecond))
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pill := &kgo.Record{Topic: p.Topic, Partition: 0, Key: []byte(`{"id":-1}`), Value: []byte("\x00poison{not json")}
	if err := cl.ProduceSync(ctx, pill).FirstErr(); err != nil {
		t.Fatal(err)
	}
	failed := connect.Want{Desc: "task FAILED", Done: func(s *connect.ConnectorStatus) bool {
		return len(s.Tasks) > 0 && s.Tasks[0].State == cdcops.StateFailed
	}}
	if _, err := cc.WaitFor(ctx, p.Sink, failed, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	partition := p.Topic + ":0"
	var id string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
		code, out, errOut := r.runErr("offsets", "skip", p.Sink, "--partition", partition, "--reason", "poison pill", "--dry-run", "-o", "json")
		var dry cdcops.Plan
		if code == 0 && json.Unmarshal([]byte(out), &dry) == nil && len(dry.Connectors) == 1 &&
			compact(dry.Connectors[0].Changes[0].Before) == `{"kafka_offset":`+strconv.FormatInt(pill.Offset, 10)+`}` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sink's committed offset never reached the pill at %d: exit %d %s %s", pill.Offset, code, out, errOut)
		}
	}
	id = r.planID("offsets", "skip", p.Sink, "--partition", partition, "--reason", "poison pill")
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		time.Sleep(5 * time.Second)
		r.runErr("lab", "load", "--db", p.SourceDSN, "--table", p.Table, "--changes", "50", "--rate", "20", "--seed", "13")
	}()
	r.run(0, "plans", "apply", id, "--reason", "poison pill", "--timeout", "3m")
	<-loadDone
	if st, _ := cc.Status(ctx, p.Sink); !connect.Running.Done(st) {
		t.Fatalf("sink after the skip: %s", connect.Describe(st))
	}
	r.reconcileEqual(p, 3*time.Minute)
}

func compact(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
