package connect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
)

// Want is a condition on a connector's status that WaitFor polls for.
type Want struct {
	Desc string // for messages: "RUNNING with all tasks RUNNING"
	Done func(*ConnectorStatus) bool
}

// Conditions for the lifecycle commands. Connect moves states
// asynchronously (the status topic is consumed in the background), so a
// 2xx answer to pause/stop/resume is only the start of the change.
var (
	// Running: connector RUNNING and at least one task, all RUNNING.
	Running = Want{"RUNNING with all tasks RUNNING", func(s *ConnectorStatus) bool {
		return s.Connector.State == cdcops.StateRunning && len(s.Tasks) > 0 && allTasks(s, cdcops.StateRunning)
	}}
	// Paused: connector PAUSED and every task PAUSED.
	Paused = Want{"PAUSED with all tasks PAUSED", func(s *ConnectorStatus) bool {
		return s.Connector.State == cdcops.StatePaused && allTasks(s, cdcops.StatePaused)
	}}
	// Stopped: connector STOPPED and "tasks": [] (spec §1.4), the precondition
	// of offsets PATCH/DELETE.
	Stopped = Want{"STOPPED with no tasks", func(s *ConnectorStatus) bool {
		return s.Connector.State == cdcops.StateStopped && len(s.Tasks) == 0
	}}
)

// RestartedFrom is the condition that ends a restart. planned is the 202
// body of Restart (nil for the 204 connector-only restart, which Connect
// completes before answering: then it is Running). Connect carries out a
// 202 restart asynchronously, so a status read right after it can still be
// the old RUNNING: the condition first wants to see a planned instance
// leave RUNNING, or grace to pass, and then Running.
func RestartedFrom(planned *ConnectorStatus, grace time.Duration) Want {
	if planned == nil {
		return Running
	}
	conn := planned.Connector.State == cdcops.StateRestarting
	tasks := map[int]bool{}
	for _, t := range planned.Tasks {
		if t.State == cdcops.StateRestarting {
			tasks[t.ID] = true
		}
	}
	if !conn && len(tasks) == 0 {
		return Running
	}
	seen, start := false, time.Now()
	return Want{"RUNNING again after the restart", func(s *ConnectorStatus) bool {
		if conn && s.Connector.State != cdcops.StateRunning {
			seen = true
		}
		for _, t := range s.Tasks {
			if tasks[t.ID] && t.State != cdcops.StateRunning {
				seen = true
			}
		}
		return (seen || time.Since(start) > grace) && Running.Done(s)
	}}
}

// WantState is Running, Paused or Stopped by name, or, for any other state,
// "connector in that state".
func WantState(state string) Want {
	switch strings.ToUpper(state) {
	case cdcops.StateRunning:
		return Running
	case cdcops.StatePaused:
		return Paused
	case cdcops.StateStopped:
		return Stopped
	}
	st := strings.ToUpper(state)
	return Want{st, func(s *ConnectorStatus) bool { return s.Connector.State == st }}
}

func allTasks(s *ConnectorStatus, state string) bool {
	for _, t := range s.Tasks {
		if t.State != state {
			return false
		}
	}
	return true
}

// WaitFor polls GET /connectors/{c}/status until want holds, timeout passes
// or ctx ends. A missing status (404 right after create) counts as "not
// yet". On timeout the error shows the last state seen, with the first
// line of a FAILED connector's or task's trace.
func (c *Client) WaitFor(ctx context.Context, name string, want Want, timeout time.Duration) (*ConnectorStatus, error) {
	if timeout <= 0 {
		timeout = time.Minute
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(c.poll)
	defer tick.Stop()
	var last *ConnectorStatus
	var lastErr error
	for {
		st, err := c.Status(ctx, name)
		switch {
		case err == nil:
			last, lastErr = st, nil
			if want.Done(st) {
				return st, nil
			}
		case cdcops.ErrorCodeOf(err) == cdcops.ENOTFOUND:
			lastErr = err // not there yet, or deleted meanwhile: keep asking
		default:
			return last, err
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("waiting for connector %s to be %s: %w", name, want.Desc, ctx.Err())
		case <-deadline.C:
			return last, waitTimeout(name, want, timeout, last, lastErr)
		case <-tick.C:
		}
	}
}

// WaitGone polls GET /connectors until name is no longer listed.
func (c *Client) WaitGone(ctx context.Context, name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		names, err := c.List(ctx)
		if err != nil {
			return err
		}
		found := false
		for _, n := range names {
			found = found || n == name
		}
		if !found {
			return nil
		}
		if time.Now().After(deadline) {
			return cdcops.Errorf(cdcops.ECONFLICT, "check the worker's log; raise --timeout if it is slow",
				"connector %s is still listed %s after it was deleted", name, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(c.poll):
		}
	}
}

func waitTimeout(name string, want Want, timeout time.Duration, last *ConnectorStatus, lastErr error) error {
	seen := "no status at all"
	if last != nil {
		seen = Describe(last)
	} else if lastErr != nil {
		seen = "no status (" + lastErr.Error() + ")"
	}
	return &cdcops.Error{
		Code: cdcops.ECONFLICT,
		Msg:  fmt.Sprintf("connector %s is not %s after %s; last seen: %s", name, want.Desc, timeout, seen),
		Hint: fmt.Sprintf("run `cdcops connectors status %s` for traces; raise --timeout if the worker is slow", name),
		Err:  errors.New("timed out"),
	}
}

// Describe summarises a status in one line: "RUNNING, tasks 0 RUNNING,
// 1 FAILED (java.lang.IllegalStateException: boom)".
func Describe(s *ConnectorStatus) string {
	var b strings.Builder
	b.WriteString(s.Connector.State)
	if s.Connector.Trace != "" {
		fmt.Fprintf(&b, " (%s)", FirstLine(s.Connector.Trace))
	}
	if len(s.Tasks) == 0 {
		b.WriteString(", no tasks")
		return b.String()
	}
	b.WriteString(", tasks")
	for i, t := range s.Tasks {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %d %s", t.ID, t.State)
		if t.State == cdcops.StateFailed && t.Trace != "" {
			fmt.Fprintf(&b, " (%s)", FirstLine(t.Trace))
		}
	}
	return b.String()
}

// FirstLine is a Java stack trace's first line: the exception and message.
func FirstLine(trace string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(trace), "\n")
	return strings.TrimSpace(line)
}
