package worker

import (
	"fmt"
	"time"
)

// faults are the fault hooks tests and `cdcops lab fault` use to rehearse
// what goes wrong with a real Connect cluster. Guarded by Worker.mu.
type faults struct {
	rebalance  int                      // next N mutating requests answer with mutationFault
	mutation   MutationFault            // what they answer
	flushHeld  map[string]bool          // connector -> offset flushes suspended
	flushDelay map[string]time.Duration // connector -> delay before each flush
}

// MutationFault is how FailNextMutations makes a request fail: one of the
// errors rest/HerderRequestHandler.java gives while a cluster is unsettled.
type MutationFault int

const (
	// FaultRebalance: 409 "Cannot complete request momentarily due to stale configuration ...".
	FaultRebalance MutationFault = iota
	// FaultNoLeader: 409 "... due to no known leader URL, likely because a rebalance was underway."
	FaultNoLeader
	// FaultConflict: 409 "Cannot complete request because of a conflicting operation (e.g. worker rebalance)".
	FaultConflict
	// FaultTimeout: 500 "Request timed out. The worker is currently …" (the 3.9+ text).
	FaultTimeout
)

func (f MutationFault) response() (int, string) {
	switch f {
	case FaultNoLeader:
		return 409, msgNoLeader
	case FaultConflict:
		return 409, msgConflictingOperation
	case FaultTimeout:
		return 500, msgRequestTimedOutStage("handling a request", time.Now())
	default:
		return 409, msgRebalance
	}
}

// RejectNextMutations makes the next n mutating REST requests (POST, PUT,
// PATCH, DELETE) answer 409 with Connect's rebalance message, as a worker
// does while a rebalance is pending, so client retries can be tested.
func (w *Worker) RejectNextMutations(n int) { w.FailNextMutations(n, FaultRebalance) }

// FailNextMutations makes the next n mutating REST requests fail with f
// instead of being carried out.
func (w *Worker) FailNextMutations(n int, f MutationFault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.faults.rebalance, w.faults.mutation = n, f
}

// takeMutationFault consumes one pending injected failure, if any.
func (w *Worker) takeMutationFault() (code int, msg string, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.faults.rebalance > 0 {
		w.faults.rebalance--
		code, msg = w.faults.mutation.response()
		return code, msg, true
	}
	return 0, "", false
}

// SuspendOffsetFlush stops the connector's tasks from flushing source
// offsets (including the final flush on stop) until the returned resume
// func is called, so the offsets topic goes stale while records still flow.
func (w *Worker) SuspendOffsetFlush(connector string) (resume func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.faults.flushHeld == nil {
		w.faults.flushHeld = map[string]bool{}
	}
	w.faults.flushHeld[connector] = true
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.faults.flushHeld, connector)
	}
}

// DelayOffsetFlush makes every offset flush of the connector wait d before
// writing (0 removes the delay).
func (w *Worker) DelayOffsetFlush(connector string, d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.faults.flushDelay == nil {
		w.faults.flushDelay = map[string]time.Duration{}
	}
	if d <= 0 {
		delete(w.faults.flushDelay, connector)
		return
	}
	w.faults.flushDelay[connector] = d
}

func (w *Worker) flushFault(connector string) (delay time.Duration, held bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.faults.flushDelay[connector], w.faults.flushHeld[connector]
}

// FailTask (blocks while transitions are held) stops a running task and reports it FAILED with a Java-style
// trace whose first line is "org.apache.kafka.connect.errors.ConnectException: msg".
// `restart` brings it back, as with a real failure.
func (w *Worker) FailTask(connector string, task int, msg string) error {
	c := w.lookup(connector)
	if c == nil {
		return fmt.Errorf("%s", msgConnectorNotFound(connector))
	}
	w.mu.Lock()
	_, ok := c.owner[task]
	if w.closed || c.deleted {
		w.mu.Unlock()
		return fmt.Errorf("%s", msgConnectorNotFound(connector))
	}
	done := make(chan struct{})
	if ok {
		c.failReqs = append(c.failReqs, failReq{task: task, trace: javaTrace(javaConnectException, msg, "Worker.FailTask"), done: done})
	}
	w.mu.Unlock()
	if !ok {
		return fmt.Errorf("%s", msgUnknownTask(connector, task))
	}
	c.signal()
	<-done // the supervisor owns the runners; it fails the task and closes done
	return nil
}

// HoldTransitions stops the connector's supervisor from acting on new
// requests until release is called: status keeps showing the old state,
// which makes "the client must poll" testable without timing.
func (w *Worker) HoldTransitions(connector string) (release func(), err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.connectors[connector]
	if c == nil {
		return nil, fmt.Errorf("%s", msgConnectorNotFound(connector))
	}
	ch := make(chan struct{})
	c.hold = ch
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if c.hold == ch {
			c.hold = nil
			close(ch)
		}
	}, nil
}
