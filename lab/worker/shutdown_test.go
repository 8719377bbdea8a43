package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/plugin"
)

// lateRecords is a source whose only Poll returns when the task is told to
// stop, with one record that still needs producing (partition a) and one
// offset-only record (partition b).
type lateRecords struct{ oneTask }

func (lateRecords) NewTask() plugin.SourceTask { return &lateTask{} }

type lateTask struct{}

func (*lateTask) Start(context.Context, plugin.SourceTaskContext) error { return nil }
func (*lateTask) Stop() error                                           { return nil }
func (*lateTask) Poll(ctx context.Context) ([]plugin.SourceRecord, error) {
	<-ctx.Done()
	return []plugin.SourceRecord{
		{SourcePartition: connectjson.Object{{Key: "p", Value: "a"}}, SourceOffset: connectjson.Object{{Key: "pos", Value: int64(99)}},
			Topic: "late", Value: []byte(`{}`)},
		{SourcePartition: connectjson.Object{{Key: "p", Value: "b"}}, SourceOffset: connectjson.Object{{Key: "pos", Value: int64(7)}}},
	}, nil
}

// Records a task returns while stopping are never produced, so their
// offsets must not be committed either (that would skip them on the next
// start); offset-only records carry no data and are committed by the final
// flush, as before.
func TestRecordsPolledWhileStoppingAreNotCommitted(t *testing.T) {
	plugins := lab.DefaultPlugins()
	plugins["test.LateRecords"] = lateRecords{oneTask{"source"}}
	l := testenv.LabWith(t, lab.Options{Plugins: plugins, FlushInterval: 50 * time.Millisecond})
	r := rest{t, l.ConnectURL()}
	r.do("POST", "/connectors", `{"name":"late","config":{"connector.class":"test.LateRecords"}}`)
	r.waitState("late", "RUNNING", "RUNNING", 1)
	r.do("PUT", "/connectors/late/stop", "")
	r.waitState("late", "STOPPED", "", 0)
	r.want("GET", "/connectors/late/offsets", "", 200, `{"offsets":[{"partition":{"p":"b"},"offset":{"pos":7}}]}`)
}
