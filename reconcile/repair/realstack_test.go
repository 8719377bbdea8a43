package repair_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/realstack"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/reconcile/repair"
)

func TestMain(m *testing.M) { testenv.RunMain(m) }

// TestSignalOnRealDebezium: a sink fault on the real Debezium PostgreSQL
// → JDBC sink pipeline (Connect 4.4.0); `repair --signal source` makes
// the real connector re-emit exactly the drifted rows (counted on the
// topic) and the sink converges.
func TestSignalOnRealDebezium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	w := testenv.RealConnect(t, realstack.Version44)
	b := testenv.RealKafka(t)
	pg := testenv.RealPostgres(t)
	name := testenv.UniqueName("rp")
	srcDSN, err := pg.EnsureDatabase(ctx, name+"_src")
	if err != nil {
		t.Fatal(err)
	}
	// Debezium reads the signal table from the replication stream, so it
	// is captured too (its events go to their own topic).
	exec(t, srcDSN, `CREATE TABLE debezium_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)`)
	p, err := realstack.StartPipeline(ctx, realstack.PipelineOptions{Connect: w.URL(), Bootstrap: b.Addr(), Postgres: pg, Name: name, Rows: 200,
		SourceConfig: map[string]string{
			"signal.enabled.channels": "source",
			"signal.data.collection":  "public.debezium_signal",
			"table.include.list":      "public." + realstack.PipelineTable + ",public.debezium_signal",
		}})
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
	waitEqual(t, ctx, p.SourceDSN, p.SinkDSN, p.Table)
	// The sink fault: rows lost and one corrupted, behind the pipeline's back.
	exec(t, p.SinkDSN, "DELETE FROM customers WHERE id IN (5, 6, 7, 20)", "UPDATE customers SET name = 'corrupt' WHERE id = 33")
	var keys []map[string]string
	if _, err := reconcile.Run(ctx, reconcile.Spec{Source: p.SourceDSN, Sink: p.SinkDSN, Table: p.Table,
		DiffSink: func(d reconcile.Difference) { keys = append(keys, d.Key) }}); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 5 {
		t.Fatalf("reconcile found %d drifted keys, want 5", len(keys))
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	before := endOffset(t, adm, p.Topic)
	rep, err := repair.Signal(ctx, repair.Spec{Source: p.SourceDSN, Sink: p.SinkDSN, Table: p.Table, Keys: keys},
		repair.SignalOptions{Channel: "source", Connect: c, Connector: p.Source, Timeout: 3 * time.Minute, Poll: time.Second})
	if err != nil {
		t.Fatalf("Signal: %v (%+v)", err, rep)
	}
	if rep.Equal == nil || !*rep.Equal {
		t.Fatalf("the sink did not converge: %+v", rep.Verify)
	}
	// Debezium emits the snapshot rows, then closes the window; give the
	// producer a moment, then count exactly the drifted rows.
	time.Sleep(3 * time.Second)
	if n := endOffset(t, adm, p.Topic) - before; n != 5 {
		t.Fatalf("the connector emitted %d records on %s, want exactly the 5 drifted rows", n, p.Topic)
	}
	t.Logf("signals %v, snapshot seen in offsets %v, waited %d ms", rep.Signal.IDs, rep.Signal.SnapshotSeen, rep.Signal.WaitedMS)
}

// waitEqual waits until reconcile says the tables are equal.
func waitEqual(t *testing.T, ctx context.Context, src, dst, table string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		rep, err := reconcile.Run(ctx, reconcile.Spec{Source: src, Sink: dst, Table: table})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Equal {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(fmt.Sprintf("never equal: %+v", rep.Differences))
		}
		time.Sleep(time.Second)
	}
}
