package connect_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/worker"
)

const msgRebalance = "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"

// §1.5 409 during a rebalance (HerderRequestHandler): the worker's fault
// hook makes it answer 409; the client retries with backoff, gives up
// after its bound with ECONFLICT carrying the message, and honours ctx.
func TestConformanceLabRebalance409(t *testing.T) {
	e := newEnv(t)
	n := name("retry")
	e.create(n, sourceConfig(pgOffsets), "")
	e.waitFor(n, connect.Running)

	e.faults.RejectNextMutations(1)
	e.raw("PUT", "/connectors/"+n+"/pause", "").expectError(t, "pause during rebalance", 409, msgRebalance)

	// Retried until the worker accepts: three 409s, then success.
	e.faults.RejectNextMutations(3)
	fast := connect.New(e.url, connect.WithRetry(connect.Retry{Attempts: 5, Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}))
	if err := fast.Pause(e.ctx, n); err != nil {
		t.Fatalf("Pause with 3 injected 409s and 5 attempts: %v", err)
	}
	e.waitFor(n, connect.Paused)

	// More 409s than attempts: ECONFLICT with the worker's message.
	e.faults.RejectNextMutations(10)
	few := connect.New(e.url, connect.WithRetry(connect.Retry{Attempts: 3, Base: 5 * time.Millisecond, Max: 10 * time.Millisecond}))
	err := few.Resume(e.ctx, n)
	if codeOf(err) != cdcops.ECONFLICT || !strings.Contains(err.Error(), msgRebalance) {
		t.Errorf("Resume with 409s beyond the retry bound: %v, want ECONFLICT with the rebalance message", err)
	}
	// 10 injected, 3 used: 7 remain; a bounded client with 8 attempts gets through.
	more := connect.New(e.url, connect.WithRetry(connect.Retry{Attempts: 8, Base: 5 * time.Millisecond, Max: 10 * time.Millisecond}))
	if err := more.Resume(e.ctx, n); err != nil {
		t.Errorf("Resume after 7 remaining 409s with 8 attempts: %v", err)
	}
	e.waitFor(n, connect.Running)

	// The wait between retries ends with the caller's context.
	e.faults.RejectNextMutations(100)
	slow := connect.New(e.url, connect.WithRetry(connect.Retry{Attempts: 50, Base: time.Minute, Max: time.Minute}))
	ctx, cancel := context.WithTimeout(e.ctx, 200*time.Millisecond)
	defer cancel()
	err = slow.Stop(ctx, n)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop with a 200ms context during a long backoff: %v, want context.DeadlineExceeded", err)
	}
	e.faults.RejectNextMutations(0)

	// AlreadyExists is a 409 too, but retrying cannot help: one request only.
	e.faults.RejectNextMutations(0)
	_, err = e.c.Create(e.ctx, connect.CreateRequest{Name: n, Config: sourceConfig(pgOffsets)})
	if ae, ok := connect.AsAPIError(err); !ok || !ae.AlreadyExists() {
		t.Errorf("Create of an existing name: %v, want the AlreadyExists 409", err)
	}
}

// §1.5 the other answers of an unsettled cluster (HerderRequestHandler):
// the two other 409s are retried like the rebalance one; the 500 request
// timeout is not retried and surfaces as EUNAVAILABLE with the message.
func TestConformanceLabUnsettledClusterAnswers(t *testing.T) {
	e := newEnv(t)
	c := connect.New(e.url, connect.WithPollInterval(50*time.Millisecond),
		connect.WithRetry(connect.Retry{Attempts: 3, Base: 5 * time.Millisecond, Max: 10 * time.Millisecond}))
	n := name("unsettled")
	if _, err := c.Create(e.ctx, connect.CreateRequest{Name: n, Config: sourceConfig(pgOffsets)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		fault   worker.MutationFault
		status  int
		message string
		code    cdcops.ErrorCode
	}{
		{worker.FaultNoLeader, 409, "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.", cdcops.ECONFLICT},
		{worker.FaultConflict, 409, "Cannot complete request because of a conflicting operation (e.g. worker rebalance)", cdcops.ECONFLICT},
		{worker.FaultTimeout, 500, "Request timed out", cdcops.EUNAVAILABLE},
	}
	for _, tt := range tests {
		e.faults.FailNextMutations(1, tt.fault)
		r := e.raw("PUT", "/connectors/"+n+"/pause", "")
		if tt.fault == worker.FaultTimeout { // 3.9+ appends the worker's stage (delta K10)
			if eb := decodeJSON[map[string]any](t, "timeout", r.Body); r.Status != 500 || !strings.HasPrefix(fmt.Sprint(eb["message"]), "Request timed out. The worker is currently ") {
				t.Errorf("timeout fault: %d %s", r.Status, r.Body)
			}
		} else {
			r.expectError(t, tt.message, tt.status, tt.message)
		}

		// Through the client: 409s are retried past two injected failures;
		// the 500 is answered at once.
		e.faults.FailNextMutations(2, tt.fault)
		err := c.Pause(e.ctx, n)
		if tt.status == 409 {
			if err != nil {
				t.Errorf("Pause through two %q 409s with 3 attempts: %v", tt.message, err)
			}
			continue
		}
		if codeOf(err) != tt.code || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("Pause answered %d %q: %v, want %s carrying the message", tt.status, tt.message, err, tt.code)
		}
		e.faults.FailNextMutations(0, tt.fault)
	}
}

// §1.1 topics endpoints when the worker set topic.tracking.enable=false or
// topic.tracking.allow.reset=false: 403 with ConnectorsResource's texts.
func TestConformanceLabTopicTrackingDisabled(t *testing.T) {
	for _, tt := range []struct {
		tracking   worker.TopicTracking
		getStatus  int
		getMsg     string
		resetMsg   string
		resetState int
	}{
		{worker.TopicTracking{Disabled: true}, 403, "Topic tracking is disabled.", "Topic tracking is disabled.", 403},
		{worker.TopicTracking{ResetDisabled: true}, 200, "", "Topic tracking reset is disabled.", 403},
	} {
		e := newEnvWith(t, lab.Options{TopicTracking: tt.tracking})
		n := name("tracking")
		if tt.getStatus == 403 {
			e.raw("GET", "/connectors/"+n+"/topics", "").expectError(t, "topics with tracking off", 403, tt.getMsg)
		} else if r := e.raw("GET", "/connectors/"+n+"/topics", ""); r.Status != tt.getStatus {
			t.Errorf("GET topics with only reset off: HTTP %d, want %d", r.Status, tt.getStatus)
		}
		e.raw("PUT", "/connectors/"+n+"/topics/reset", "").expectError(t, "topics reset", tt.resetState, tt.resetMsg)
	}
}
