package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/faults"
	"github.com/cdcops/cdcops/lab/sqlpipe"
)

func pipelineGlobals(out io.Writer) *globals {
	return &globals{stdout: out, stderr: io.Discard, output: "json", log: slog.New(slog.DiscardHandler)}
}

// `lab up --pipeline` creates the demo pipeline; `lab load` drives it; and
// `lab fault sink-drop` reports the rows it dropped.
func TestLabUpPipelineLoadFault(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	var upOut bytes.Buffer
	g := pipelineGlobals(&upOut)
	errc := make(chan error, 1)
	var checked bool
	o := labUpOptions{dir: dir, kafka: "127.0.0.1:0", connect: "127.0.0.1:0",
		pipeline: labPipelineOptions{enabled: true, db: "sqlite", sinkDB: "sqlite"}}
	o.ready = func(l *lab.Lab) {
		defer cancel()
		checked = exercisePipeline(t, ctx, l, dir)
	}
	go func() { errc <- runLabUp(ctx, g, o) }()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !checked {
		t.Fatal("the pipeline checks did not finish")
	}
	// -o json is one JSON object with the pipeline inside it.
	dec := json.NewDecoder(&upOut)
	var addrs labAddrs
	if err := dec.Decode(&addrs); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Fatalf("lab up -o json printed more than one JSON document: %s", upOut.String())
	}
	if !strings.HasPrefix(addrs.Kafka, "127.0.0.1:") || addrs.Pipeline == nil {
		t.Fatalf("lab up printed %+v", addrs)
	}
	p := addrs.Pipeline
	if p.Source != "lab-source" || p.Sink != "lab-sink" || len(p.Topics) != 2 || p.SourceDSN != "sqlite://"+filepath.Join(dir, "source.db") {
		t.Fatalf("pipeline printed as %+v", p)
	}
}

func exercisePipeline(t *testing.T, ctx context.Context, l *lab.Lab, dir string) bool {
	srcDSN, sinkDSN := "sqlite://"+filepath.Join(dir, "source.db"), "sqlite://"+filepath.Join(dir, "sink.db")
	var out bytes.Buffer
	g := pipelineGlobals(&out)
	g.connectURL, g.bootstrap = l.ConnectURL(), l.KafkaAddr()
	if err := runLabLoad(ctx, g, &labLoadOptions{db: srcDSN, tables: []string{"customers", "orders"}, rate: 0, changes: 1000, seed: 9, seedSet: true}); err != nil {
		t.Error(err)
		return false
	}
	var res sqlpipe.LoadResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Changes != 1000 || res.Seed != 9 {
		t.Errorf("load printed %s (%v)", out.String(), err)
		return false
	}
	src, sink := testenv.Open(t, srcDSN), testenv.Open(t, sinkDSN)
	if _, err := sqlpipe.WaitInSync(ctx, src, sink, sqlpipe.DemoTables, time.Minute); err != nil {
		t.Error(err)
		return false
	}

	out.Reset()
	done := make(chan error, 1)
	go func() {
		done <- runLabFault(ctx, g, &labFaultOptions{kind: "sink-drop", count: 2, wait: 30 * time.Second})
	}()
	// Keep inserting until the fault has dropped its 2 events.
	for i := uint64(0); ; i++ {
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
				return false
			}
			var rep faults.Report
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil || !rep.Complete || len(rep.Rows) != 2 || rep.Rows[0].Kind != "drop" {
				t.Errorf("fault printed %s (%v)", out.String(), err)
				return false
			}
			return true
		case <-time.After(50 * time.Millisecond):
			if _, err := sqlpipe.Load(ctx, src, sqlpipe.LoadOptions{Tables: []string{"customers"}, Changes: 1, Seed: 100 + i, InsertOnly: true}); err != nil {
				t.Error(err)
				return false
			}
		}
	}
}

// Bad input: a clear usage error, nothing done.
func TestLabLoadAndFaultRefuseBadInput(t *testing.T) {
	ctx := context.Background()
	g := pipelineGlobals(io.Discard)
	if err := runLabLoad(ctx, g, &labLoadOptions{tables: []string{"customers"}}); !isUsageError(err) {
		t.Errorf("load without --db: %v", err)
	}
	db := testenv.SQLite(t)
	if err := runLabLoad(ctx, g, &labLoadOptions{db: db, tables: []string{"customers; DROP TABLE x"}, duration: time.Second}); cdcops.ErrorCodeOf(err) != cdcops.EINVALID {
		t.Errorf("load of an injected table name: %v", err)
	}
	if err := runLabFault(ctx, g, &labFaultOptions{kind: "meteor"}); !isUsageError(err) || !strings.Contains(cdcops.HintOf(err), "sink-drop") {
		t.Errorf("unknown fault: %v", err)
	}
	var errOut bytes.Buffer
	if code := Main(ctx, []string{"lab", "up", "--db", "sqlite", "--sink-db", "mysql://x@127.0.0.1/y", "--kafka", "127.0.0.1:0", "--connect", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, &errOut); code != 2 {
		t.Errorf("--sink-db without --pipeline: exit %d, %s", code, errOut.String())
	}
}

// The demo step, as `lab demo` runs it: narrates sync, the fault and the
// missing rows.
func TestDemoPipelineFaultStep(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	d := &demoRun{g: pipelineGlobals(&out), out: &out}
	if err := d.pipelineFault(ctx); err == nil {
		t.Fatal("step ran without a lab")
	}
	d.lab = testenv.Lab(t)
	if err := d.pipelineFault(ctx); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"in sync: customers", "drops its next 3 events", "missing in sink: id="} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("narration lacks %q:\n%s", want, out.String())
		}
	}
}
