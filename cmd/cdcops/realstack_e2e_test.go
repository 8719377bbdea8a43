package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/realstack"
)

// realRun runs the cdcops CLI against a real worker, its offsets topic and a vault.
type realRun struct {
	t        *testing.T
	ctx      context.Context
	base     []string
	lastCode int
}

func newRealRun(t *testing.T, ctx context.Context, b *realstack.Broker, w *realstack.Worker) *realRun {
	return &realRun{t: t, ctx: ctx, base: []string{"--bootstrap", b.Addr(), "--connect", w.URL(),
		"--vault", "file://" + t.TempDir() + "/vault"}}
}

// run returns stdout; a non-zero exit other than want fails the test.
func (r *realRun) run(want int, args ...string) string {
	r.t.Helper()
	var out, errb bytes.Buffer
	code := Main(r.ctx, append(append([]string{}, r.base...), args...), strings.NewReader(""), &out, &errb)
	if code != want {
		r.t.Fatalf("cdcops %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String()
}

// realPipeline starts a Debezium pipeline on db ("postgres" or "mariadb")
// on the Connect 4.4 worker, puts `lab load` on its source and waits until
// `reconcile` says equal; it leaves the source STOPPED.
func realPipeline(t *testing.T, ctx context.Context, db string) (*realstack.Broker, *realstack.Worker, *realstack.Pipeline, *realRun) {
	t.Helper()
	return realPipelineOn(t, ctx, db, realstack.Version44)
}

// realPipelineOn is realPipeline on the worker of the given Connect version.
func realPipelineOn(t *testing.T, ctx context.Context, db, version string) (*realstack.Broker, *realstack.Worker, *realstack.Pipeline, *realRun) {
	t.Helper()
	testenv.Kcat(t)
	w := testenv.RealConnect(t, version)
	b := testenv.RealKafka(t)
	o := realstack.PipelineOptions{Connect: w.URL(), Bootstrap: b.Addr(), Name: testenv.UniqueName("rs")}
	if db == "postgres" {
		o.Postgres = testenv.RealPostgres(t)
	} else {
		o.MariaDB = testenv.RealMariaDB(t)
	}
	p, err := realstack.StartPipeline(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c := connect.New(w.URL())
		c.Delete(context.Background(), p.Source)
		c.Delete(context.Background(), p.Sink)
	})
	r := newRealRun(t, ctx, b, w)
	r.run(0, "lab", "load", "--db", p.SourceDSN, "--table", p.Table, "--changes", "300", "--rate", "0", "--seed", "9")
	// The sink applies the stream asynchronously: ask reconcile until it
	// finds no difference (exit 0) or the time is up.
	stateDir := t.TempDir() // never the working directory's .cdcops
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var out, errb bytes.Buffer
		code := Main(ctx, []string{"--state", "sqlite://" + stateDir + "/state.db", "reconcile", "--source", p.SourceDSN, "--sink", p.SinkDSN, "--table", p.Table}, strings.NewReader(""), &out, &errb)
		if code == 0 {
			break
		}
		if code != 1 || time.Now().After(deadline) {
			t.Fatalf("reconcile after lab load: exit %d\n%s%s", code, out.String(), errb.String())
		}
		time.Sleep(time.Second)
	}
	// Stopped, the source's offsets hold still while we compare views.
	r.run(0, "connectors", "stop", p.Source)
	return b, w, p, r
}

