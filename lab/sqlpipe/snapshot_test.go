package sqlpipe_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/sqlpipe"
)

// preloaded makes a SQLite source with demo rows written before any
// capture trigger exists.
func preloaded(t *testing.T, ctx context.Context) string {
	t.Helper()
	dsn := testenv.SQLite(t)
	db := testenv.Open(t, dsn)
	if err := sqlpipe.CreateDemoSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlpipe.Load(ctx, db, sqlpipe.LoadOptions{Tables: []string{"customers"}, Changes: 40, Seed: 1, InsertOnly: true}); err != nil {
		t.Fatal(err)
	}
	return dsn
}

// readEvents reads a topic's change events from the start.
func readEvents(t *testing.T, ctx context.Context, kafka, topic string, n int) []sqlpipe.Envelope {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []sqlpipe.Envelope
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %s: got %d of %d events", topic, len(out), n)
		}
		for _, r := range fs.Records() {
			var e sqlpipe.Envelope
			if r.Value != nil {
				if err := json.Unmarshal(r.Value, &e); err != nil {
					t.Fatal(err)
				}
				out = append(out, e)
			}
		}
	}
	return out
}

// Rows that exist before the connector reach the sink as snapshot reads,
// and an offset that says the snapshot never completed makes the task take
// it again.
func TestInterruptedSnapshotIsRetaken(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := startPipeline(t, ctx, preloaded(t, ctx), testenv.SQLite(t), sqlpipe.PipelineOptions{})
	customersInSync(t, ctx, r)
	evs := readEvents(t, ctx, r.lab.KafkaAddr(), r.p.Topics[0], 40)
	for _, e := range evs {
		if e.Op != "r" || e.Source.Snapshot != "true" || (e.Before != nil && string(e.Before) != "null") || e.Source.Table != "customers" {
			t.Fatalf("snapshot event %+v", e)
		}
	}
	// The rows reach the sink before the task's offsets flush.
	waitOffset(t, ctx, r.c, r.p.Source, 0)
	pos, raw := sourceOffset(t, ctx, r.c, r.p.Source)
	if pos != 0 || len(raw) == 0 {
		t.Fatalf("offset after the snapshot of an empty changelog: %s", raw)
	}
	if err := r.c.Stop(ctx, r.p.Source); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.WaitFor(ctx, r.p.Source, connect.Stopped, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	body := cdcops.ConnectorOffsets{Offsets: []cdcops.ConnectorOffset{{
		Partition: json.RawMessage(`{"server":"lab"}`),
		Offset:    json.RawMessage(`{"pos":0,"ts_ms":1,"snapshot":"INITIAL","snapshot_completed":false}`),
	}}}
	if _, err := r.c.AlterOffsets(ctx, r.p.Source, body); err != nil {
		t.Fatal(err)
	}
	if err := r.c.Resume(ctx, r.p.Source); err != nil {
		t.Fatal(err)
	}
	evs = readEvents(t, ctx, r.lab.KafkaAddr(), r.p.Topics[0], 80)
	for _, e := range evs[40:] {
		if e.Op != "r" {
			t.Fatalf("after an interrupted snapshot: %+v, want the snapshot again", e)
		}
	}
	customersInSync(t, ctx, r)
}

// snapshot.mode=never streams only captured changes: rows written before
// capture was installed never reach the sink.
func TestSnapshotModeNever(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := startPipeline(t, ctx, preloaded(t, ctx), testenv.SQLite(t), sqlpipe.PipelineOptions{SourceConfig: map[string]string{"snapshot.mode": "never"}})
	if _, err := sqlpipe.Load(ctx, r.src, sqlpipe.LoadOptions{Tables: []string{"customers"}, Changes: 10, Seed: 2, InsertOnly: true}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := sqlpipe.Compare(ctx, r.src, r.sink, "customers", "")
		if err != nil {
			t.Fatal(err)
		}
		if c.SinkRows == 10 {
			if c.MissingN != 40 || c.ExtraN != 0 || c.ChangedN != 0 || c.Missing[0] != "id=1" {
				t.Fatalf("never mode: %+v", c)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sink never got the 10 new rows: %+v", c)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func customersInSync(t *testing.T, ctx context.Context, r *running) {
	t.Helper()
	cs, err := sqlpipe.WaitInSync(ctx, r.src, r.sink, []string{"customers"}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if cs[0].SinkRows != 40 {
		t.Fatalf("customers: %+v, want the 40 preloaded rows", cs[0])
	}
}

// table.include.list may qualify tables with the schema; a schema that is
// not the source's fails the task with a trace that says so.
func TestWrongSchemaFailsTask(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := testenv.Lab(t)
	c := connect.New(l.ConnectURL())
	dsn := preloaded(t, ctx)
	cfg := map[string]string{"connector.class": sqlpipe.SourceClass, "database.url": dsn, "topic.prefix": "lab", "table.include.list": "public.customers"}
	if _, _, err := c.PutConfig(ctx, "src", cfg); err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitFor(ctx, "src", connect.Want{Desc: "task FAILED", Done: func(s *connect.ConnectorStatus) bool {
		return len(s.Tasks) == 1 && s.Tasks[0].State == cdcops.StateFailed
	}}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.Tasks[0].Trace, "schema is main") {
		t.Fatalf("trace: %s", st.Tasks[0].Trace)
	}
	cfg["table.include.list"] = "main.customers"
	if _, _, err := c.PutConfig(ctx, "src", cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Restart(ctx, "src", connect.RestartOptions{IncludeTasks: true, OnlyFailed: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitFor(ctx, "src", connect.Running, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

// table.name.format maps topics to differently named sink tables.
func TestSinkTableNameFormat(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sinkDSN := testenv.SQLite(t)
	sink := testenv.Open(t, sinkDSN)
	for _, ddl := range []string{
		"CREATE TABLE copy_customers (id BIGINT PRIMARY KEY, name VARCHAR(100), email VARCHAR(200), tier VARCHAR(20), balance_cents BIGINT)",
		"CREATE TABLE copy_orders (id BIGINT PRIMARY KEY, customer_id BIGINT, status VARCHAR(20), amount_cents BIGINT, qty INT, note VARCHAR(200))",
	} {
		if _, err := sink.ExecContext(ctx, ddl); err != nil {
			t.Fatal(err)
		}
	}
	r := startPipeline(t, ctx, testenv.SQLite(t), sinkDSN, sqlpipe.PipelineOptions{SinkConfig: map[string]string{"table.name.format": "copy_${table}"}})
	if _, err := sqlpipe.Load(ctx, r.src, sqlpipe.LoadOptions{Tables: sqlpipe.DemoTables, Changes: 500, Seed: 8}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, table := range sqlpipe.DemoTables {
		for {
			c, err := sqlpipe.Compare(ctx, r.src, r.sink, table, "copy_"+table)
			if err != nil {
				t.Fatal(err)
			}
			if c.Equal() && c.SourceRows > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("copy_%s never matched %s: %+v", table, table, c)
			}
			time.Sleep(50 * time.Millisecond)
		}
		var n int
		if err := r.sink.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil || n != 0 {
			t.Fatalf("sink table %s (unmapped name) has %d rows, %v", table, n, err)
		}
	}
}
