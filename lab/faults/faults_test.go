package faults_test

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/faults"
	"github.com/cdcops/cdcops/lab/sqlpipe"
	"github.com/cdcops/cdcops/sqlconn"
)

type running struct {
	lab       *lab.Lab
	t         faults.Target
	p         *sqlpipe.Pipeline
	src, sink *sqlconn.DB
}

// startSynced runs the demo pipeline on SQLite, puts some load on it and
// waits until the sink equals the source.
func startSynced(t *testing.T, ctx context.Context, o sqlpipe.PipelineOptions) *running {
	t.Helper()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	c := connect.New(l.ConnectURL())
	srcDSN, sinkDSN := testenv.SQLite(t), testenv.SQLite(t)
	o.SourceDSN, o.SinkDSN, o.Kafka, o.PollInterval = srcDSN, sinkDSN, l.KafkaAddr(), 20*time.Millisecond
	p, err := sqlpipe.SetupPipeline(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	r := &running{lab: l, t: faults.Target{Connect: c, Kafka: l.KafkaAddr()}, p: p, src: testenv.Open(t, srcDSN), sink: testenv.Open(t, sinkDSN)}
	if _, err := sqlpipe.Load(ctx, r.src, sqlpipe.LoadOptions{Tables: sqlpipe.DemoTables, Changes: 300, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	r.inSync(t, ctx)
	return r
}

func (r *running) inSync(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := sqlpipe.WaitInSync(ctx, r.src, r.sink, sqlpipe.DemoTables, 60*time.Second); err != nil {
		t.Fatal(err)
	}
}

// waitDiff polls the customers comparison until cond holds.
func (r *running) waitDiff(t *testing.T, ctx context.Context, cond func(sqlpipe.Comparison) bool) sqlpipe.Comparison {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := sqlpipe.Compare(ctx, r.src, r.sink, "customers", "")
		if err != nil {
			t.Fatal(err)
		}
		if cond(c) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("customers never reached the expected difference: %+v", c)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *running) insertCustomers(t *testing.T, ctx context.Context, n int, seed uint64) {
	t.Helper()
	if _, err := sqlpipe.Load(ctx, r.src, sqlpipe.LoadOptions{Tables: []string{"customers"}, Changes: n, Seed: seed, InsertOnly: true}); err != nil {
		t.Fatal(err)
	}
}

func rowKeys(acts []sqlpipe.FaultAction) []string {
	var out []string
	for _, a := range acts {
		out = append(out, a.Key)
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

// The sink silently drops N events: exactly those rows are missing.
func TestSinkDrop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := startSynced(t, ctx, sqlpipe.PipelineOptions{})
	// Armed with no wait: the events to drop are the inserts made next.
	rep, err := faults.SinkDrop(ctx, r.t, r.p.Sink, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Complete || rep.FaultID == "" {
		t.Fatalf("report before any event: %+v", rep)
	}
	if _, err := r.t.Connect.WaitFor(ctx, r.p.Sink, connect.Running, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	r.insertCustomers(t, ctx, 10, 100)
	c := r.waitDiff(t, ctx, func(c sqlpipe.Comparison) bool { return c.SourceRows-c.SinkRows == 3 && c.MissingN == 3 })
	acts, err := sqlpipe.FaultActions(ctx, r.sink, rep.FaultID)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 3 || acts[0].Kind != "drop" {
		t.Fatalf("fault log: %+v", acts)
	}
	if got, want := strings.Join(sorted(c.Missing), " "), strings.Join(rowKeys(acts), " "); got != want {
		t.Fatalf("missing rows %s, dropped %s", got, want)
	}
	if c.Differences != 3 {
		t.Fatalf("differences beyond the dropped rows: %+v", c)
	}
}

// The sink corrupts a column on N rows: exactly those rows differ, and the
// sink holds the wrong value.
func TestSinkCorrupt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := startSynced(t, ctx, sqlpipe.PipelineOptions{})
	rep, err := faults.SinkCorrupt(ctx, r.t, r.p.Sink, "name", 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.t.Connect.WaitFor(ctx, r.p.Sink, connect.Running, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	r.insertCustomers(t, ctx, 10, 200)
	c := r.waitDiff(t, ctx, func(c sqlpipe.Comparison) bool {
		return c.SourceRows == c.SinkRows && c.ChangedN == 2 && c.MissingN == 0
	})
	acts, err := sqlpipe.FaultActions(ctx, r.sink, rep.FaultID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(sorted(c.Changed), " "), strings.Join(rowKeys(acts), " "); got != want || len(acts) != 2 {
		t.Fatalf("changed rows %s, corrupted %s (%+v)", got, want, acts)
	}
	id := strings.TrimPrefix(acts[0].Key, "id=")
	var name string
	if err := r.sink.QueryRowContext(ctx, "SELECT name FROM customers WHERE id = ?", id).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "corrupted" || !strings.Contains(acts[0].Detail, "-> corrupted") {
		t.Fatalf("sink name = %q, fault detail %q", name, acts[0].Detail)
	}
}

// A task fails with a trace; clearing the fault and restarting recovers.
func TestFailTask(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := startSynced(t, ctx, sqlpipe.PipelineOptions{})
	rep, err := faults.FailTask(ctx, r.t, r.p.Source, "boom: disk on fire", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Trace, "boom: disk on fire") || !strings.Contains(rep.Summary, "boom: disk on fire") {
		t.Fatalf("trace %q / summary %q lack the message", rep.Trace, rep.Summary)
	}
	st, err := r.t.Connect.Status(ctx, r.p.Source)
	if err != nil || len(st.Tasks) != 1 || st.Tasks[0].State != cdcops.StateFailed || st.Tasks[0].Trace == "" {
		t.Fatalf("status after fault: %+v %v", st, err)
	}
	if err := faults.ClearFaults(ctx, r.t, r.p.Source); err != nil {
		t.Fatal(err)
	}
	if _, err := r.t.Connect.Restart(ctx, r.p.Source, connect.RestartOptions{IncludeTasks: true, OnlyFailed: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.t.Connect.WaitFor(ctx, r.p.Source, connect.Running, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	r.insertCustomers(t, ctx, 5, 300)
	r.inSync(t, ctx)
}

// readAll reads a topic to its end.
func readAll(t *testing.T, ctx context.Context, kafka, topic string) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	want := testenv.TopicEnd(t, ctx, kafka, topic)
	var out []*kgo.Record
	for int64(len(out)) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %s: %v", topic, ctx.Err())
		}
		out = append(out, fs.Records()...)
	}
	return out
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// A poison pill goes to the DLQ with the failure in headers when the sink
// tolerates errors; the pipeline keeps going.
func TestPoisonPillToDLQ(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := startSynced(t, ctx, sqlpipe.PipelineOptions{DLQ: "lab-dlq"})
	topic := r.p.Topics[0]
	// One the converter rejects (not JSON), one only the sink can refuse
	// (a change event for a column the table lacks).
	pill, err := faults.PoisonPill(ctx, r.t, topic, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	pill2, err := faults.PoisonPill(ctx, r.t, topic, []byte(`{"id":-2}`), []byte(`{"before":null,"after":{"id":-2,"no_such_column":1},"op":"c","ts_ms":1}`))
	if err != nil {
		t.Fatal(err)
	}
	r.insertCustomers(t, ctx, 5, 400)
	r.inSync(t, ctx)
	var dlq []*kgo.Record
	deadline := time.Now().Add(30 * time.Second)
	for len(dlq) < 2 && time.Now().Before(deadline) {
		dlq = readAll(t, ctx, r.lab.KafkaAddr(), "lab-dlq")
		time.Sleep(50 * time.Millisecond)
	}
	if len(dlq) != 2 {
		t.Fatalf("DLQ has %d records, want the 2 poison pills", len(dlq))
	}
	for i, want := range []faults.RecordRef{pill.Records[0], pill2.Records[0]} {
		d := dlq[i]
		if string(d.Key) != want.Key || header(d, "__connect.errors.topic") != topic ||
			header(d, "__connect.errors.offset") != itoa(want.Offset) || header(d, "__connect.errors.exception.message") == "" {
			t.Fatalf("DLQ record %d: key %s headers %+v; want pill %+v", i, d.Key, d.Headers, want)
		}
	}
	if msg := header(dlq[1], "__connect.errors.exception.message"); !strings.Contains(msg, "no_such_column") {
		t.Fatalf("sink's refusal not in the DLQ headers: %q", msg)
	}
	st, err := r.t.Connect.Status(ctx, r.p.Sink)
	if err != nil || st.Tasks[0].State != cdcops.StateRunning {
		t.Fatalf("sink should keep running: %+v %v", st, err)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// Without error tolerance, the sink refusing a record fails its task.
func TestPoisonPillFailsSink(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := startSynced(t, ctx, sqlpipe.PipelineOptions{})
	if _, err := faults.PoisonPill(ctx, r.t, r.p.Topics[0], []byte(`{"id":-3}`), []byte(`{"op":"c","after":{"id":-3,"no_such_column":1}}`)); err != nil {
		t.Fatal(err)
	}
	st, err := r.t.Connect.WaitFor(ctx, r.p.Sink, connect.Want{Desc: "task FAILED", Done: func(s *connect.ConnectorStatus) bool {
		return len(s.Tasks) == 1 && s.Tasks[0].State == cdcops.StateFailed
	}}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.Tasks[0].Trace, "no_such_column") {
		t.Fatalf("trace does not say why: %s", st.Tasks[0].Trace)
	}
}

// Deleting a stopped connector's offsets leaves none; on resume it starts
// over with a new snapshot.
func TestDeleteOffsets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := startSynced(t, ctx, sqlpipe.PipelineOptions{})
	c := r.t.Connect
	waitOffsets(t, ctx, c, r.p.Source, func(n int) bool { return n == 1 })
	if err := c.Stop(ctx, r.p.Source); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitFor(ctx, r.p.Source, connect.Stopped, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	rep, err := faults.DeleteOffsets(ctx, r.t, r.p.Source)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Records) != 1 || rep.Records[0].Key != `["lab-source",{"server":"lab"}]` {
		t.Fatalf("tombstoned %+v", rep.Records)
	}
	offs, err := c.Offsets(ctx, r.p.Source)
	if err != nil || len(offs.Offsets) != 0 {
		t.Fatalf("offsets after delete: %+v %v", offs, err)
	}
	// Nothing left to delete: a clear error, nothing written.
	if _, err := faults.DeleteOffsets(ctx, r.t, r.p.Source); cdcops.ErrorCodeOf(err) != cdcops.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
	before := testenv.TopicEnd(t, ctx, r.lab.KafkaAddr(), r.p.Topics[0])
	var rows int64
	if err := r.src.QueryRowContext(ctx, "SELECT COUNT(*) FROM customers").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if err := c.Resume(ctx, r.p.Source); err != nil {
		t.Fatal(err)
	}
	// The lost offsets mean a full re-snapshot: every customer again.
	deadline := time.Now().Add(30 * time.Second)
	for testenv.TopicEnd(t, ctx, r.lab.KafkaAddr(), r.p.Topics[0])-before < rows {
		if time.Now().After(deadline) {
			t.Fatalf("no re-snapshot of %d customers after the offsets were deleted", rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitOffsets(t *testing.T, ctx context.Context, c *connect.Client, name string, ok func(int) bool) *cdcops.ConnectorOffsets {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		offs, err := c.Offsets(ctx, name)
		if err == nil && ok(len(offs.Offsets)) {
			return offs
		}
		if time.Now().After(deadline) {
			t.Fatalf("offsets of %s: %+v %v", name, offs, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Renaming a connector orphans its offsets under the old name; the new
// name starts without offsets and writes its own.
func TestRenameOrphansOffsets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := startSynced(t, ctx, sqlpipe.PipelineOptions{})
	waitOffsets(t, ctx, r.t.Connect, r.p.Source, func(n int) bool { return n == 1 })
	rep, err := faults.Rename(ctx, r.t, r.p.Source, "lab-source-v2", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Records) != 1 || rep.Records[0].Key != `["lab-source",{"server":"lab"}]` || !strings.Contains(rep.Records[0].Value, `"pos"`) {
		t.Fatalf("orphans %+v", rep.Records)
	}
	if _, err := r.t.Connect.Offsets(ctx, r.p.Source); cdcops.ErrorCodeOf(err) != cdcops.ENOTFOUND {
		t.Fatalf("old connector should be gone: %v", err)
	}
	waitOffsets(t, ctx, r.t.Connect, "lab-source-v2", func(n int) bool { return n == 1 })
	// The orphan is still in the offsets topic after the new connector flushed.
	again, err := faults.Rename(ctx, r.t, "lab-source-v2", "lab-source-v3", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Records) != 1 || again.Records[0].Key != `["lab-source-v2",{"server":"lab"}]` {
		t.Fatalf("second rename orphans %+v", again.Records)
	}
}

// With the worker's offset flush suspended, records keep flowing but the
// stored offset does not advance; resuming the flush catches it up.
func TestStaleOffsets(t *testing.T) {
	for _, viaWorker := range []bool{true, false} {
		name := map[bool]string{true: "worker_flush_suspended", false: "source_config_frozen"}[viaWorker]
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r := startSynced(t, ctx, sqlpipe.PipelineOptions{})
			maxPos, err := sqlpipe.MaxPos(ctx, r.src)
			if err != nil {
				t.Fatal(err)
			}
			waitPos(t, ctx, r.t.Connect, r.p.Source, maxPos)
			var w faults.FlushFaulter
			if viaWorker {
				w = r.lab.Worker()
			}
			rep, resume, err := faults.StaleOffsets(ctx, r.t, w, r.p.Source, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(rep.Offset, `"pos":`) {
				t.Fatalf("report lacks the stored offset: %+v", rep)
			}
			if !viaWorker {
				if _, err := r.t.Connect.WaitFor(ctx, r.p.Source, connect.Running, 30*time.Second); err != nil {
					t.Fatal(err)
				}
			}
			r.insertCustomers(t, ctx, 50, 500)
			r.inSync(t, ctx) // the records flowed...
			newMax, err := sqlpipe.MaxPos(ctx, r.src)
			if err != nil {
				t.Fatal(err)
			}
			// ...across several flush intervals (100 ms), yet the offset stayed.
			time.Sleep(500 * time.Millisecond)
			if got := posOf(t, ctx, r.t.Connect, r.p.Source); got != maxPos || newMax <= maxPos {
				t.Fatalf("stored pos %d while the source is at %d; want it stuck at %d", got, newMax, maxPos)
			}
			if err := resume(ctx); err != nil {
				t.Fatal(err)
			}
			r.insertCustomers(t, ctx, 1, 600) // a new change makes the task emit a fresh offset
			newMax, _ = sqlpipe.MaxPos(ctx, r.src)
			waitPos(t, ctx, r.t.Connect, r.p.Source, newMax)
		})
	}
}

func posOf(t *testing.T, ctx context.Context, c *connect.Client, name string) int64 {
	t.Helper()
	offs, err := c.Offsets(ctx, name)
	if err != nil || len(offs.Offsets) != 1 {
		t.Fatalf("offsets of %s: %+v %v", name, offs, err)
	}
	var o struct{ Pos int64 }
	if err := json.Unmarshal(offs.Offsets[0].Offset, &o); err != nil {
		t.Fatal(err)
	}
	return o.Pos
}

func waitPos(t *testing.T, ctx context.Context, c *connect.Client, name string, pos int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		offs, err := c.Offsets(ctx, name)
		if err == nil && len(offs.Offsets) == 1 {
			var o struct{ Pos int64 }
			if json.Unmarshal(offs.Offsets[0].Offset, &o) == nil && o.Pos == pos {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("offset of %s never reached pos %d: %+v %v", name, pos, offs, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