// checkOffsetViews asserts backup --via topic = kcat -C -e last-write-wins
// of the offsets topic = the REST view, for the pipeline's source, returns
// its one offset as `offsets show` decodes it, and that snapshots verify
// passes.
func checkOffsetViews(t *testing.T, b *realstack.Broker, w *realstack.Worker, p *realstack.Pipeline, r *realRun) offsetRow {
	t.Helper()
	var res backup.Result
	mustJSON(t, r.run(0, "offsets", "backup", p.Source, "--topic", w.OffsetsTopic(), "-o", "json"), &res)
	var snap cdcops.Snapshot
	mustJSON(t, r.run(0, "snapshots", "show", res.ID, "-o", "json"), &snap)

	want := map[string]kcatRecord{}
	for k, rec := range lastWriteWinsKcat(kcatDump(t, b.Addr(), w.OffsetsTopic())) {
		if strings.HasPrefix(k, `["`+p.Source+`",`) {
			want[k] = rec
		}
	}
	if len(want) != 1 {
		t.Fatalf("kcat finds %d offsets keys of %s, want 1: %v", len(want), p.Source, want)
	}
	if len(snap.Content.Records) != len(want) {
		t.Fatalf("backup has %d records, kcat %d", len(snap.Content.Records), len(want))
	}
	topicView := map[string]string{}
	for _, rec := range snap.Content.Records {
		k := kcatRecord{}
		var ok bool
		if k, ok = want[string(rec.RawKey)]; !ok || !bytes.Equal(rec.RawValue, k.value) || rec.Partition != k.partition || rec.Offset != k.offset {
			t.Errorf("backup %s = %s @%d/%d, kcat %s @%d/%d", rec.RawKey, rec.RawValue, rec.Partition, rec.Offset, k.value, k.partition, k.offset)
		}
		v, err := connectjson.Normalize(rec.RawValue)
		if err != nil {
			t.Fatal(err)
		}
		topicView[string(rec.RawKey)] = string(v)
	}

	body, err := connect.New(w.URL()).Offsets(r.ctx, p.Source)
	if err != nil {
		t.Fatal(err)
	}
	restView := map[string]string{}
	for _, o := range body.Offsets {
		pv, err := connectjson.ParseObject(o.Partition)
		if err != nil {
			t.Fatal(err)
		}
		key, err := connectjson.OffsetKey(p.Source, pv)
		if err != nil {
			t.Fatal(err)
		}
		v, err := connectjson.Normalize(o.Offset)
		if err != nil {
			t.Fatal(err)
		}
		restView[string(key)] = string(v)
	}
	if fmt.Sprint(sortedMap(restView)) != fmt.Sprint(sortedMap(topicView)) {
		t.Errorf("REST view %v, topic view %v", restView, topicView)
	}
	var rest backup.Result
	mustJSON(t, r.run(0, "offsets", "backup", p.Source, "--via", "rest", "-o", "json"), &rest)
	r.run(0, "snapshots", "verify", res.ID, rest.ID)

	var show showResult
	mustJSON(t, r.run(0, "offsets", "show", p.Source, "--topic", w.OffsetsTopic(), "-o", "json"), &show)
	if len(show.Offsets) != 1 {
		t.Fatalf("offsets show: %d offsets, want 1: %+v", len(show.Offsets), show)
	}
	return show.Offsets[0]
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%v in %q", err, s)
	}
}

func field(row offsetRow, name string) (raw, human string) {
	for _, f := range row.Decoded.Fields {
		if f.Name == name {
			return f.Raw, f.Human
		}
	}
	return "", ""
}

// Acceptance (issue 9): real Debezium PostgreSQL 3.6.1 (pgoutput, a real
// slot) on Connect 4.4.0, JDBC sink into a second database.
func TestRealDebeziumPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	b, w, p, r := realPipeline(t, ctx, "postgres")
	row := checkOffsetViews(t, b, w, p, r)
	if row.Decoded.Kind != "postgresql" || row.Decoded.Guessed {
		t.Fatalf("decoded as %s (guessed %v)", row.Decoded.Kind, row.Decoded.Guessed)
	}
	raw, human := field(row, "lsn")
	lsn, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || human == "" {
		t.Fatalf("offset lsn %q (%q) is not a decoded integer: %v", raw, human, err)
	}
	db := testenv.Open(t, p.SourceDSN)
	var pgText string
	var between bool
	var flushed, current string
	err = db.QueryRowContext(ctx, `SELECT ('0/0'::pg_lsn + $1::numeric)::text,
	    $2::pg_lsn >= confirmed_flush_lsn AND $2::pg_lsn <= pg_current_wal_lsn(),
	    confirmed_flush_lsn::text, pg_current_wal_lsn()::text
	  FROM pg_replication_slots WHERE slot_name = $3`, lsn, human, p.Slot).Scan(&pgText, &between, &flushed, &current)
	if err != nil {
		t.Fatalf("slot %s: %v", p.Slot, err)
	}
	t.Logf("offset %s: %s; slot confirmed_flush_lsn %s, pg_current_wal_lsn() %s", p.Source, row.Decoded.Position, flushed, current)
	if pgText != human {
		t.Errorf("cdcops decodes lsn %d as %s, PostgreSQL as %s", lsn, human, pgText)
	}
	if !between {
		t.Errorf("offset LSN %s not between the slot's confirmed_flush_lsn %s and pg_current_wal_lsn() %s", human, flushed, current)
	}
	if !strings.Contains(row.Decoded.Position, human) {
		t.Errorf("position %q does not name LSN %s", row.Decoded.Position, human)
	}
}

