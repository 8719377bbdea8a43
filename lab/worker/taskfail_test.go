package worker_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/plugin"
)

// Test-only connector classes whose tasks fail in Poll / Put, to check
// the runners' failure paths with plugins other than the scripted ones.

type oneTask struct{ typ string }

func (p oneTask) Type() string                   { return p.typ }
func (oneTask) Validate(map[string]string) error { return nil }
func (oneTask) TaskConfigs(cfg map[string]string, _ int) ([]map[string]string, error) {
	if cfg["fail.taskconfigs"] == "true" {
		return nil, errors.New("cannot split the work")
	}
	return []map[string]string{{}}, nil
}

type pollFails struct{ oneTask }

func (pollFails) NewTask() plugin.SourceTask { return &pollFailTask{} }

type pollFailTask struct{}

func (*pollFailTask) Start(context.Context, plugin.SourceTaskContext) error { return nil }
func (*pollFailTask) Poll(context.Context) ([]plugin.SourceRecord, error) {
	return nil, errors.New("source database went away")
}
func (*pollFailTask) Stop() error { return nil }

type putFails struct{ oneTask }

func (putFails) NewTask() plugin.SinkTask { return &putFailTask{} }

type putFailTask struct{}

func (*putFailTask) Start(context.Context, plugin.SinkTaskContext) error { return nil }
func (*putFailTask) Put(context.Context, []plugin.SinkRecord) error {
	return errors.New("sink table is read-only")
}
func (*putFailTask) Stop() error { return nil }

func TestPollAndPutFailuresFailTheTask(t *testing.T) {
	plugins := lab.DefaultPlugins()
	plugins["test.PollFails"] = pollFails{oneTask{"source"}}
	plugins["test.PutFails"] = putFails{oneTask{"sink"}}
	l := testenv.LabWith(t, lab.Options{Plugins: plugins, FlushInterval: 100 * time.Millisecond})
	r := rest{t, l.ConnectURL()}
	createTopic(t, l, "in", 1)
	manualProduce(t, l, records("in", 0, `{"id":1}`))

	r.do("POST", "/connectors", `{"name":"src","config":{"connector.class":"test.PollFails"}}`)
	s := r.waitState("src", "RUNNING", "FAILED", 1)
	if !strings.HasPrefix(s.Tasks[0].Trace, "org.apache.kafka.connect.errors.ConnectException: source database went away\n") {
		t.Fatalf("poll failure trace %q", s.Tasks[0].Trace)
	}
	r.do("POST", "/connectors", `{"name":"snk","config":{"connector.class":"PutFails","topics":"in"}}`)
	s = r.waitState("snk", "RUNNING", "FAILED", 1)
	tr := s.Tasks[0].Trace
	if !strings.HasPrefix(tr, "org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.\n") ||
		!strings.Contains(tr, "Caused by: org.apache.kafka.connect.errors.ConnectException: sink table is read-only") {
		t.Fatalf("put failure trace %q", tr)
	}
	// Nothing was committed for the failed batch.
	r.want("GET", "/connectors/snk/offsets", "", 200, `{"offsets":[]}`)
}

// A connector instance that fails (here: while generating task configs)
// is FAILED with a trace and no tasks; a fixed config brings it back.
func TestConnectorFailureAndRecovery(t *testing.T) {
	plugins := lab.DefaultPlugins()
	plugins["test.PollFails"] = pollFails{oneTask{"source"}}
	l := testenv.LabWith(t, lab.Options{Plugins: plugins})
	r := rest{t, l.ConnectURL()}
	r.do("POST", "/connectors", `{"name":"c","config":{"connector.class":"test.PollFails","fail.taskconfigs":"true"}}`)
	s := r.waitState("c", "FAILED", "", 0)
	if !strings.HasPrefix(s.Connector.Trace, "org.apache.kafka.connect.errors.ConnectException: cannot split the work\n") {
		t.Fatalf("connector trace %q", s.Connector.Trace)
	}
	// Restarting it alone changes nothing while the config is bad.
	r.want("POST", "/connectors/c/restart", "", 204, "")
	r.waitState("c", "FAILED", "", 0)
	if c, _ := r.do("PUT", "/connectors/c/config", `{"connector.class":"test.PollFails"}`); c != 200 {
		t.Fatalf("config update = %d", c)
	}
	r.waitState("c", "RUNNING", "FAILED", 1) // its task then fails in Poll, as scripted
}
