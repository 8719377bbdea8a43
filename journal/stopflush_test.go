package journal_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/journal"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/scripted"
)

// slowStates answers as Connect does, but while held every request waits
// for the release before it is put to Connect: a status request that
// takes long on a loaded worker, so the state it reports is read well
// after the request was sent.
type slowStates struct {
	journal.StateSource
	mu      sync.Mutex
	release chan struct{} // non-nil while held
	sent    chan struct{} // one value per held request
}

func (s *slowStates) Connectors(ctx context.Context) (map[string]journal.ConnectorState, error) {
	s.mu.Lock()
	rel := s.release
	s.mu.Unlock()
	if rel != nil {
		select {
		case s.sent <- struct{}{}:
		default:
		}
		select {
		case <-rel:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.StateSource.Connectors(ctx)
}

func (s *slowStates) hold() {
	s.mu.Lock()
	s.release = make(chan struct{})
	s.mu.Unlock()
}

func (s *slowStates) let() {
	s.mu.Lock()
	close(s.release)
	s.release = nil
	s.mu.Unlock()
}

// The task's own writes while a state request is in flight, up to its
// last flush just before the worker reports STOPPED, are not "written
// while STOPPED" although that request comes back saying STOPPED; a PATCH
// made after a sample saw STOPPED still is.
func TestLastFlushBeforeStopIsNotUnaudited(t *testing.T) {
	ctx := context.Background()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	slow := &slowStates{sent: make(chan struct{}, 1)}
	r := startRigWith(t, l, testenv.SQLite(t), func(s journal.StateSource) journal.StateSource {
		slow.StateSource = s
		return slow
	})
	// Advancing (and flushing) every 100 ms.
	if _, err := r.cc.Create(ctx, connect.CreateRequest{Name: "src", Config: map[string]string{
		"connector.class": scripted.SourceClass, scripted.KeyAdvance: "true", "offset.flush.interval.ms": "100",
		scripted.KeyOffsets: `[{"partition":{"server":"db1"},"offset":{"txId":3,"lsn":1000}}]`}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.cc.WaitFor(ctx, "src", connect.Running, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)

	slow.hold()
	select {
	case <-slow.sent:
	case <-time.After(5 * time.Second):
		t.Fatal("the journal sent no state request")
	}
	sent := time.Now()
	time.Sleep(300 * time.Millisecond) // the task flushes meanwhile
	if err := r.cc.Stop(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.cc.WaitFor(ctx, "src", connect.Stopped, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	slow.let() // the requests in flight now read STOPPED
	time.Sleep(500 * time.Millisecond)

	h, err := journal.ReadHistory(ctx, r.store, journal.HistoryOptions{Connector: "src"})
	if err != nil {
		t.Fatal(err)
	}
	inFlight := 0
	for _, e := range h.Entries {
		if e.Time.After(sent) && e.Time.Before(stopped) {
			inFlight++
		}
		if e.Unaudited {
			t.Errorf("the task's own write flagged: %s at %s (request sent %s, STOPPED seen %s)",
				e.Reason, e.Time.Format("15:04:05.000"), sent.Format("15:04:05.000"), stopped.Format("15:04:05.000"))
		}
	}
	if inFlight < 2 {
		t.Fatalf("only %d task writes while the request was in flight; the check needs some", inFlight)
	}

	// An outsider's forward write once the journal has seen STOPPED.
	time.Sleep(300 * time.Millisecond)
	if _, err := r.cc.AlterOffsets(ctx, "src", cdcops.ConnectorOffsets{Offsets: []cdcops.ConnectorOffset{{
		Partition: json.RawMessage(`{"server":"db1"}`), Offset: json.RawMessage(`{"txId":3,"lsn":999999}`)}}}); err != nil {
		t.Fatal(err)
	}
	e := waitUnaudited(t, r, "src", 0)
	if !strings.Contains(e.Reason, "STOPPED") || string(e.After) != javaJSON(t, `{"txId":3,"lsn":999999}`) {
		t.Errorf("PATCH entry: %+v", e)
	}
}