// Acceptance (issue 9): real Debezium MariaDB 3.5.0 on Connect 4.4.0,
// JDBC sink into a second database.
func TestRealDebeziumMariaDB(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	b, w, p, r := realPipeline(t, ctx, "mariadb")
	row := checkOffsetViews(t, b, w, p, r)
	if row.Decoded.Kind != "mysql" || row.Decoded.Guessed {
		t.Fatalf("decoded as %s (guessed %v)", row.Decoded.Kind, row.Decoded.Guessed)
	}
	fileRaw, _ := field(row, "file")
	posRaw, _ := field(row, "pos")
	gtidsRaw, gtidsHuman := field(row, "gtids")
	var file, gtids string
	if err := json.Unmarshal([]byte(fileRaw), &file); err != nil {
		t.Fatalf("file %q: %v", fileRaw, err)
	}
	if err := json.Unmarshal([]byte(gtidsRaw), &gtids); err != nil || gtidsHuman == "" {
		t.Fatalf("gtids %q (%q) not decoded: %v", gtidsRaw, gtidsHuman, err)
	}
	pos, err := strconv.ParseInt(posRaw, 10, 64)
	if err != nil {
		t.Fatalf("pos %q: %v", posRaw, err)
	}
	db := testenv.Open(t, testenv.RealMariaDB(t).DSN())
	rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	for rows.Next() {
		var name string
		var size int64
		cols, _ := rows.Columns()
		dest := []any{&name, &size}
		for len(dest) < len(cols) {
			dest = append(dest, new(any))
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		sizes[name] = size
	}
	rows.Close()
	size, ok := sizes[file]
	if !ok {
		t.Fatalf("offset binlog file %s not in SHOW BINARY LOGS %v", file, sizes)
	}
	if pos <= 0 || pos > size {
		t.Errorf("offset pos %d outside binlog %s of %d bytes", pos, file, size)
	}
	if !strings.Contains(row.Decoded.Position, file) || !strings.Contains(row.Decoded.Position, gtids) {
		t.Errorf("position %q does not name %s and %s", row.Decoded.Position, file, gtids)
	}
	// The offset's GTID is one this server wrote: same domain and server,
	// sequence no later than @@gtid_current_pos (the sink writes there too).
	var current string
	if err := db.QueryRowContext(ctx, "SELECT @@gtid_current_pos").Scan(&current); err != nil {
		t.Fatal(err)
	}
	t.Logf("offset %s: %s; binlogs %v, @@gtid_current_pos %s", p.Source, row.Decoded.Position, sizes, current)
	if !gtidNotAfter(gtids, current) {
		t.Errorf("offset GTIDs %s not within @@gtid_current_pos %s", gtids, current)
	}
}

// gtidNotAfter reports whether MariaDB GTID position a (domain-server-seq,
// comma separated) is at or before b, domain by domain.
func gtidNotAfter(a, b string) bool {
	seqs := func(s string) map[string]int64 {
		m := map[string]int64{}
		for _, g := range strings.Split(s, ",") {
			f := strings.Split(strings.TrimSpace(g), "-")
			if len(f) != 3 {
				return nil
			}
			n, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				return nil
			}
			m[f[0]+"-"+f[1]] = n
		}
		return m
	}
	ma, mb := seqs(a), seqs(b)
	if len(ma) == 0 {
		return false
	}
	for k, n := range ma {
		if m, ok := mb[k]; !ok || n > m {
			return false
		}
	}
	return true
}
