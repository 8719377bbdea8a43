package sqlpipe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/sqlpipe"
	"github.com/cdcops/cdcops/sqlconn"
)

// running is one lab with the demo pipeline on it.
type running struct {
	lab       *lab.Lab
	c         *connect.Client
	p         *sqlpipe.Pipeline
	src, sink *sqlconn.DB
}

func startPipeline(t *testing.T, ctx context.Context, srcDSN, sinkDSN string, o sqlpipe.PipelineOptions) *running {
	t.Helper()
	return startPipelineWith(t, ctx, srcDSN, sinkDSN, o)
}

func startPipelineTB(b testing.TB, ctx context.Context, srcDSN, sinkDSN string) *running {
	b.Helper()
	return startPipelineWith(b, ctx, srcDSN, sinkDSN, sqlpipe.PipelineOptions{})
}

func startPipelineWith(t testing.TB, ctx context.Context, srcDSN, sinkDSN string, o sqlpipe.PipelineOptions) *running {
	t.Helper()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	c := connect.New(l.ConnectURL())
	o.SourceDSN, o.SinkDSN, o.Kafka, o.Dir = srcDSN, sinkDSN, l.KafkaAddr(), t.TempDir()
	o.PollInterval = 20 * time.Millisecond
	p, err := sqlpipe.SetupPipeline(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{p.Source, p.Sink} {
		if _, err := c.WaitFor(ctx, name, connect.Running, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return &running{lab: l, c: c, p: p, src: testenv.Open(t, srcDSN), sink: testenv.Open(t, sinkDSN)}
}

func waitInSync(t *testing.T, ctx context.Context, r *running) []sqlpipe.Comparison {
	t.Helper()
	cs, err := sqlpipe.WaitInSync(ctx, r.src, r.sink, sqlpipe.DemoTables, 90*time.Second)
	if err != nil {
		for _, n := range []string{r.p.Source, r.p.Sink} {
			if st, serr := r.c.Status(ctx, n); serr == nil {
				t.Logf("%s: %s", n, connect.Describe(st))
			}
		}
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.SourceRows == 0 {
			t.Fatalf("%s is empty on both sides; the comparison proves nothing", c.Table)
		}
	}
	return cs
}

// 10,000 mixed changes on the source end with sink = source, through the
// lab's Kafka and Connect worker, for three engine pairs.
func TestPipelineTenThousandChanges(t *testing.T) {
	pairs := []struct {
		name      string
		src, sink func(testing.TB) string
	}{
		{"sqlite_to_sqlite", testenv.SQLite, testenv.SQLite},
		{"postgres_to_mariadb", testenv.Postgres, testenv.MySQL},
		{"mariadb_to_postgres", testenv.MySQL, testenv.Postgres},
	}
	for _, pair := range pairs {
		t.Run(pair.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			srcDSN, sinkDSN := pair.src(t), pair.sink(t)
			// Rows that exist before the pipeline reach the sink by snapshot.
			pre := testenv.Open(t, srcDSN)
			if err := sqlpipe.CreateDemoSchema(ctx, pre); err != nil {
				t.Fatal(err)
			}
			if _, err := sqlpipe.Load(ctx, pre, sqlpipe.LoadOptions{Tables: sqlpipe.DemoTables, Changes: 500, Seed: 7}); err != nil {
				t.Fatal(err)
			}
			r := startPipeline(t, ctx, srcDSN, sinkDSN, sqlpipe.PipelineOptions{})
			waitInSync(t, ctx, r)
			before := testenv.TopicEnd(t, ctx, r.lab.KafkaAddr(), r.p.Topics...)

			res, err := sqlpipe.Load(ctx, r.src, sqlpipe.LoadOptions{Tables: sqlpipe.DemoTables, Changes: 10000, Seed: 11})
			if err != nil {
				t.Fatal(err)
			}
			if res.Changes != 10000 || res.Inserts == 0 || res.Updates == 0 || res.Deletes == 0 {
				t.Fatalf("load is not 10,000 mixed changes: %+v", res)
			}
			cs := waitInSync(t, ctx, r)
			// Every change went through Kafka: one event each, plus a tombstone per delete.
			if got, want := testenv.TopicEnd(t, ctx, r.lab.KafkaAddr(), r.p.Topics...)-before, int64(res.Changes+res.Deletes); got != want {
				t.Fatalf("topics got %d records for the load, want %d", got, want)
			}
			t.Logf("in sync: %+v", cs)
		})
	}
}

// sourceOffset reads the source connector's stored offset through REST.
func sourceOffset(t *testing.T, ctx context.Context, c *connect.Client, name string) (pos int64, raw string) {
	t.Helper()
	offs, err := c.Offsets(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if len(offs.Offsets) != 1 {
		return -1, ""
	}
	if string(offs.Offsets[0].Partition) != `{"server":"lab"}` {
		t.Fatalf("partition = %s, want {\"server\":\"lab\"}", offs.Offsets[0].Partition)
	}
	var off struct {
		Pos  *int64 `json:"pos"`
		TsMs *int64 `json:"ts_ms"`
	}
	if err := json.Unmarshal(offs.Offsets[0].Offset, &off); err != nil || off.Pos == nil || off.TsMs == nil {
		t.Fatalf("offset %s: want pos and ts_ms (%v)", offs.Offsets[0].Offset, err)
	}
	return *off.Pos, string(offs.Offsets[0].Offset)
}

// waitOffset polls until the source's stored offset reaches pos.
func waitOffset(t *testing.T, ctx context.Context, c *connect.Client, name string, pos int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, raw := sourceOffset(t, ctx, c, name)
		if got == pos {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored offset of %s is %s, want pos %d", name, raw, pos)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop the source, PATCH its offset back through the worker's REST API,
// resume: the changes after that position are published again, and the
// idempotent sink still equals the source.
func TestReplayAfterOffsetRewind(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := startPipeline(t, ctx, testenv.SQLite(t), testenv.SQLite(t), sqlpipe.PipelineOptions{})
	if _, err := sqlpipe.Load(ctx, r.src, sqlpipe.LoadOptions{Tables: sqlpipe.DemoTables, Changes: 2000, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	waitInSync(t, ctx, r)
	maxPos, err := sqlpipe.MaxPos(ctx, r.src)
	if err != nil {
		t.Fatal(err)
	}
	waitOffset(t, ctx, r.c, r.p.Source, maxPos)

	if err := r.c.Stop(ctx, r.p.Source); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.WaitFor(ctx, r.p.Source, connect.Stopped, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	rewindTo := maxPos / 2
	var want int64 // events the replay must publish: one per change, a tombstone per delete
	if err := r.src.QueryRowContext(ctx, "SELECT COUNT(*) + SUM(CASE WHEN op = 'd' THEN 1 ELSE 0 END) FROM "+sqlpipe.ChangelogTable+" WHERE pos > ?", rewindTo).Scan(&want); err != nil {
		t.Fatal(err)
	}
	before := testenv.TopicEnd(t, ctx, r.lab.KafkaAddr(), r.p.Topics...)
	body := cdcops.ConnectorOffsets{Offsets: []cdcops.ConnectorOffset{{
		Partition: json.RawMessage(`{"server":"lab"}`),
		Offset:    json.RawMessage(fmt.Sprintf(`{"pos":%d,"ts_ms":%d}`, rewindTo, time.Now().UnixMilli())),
	}}}
	if _, err := r.c.AlterOffsets(ctx, r.p.Source, body); err != nil {
		t.Fatal(err)
	}
	if got, _ := sourceOffset(t, ctx, r.c, r.p.Source); got != rewindTo {
		t.Fatalf("offset after PATCH = %d, want %d", got, rewindTo)
	}
	if err := r.c.Resume(ctx, r.p.Source); err != nil {
		t.Fatal(err)
	}
	waitOffset(t, ctx, r.c, r.p.Source, maxPos)
	waitInSync(t, ctx, r)
	if got := testenv.TopicEnd(t, ctx, r.lab.KafkaAddr(), r.p.Topics...) - before; got != want {
		t.Fatalf("replay published %d records, want %d (changes after pos %d)", got, want, rewindTo)
	}
}

// Restarting the source while the load runs loses nothing: triggers are
// replaced atomically and the task resumes from its flushed offset.
func TestSourceRestartsUnderLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := startPipeline(t, ctx, testenv.Postgres(t), testenv.MySQL(t), sqlpipe.PipelineOptions{})
	done := make(chan error, 1)
	go func() {
		_, err := sqlpipe.Load(ctx, r.src, sqlpipe.LoadOptions{Tables: sqlpipe.DemoTables, Changes: 3000, Rate: 3000, Seed: 21})
		done <- err
	}()
	restarts := 0
	for loading := true; loading; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			loading = false
		case <-time.After(150 * time.Millisecond):
			if _, err := r.c.Restart(ctx, r.p.Source, connect.RestartOptions{IncludeTasks: true}); err != nil {
				t.Fatal(err)
			}
			restarts++
		}
	}
	if restarts < 2 {
		t.Fatalf("only %d restarts happened during the load", restarts)
	}
	if _, err := r.c.WaitFor(ctx, r.p.Source, connect.Running, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	waitInSync(t, ctx, r)
}
