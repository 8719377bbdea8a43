package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
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
	// realPipeline leaves the source STOPPED.
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
	purgeBinlogsTo(t, ctx, db, last)
	code, out, errOut := r.runErr("offsets", "rewind", p.Source, "--to-position", "0-1-1", "--source", m.DSN())
	if code != 3 || !strings.Contains(errOut, "no longer on the server") || !strings.Contains(errOut, "purged") {
		t.Fatalf("rewind into a purged binlog (purged to %s): exit %d: %s%s", last, code, out, errOut)
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
	r.run(0, "connectors", "resume", p.Source) // realPipeline leaves it STOPPED
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
		if code == 0 && committed(r, p.Sink, p.Topic) == pill.Offset {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sink's committed offset never reached the pill at %d: exit %d %s %s", pill.Offset, code, out, errOut)
		}
	}
	id = r.planID("offsets", "skip", p.Sink, "--partition", partition, "--reason", "poison pill")
	loadDone := make(chan string, 1)
	go func() {
		time.Sleep(5 * time.Second)
		code, out, errOut := r.runErr("lab", "load", "--db", p.SourceDSN, "--table", p.Table, "--changes", "50", "--rate", "20", "--seed", "13")
		loadDone <- fmt.Sprintf("exit %d %s %s", code, out, errOut)
	}()
	code, out, errOut := r.runErr("plans", "apply", id, "--reason", "poison pill", "--timeout", "2m")
	load := <-loadDone
	if code != 0 {
		_, cur, _ := r.runErr("offsets", "show", p.Sink)
		t.Fatalf("apply: exit %d %s %s\nload: %s\ntopic end %d; sink now:\n%s", code, out, errOut, load, testenv.TopicEnd(t, ctx, b.Addr(), p.Topic), cur)
	}
	// The task recovered: RUNNING, and its group commits past the pill.
	for deadline := time.Now().Add(4 * time.Minute); ; time.Sleep(2 * time.Second) {
		st, _ := cc.Status(ctx, p.Sink)
		if st == nil || !connect.Running.Done(st) {
			t.Fatalf("sink after the skip: %v", st)
		}
		if committed(r, p.Sink, p.Topic) > pill.Offset+1 {
			break
		}
		if time.Now().After(deadline) {
			src, _ := cc.Status(ctx, p.Source)
			t.Fatalf("the sink's group did not commit past %d within 4m after the skip (committed %d, topic end %d, source %s; load: %s)",
				pill.Offset+1, committed(r, p.Sink, p.Topic), testenv.TopicEnd(t, ctx, b.Addr(), p.Topic), connect.Describe(src), load)
		}
	}
	r.reconcileEqual(p, 3*time.Minute)
}

// committed is the sink's committed offset of topic partition 0, from
// `offsets show -o json`; -1 when it has none.
func committed(r *realRun, sink, topic string) int64 {
	code, out, _ := r.runErr("offsets", "show", sink, "-o", "json")
	var show showResult
	if code != 0 || json.Unmarshal([]byte(out), &show) != nil {
		return -1
	}
	for _, g := range show.Groups {
		if g.Topic == topic && g.Partition == 0 {
			return g.Offset
		}
	}
	return -1
}

// Acceptance (issue 11): migrate a Debezium PostgreSQL connector from a
// Connect 4.4 worker to a Connect 3.9 worker (KIP-980): it runs there from
// the same offsets, the original stays STOPPED, and the stream goes on.
func TestRealMigrateBetweenWorkers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	b, w, p, r := realPipeline(t, ctx, "postgres")
	w39 := testenv.RealConnect(t, realstack.Version39)
	cfg := t.TempDir() + "/cdcops.yaml"
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("clusters:\n  old:\n    connect: %s\n    bootstrap: %s\n  new:\n    connect: %s\n    bootstrap: %s\n",
		w.URL(), b.Addr(), w39.URL(), b.Addr())), 0o644); err != nil {
		t.Fatal(err)
	}
	r = withState(t, r)
	r.base = append(r.base, "--config", cfg)
	old := connect.New(w.URL(), connect.WithPollInterval(250*time.Millisecond))
	neu := connect.New(w39.URL(), connect.WithPollInterval(250*time.Millisecond))
	t.Cleanup(func() { neu.Delete(context.Background(), p.Source) })
	before, err := old.Offsets(ctx, p.Source)
	if err != nil {
		t.Fatal(err)
	}
	id := r.planID("offsets", "migrate", p.Source, "--from", "old", "--to", "new")
	loadDone := make(chan string, 1)
	go func() {
		time.Sleep(10 * time.Second)
		code, out, errOut := r.runErr("lab", "load", "--db", p.SourceDSN, "--table", p.Table, "--changes", "50", "--rate", "10", "--seed", "14")
		loadDone <- fmt.Sprintf("exit %d %s %s", code, out, errOut)
	}()
	r.run(0, "plans", "apply", id, "--reason", "move to the new workers", "--timeout", "3m")
	t.Log(<-loadDone)
	if st, _ := old.Status(ctx, p.Source); !connect.Stopped.Done(st) {
		t.Fatalf("on the old worker: %s", connect.Describe(st))
	}
	if st, _ := neu.Status(ctx, p.Source); !connect.Running.Done(st) {
		t.Fatalf("on the new worker: %s", connect.Describe(st))
	}
	var show struct {
		Steps []cdcops.StepRecord `json:"journal"`
	}
	mustJSON(t, r.run(0, "plans", "show", id, "-o", "json"), &show)
	var verified bool
	for _, s := range show.Steps {
		verified = verified || s.Step == "verify" && s.Status == "done"
	}
	if !verified || len(before.Offsets) != 1 {
		t.Fatalf("no verified write of the %d offsets: %+v", len(before.Offsets), show.Steps)
	}
	r.reconcileEqual(p, 3*time.Minute)
}

// compact is raw JSON without insignificant whitespace (the journal's
// real-stack test uses it too).
func compact(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

// purgeBinlogsTo purges the binlogs before last and waits until the server
// really dropped them: MariaDB keeps a file that a binlog reader (the
// stopped connector's dump thread, still closing) has open, so those
// threads are killed first and the purge is retried.
func purgeBinlogsTo(t *testing.T, ctx context.Context, db *sqlconn.DB, last string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows, err := db.QueryContext(ctx, "SHOW PROCESSLIST")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var dumps []string
		for rows.Next() {
			v := make([]sql.RawBytes, len(cols))
			ptr := make([]any, len(cols))
			for i := range v {
				ptr[i] = &v[i]
			}
			if err := rows.Scan(ptr...); err != nil {
				t.Fatal(err)
			}
			for i, c := range cols {
				if strings.EqualFold(c, "Command") && strings.HasPrefix(string(v[i]), "Binlog Dump") {
					dumps = append(dumps, string(v[0]))
				}
			}
		}
		rows.Close()
		for _, id := range dumps {
			_, _ = db.ExecContext(ctx, "KILL "+id)
		}
		if _, err := db.ExecContext(ctx, "PURGE BINARY LOGS TO '"+last+"'"); err != nil {
			t.Fatal(err)
		}
		var name string
		var size any
		r := db.QueryRowContext(ctx, "SHOW BINARY LOGS")
		if err := r.Scan(&name, &size); err != nil {
			t.Fatal(err)
		}
		if name == last {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("binlogs before %s still present after 30s (first is %s)", last, name)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
