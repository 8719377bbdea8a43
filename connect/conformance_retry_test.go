package connect_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
)

const msgRebalance = "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"

// §1.5 409 during a rebalance (HerderRequestHandler): the worker's fault
// hook makes it answer 409; the client retries with backoff, gives up
// after its bound with ECONFLICT carrying the message, and honours ctx.
func TestConformanceRebalance409(t *testing.T) {
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
