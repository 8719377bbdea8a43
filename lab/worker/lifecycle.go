package worker

import (
	"context"
	"log/slog"
	"sync"
)

// taskLifecycle is the start/pause/stop state a source and a sink task
// runner share (WorkerTask's part of WorkerSourceTask and WorkerSinkTask):
// status is RUNNING or PAUSED only once the task's Start returned, and never
// overwrites a FAILED one.
type taskLifecycle struct {
	t      taskRef
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the runner's goroutine ends
	log    *slog.Logger

	stateMu sync.Mutex
	started bool // Start returned; status may show RUNNING/PAUSED
	paused  bool
	resume  chan struct{} // closed when unpaused
}

// init prepares a runner of task t that starts paused or not.
func (l *taskLifecycle) init(t taskRef, paused bool) {
	l.t = t
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.done = make(chan struct{})
	l.log = t.w.log.With("connector", t.c.name, "task", t.id)
	l.paused = paused
	if paused {
		l.resume = make(chan struct{})
	}
}

// failStart reports a task that could not start FAILED, unless the failure
// is the runner being stopped or failed on purpose.
func (l *taskLifecycle) failStart(err error, where string) {
	if l.ctx.Err() == nil {
		l.t.report(stateFailed, javaTrace(javaConnectException, err.Error(), where))
	}
}

// markStarted records that Start returned and reports RUNNING or PAUSED.
func (l *taskLifecycle) markStarted() {
	l.stateMu.Lock()
	l.started = true
	l.stateMu.Unlock()
	l.reportRunning()
}

func (l *taskLifecycle) reportRunning() {
	l.stateMu.Lock()
	paused, started := l.paused, l.started
	l.stateMu.Unlock()
	if !started || l.t.failed() || l.ctx.Err() != nil {
		return
	}
	if paused {
		l.t.report(statePaused, "")
	} else {
		l.t.report(stateRunning, "")
	}
}

// setPaused stops handing records to or taking them from the task; a sink's
// consumer stays in its group, as a paused Connect sink's does.
func (l *taskLifecycle) setPaused(paused bool) {
	l.stateMu.Lock()
	if paused && !l.paused {
		l.resume = make(chan struct{})
	} else if !paused && l.paused {
		close(l.resume)
	}
	l.paused = paused
	l.stateMu.Unlock()
	if !l.t.failed() {
		select {
		case <-l.done:
		default:
			l.reportRunning()
		}
	}
}

// waitUnpaused blocks while paused; false means the task is stopping.
func (l *taskLifecycle) waitUnpaused() bool {
	l.stateMu.Lock()
	ch, paused := l.resume, l.paused
	l.stateMu.Unlock()
	if paused {
		select {
		case <-ch:
		case <-l.ctx.Done():
			return false
		}
	}
	return l.ctx.Err() == nil
}

func (l *taskLifecycle) stop() {
	l.cancel()
	<-l.done
}

func (l *taskLifecycle) fail(trace string) {
	l.t.report(stateFailed, trace)
	l.stop()
}
