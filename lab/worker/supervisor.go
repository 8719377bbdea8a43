package worker

import (
	"sync/atomic"
	"time"

	"github.com/cdcops/cdcops/lab/plugin"
)

// The supervisor is the worker's "tick thread" for one connector: REST
// handlers only write the desired state (config, target state, restart
// requests) and wake it; it starts, pauses, restarts and stops tasks and
// writes the status a moment later, so status moves asynchronously as with
// a real worker and clients have to poll.

// taskRunner runs one task; see source.go and sink.go.
type taskRunner interface {
	setPaused(paused bool)
	// stop stops the task (a final offset flush for sources, a final
	// commit and group leave for sinks) and returns when it is done.
	stop()
	// fail stops the task and reports it FAILED with trace.
	fail(trace string)
}

var runnerGen atomic.Uint64

func (w *Worker) startSupervisor(c *connector) {
	w.wg.Add(1)
	go w.supervise(c)
	c.signal()
}

func (w *Worker) supervise(c *connector) {
	defer w.wg.Done()
	for {
		select {
		case <-c.quit:
			w.stopRunners(c)
			w.drainFails(c)
			return
		case <-c.wake:
		}
		w.mu.Lock()
		fails := c.failReqs
		c.failReqs = nil
		w.mu.Unlock()
		for _, f := range fails {
			if r, ok := c.runners[f.task]; ok {
				r.fail(f.trace)
			}
			close(f.done)
		}
		w.mu.Lock()
		hold := c.hold
		w.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-c.quit:
				w.stopRunners(c)
				w.drainFails(c)
				return
			}
		}
		select {
		case <-time.After(w.opts.TransitionDelay):
		case <-c.quit:
			w.stopRunners(c)
			w.drainFails(c)
			return
		}
		if w.reconcile(c) {
			w.drainFails(c)
			return
		}
	}
}

// reconcile makes the running tasks match the desired state; it returns
// true when the connector was deleted and the supervisor should exit.
func (w *Worker) reconcile(c *connector) bool {
	w.mu.Lock()
	deleted, target, gen, p := c.deleted, c.target, c.configGen, c.plugin
	cfg := copyConfig(c.config)
	restarts := c.restarts
	c.restarts = nil
	w.mu.Unlock()

	if deleted {
		w.stopRunners(c)
		w.mu.Lock()
		c.status, c.tasks = nil, map[int]*stateInfo{}
		w.mu.Unlock()
		return true
	}
	if target == targetStopped {
		w.stopRunners(c)
		c.started = false
		w.mu.Lock()
		c.status = &stateInfo{State: stateStopped}
		c.tasks, c.owner = map[int]*stateInfo{}, map[int]uint64{}
		w.mu.Unlock()
		return false
	}
	paused := target == targetPaused
	connRestart := false
	for _, r := range restarts {
		connRestart = connRestart || r.connector
	}
	w.mu.Lock()
	connFailed := c.status != nil && c.status.State == stateFailed && len(c.taskConfigs) == 0
	w.mu.Unlock()
	regenerate := !c.started || c.runGen != gen || (connRestart && connFailed)
	if regenerate {
		// First start, resume from STOPPED, or a new config: the connector
		// instance (re)generates its task configs and all tasks restart.
		w.stopRunners(c)
		c.started, c.runGen = true, gen
		taskConfigs, err := p.TaskConfigs(cfg, maxTasks(cfg))
		if err != nil {
			w.mu.Lock()
			c.status = &stateInfo{State: stateFailed, Trace: javaTrace(javaConnectException, err.Error(), "Connector.taskConfigs")}
			c.taskConfigs, c.tasks = nil, map[int]*stateInfo{}
			w.mu.Unlock()
			return false
		}
		w.mu.Lock()
		c.taskConfigs = taskConfigs
		c.tasks, c.owner = map[int]*stateInfo{}, map[int]uint64{}
		w.mu.Unlock()
		for id, tc := range taskConfigs {
			w.startTask(c, p, id, cfg, tc, paused)
		}
	} else {
		for _, r := range restarts {
			for _, id := range r.tasks {
				if old, ok := c.runners[id]; ok {
					old.stop()
					delete(c.runners, id)
				}
				w.mu.Lock()
				var tc map[string]string
				if id < len(c.taskConfigs) {
					tc = c.taskConfigs[id]
				}
				w.mu.Unlock()
				if tc != nil {
					w.startTask(c, p, id, cfg, tc, paused)
				}
			}
		}
	}
	for _, r := range c.runners {
		r.setPaused(paused)
	}
	w.mu.Lock()
	if regenerate || connRestart || c.status == nil || c.status.State != stateFailed {
		st := stateRunning
		if paused {
			st = statePaused
		}
		c.status = &stateInfo{State: st}
	}
	w.mu.Unlock()
	return false
}

// startTask starts a runner for task id and makes it the only one allowed
// to report that task's status.
func (w *Worker) startTask(c *connector, p plugin.Plugin, id int, connCfg, taskCfg map[string]string, paused bool) {
	gen := runnerGen.Add(1)
	w.mu.Lock()
	c.owner[id] = gen
	c.tasks[id] = &stateInfo{State: stateUnassigned}
	w.mu.Unlock()
	t := taskRef{w: w, c: c, plugin: p, id: id, gen: gen, connCfg: connCfg, taskCfg: mergeConfig(connCfg, taskCfg)}
	if p.Type() == "sink" {
		c.runners[id] = startSinkTask(t, paused)
	} else {
		c.runners[id] = startSourceTask(t, paused)
	}
}

func (w *Worker) stopRunners(c *connector) {
	for id, r := range c.runners {
		r.stop()
		delete(c.runners, id)
	}
}

// taskRef identifies one run of one task.
type taskRef struct {
	w       *Worker
	c       *connector
	plugin  plugin.Plugin
	id      int
	gen     uint64
	connCfg map[string]string // the connector config
	taskCfg map[string]string // connector config overlaid with the task config
}

// report writes the task's status if this run still owns the task.
func (t taskRef) report(state, trace string) {
	t.w.mu.Lock()
	defer t.w.mu.Unlock()
	if t.c.owner[t.id] != t.gen {
		return
	}
	t.c.tasks[t.id] = &stateInfo{State: state, Trace: trace}
}

// failed reports whether this run's task is FAILED.
func (t taskRef) failed() bool {
	t.w.mu.Lock()
	defer t.w.mu.Unlock()
	s := t.c.tasks[t.id]
	return t.c.owner[t.id] == t.gen && s != nil && s.State == stateFailed
}

func mergeConfig(base, over map[string]string) map[string]string {
	out := copyConfig(base)
	for k, v := range over {
		out[k] = v
	}
	return out
}

// drainFails releases FailTask callers when the supervisor exits.
func (w *Worker) drainFails(c *connector) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range c.failReqs {
		close(f.done)
	}
	c.failReqs = nil
}
