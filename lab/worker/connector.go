package worker

import (
	"sort"
	"strconv"

	"github.com/cdcops/cdcops/lab/plugin"
)

// Target states, as written to the config topic (runtime/TargetState.java).
const (
	targetStarted = "STARTED"
	targetPaused  = "PAUSED"
	targetStopped = "STOPPED"
)

// Status states (runtime/AbstractStatus.State).
const (
	stateUnassigned = "UNASSIGNED"
	stateRunning    = "RUNNING"
	statePaused     = "PAUSED"
	stateFailed     = "FAILED"
	stateRestarting = "RESTARTING"
	stateStopped    = "STOPPED"
)

// connector is one connector's config-topic state (what the request side
// writes), its status-store state (what the supervisor reports), and the
// channel that wakes its supervisor. All fields are guarded by Worker.mu
// except runners, which only the supervisor goroutine touches.
type connector struct {
	name   string
	config map[string]string
	plugin plugin.Plugin
	target string
	// taskConfigs are the task configs in the "config topic": empty once
	// stopped (DistributedHerder.stopConnector writes an empty list first).
	taskConfigs  []map[string]string
	configGen    int // bumps on every config write
	deleted      bool
	restarts     []restartReq
	failReqs     []failReq
	activeTopics map[string]bool

	status *stateInfo         // nil until the supervisor first reports
	tasks  map[int]*stateInfo // by task id
	owner  map[int]uint64     // runner generation allowed to report per task

	wake chan struct{}
	quit chan struct{}
	hold chan struct{} // non-nil while a fault holds transitions

	runners map[int]taskRunner // supervisor-owned
	runGen  int                // configGen the runners were started with
	started bool               // runners reflect a non-stopped target
}

// stateInfo is one status record: state, trace and owning worker.
type stateInfo struct {
	State string
	Trace string
}

// failReq asks the supervisor to fail a task (Worker.FailTask).
type failReq struct {
	task  int
	trace string
	done  chan struct{}
}

// restartReq is a pending restart of the connector instance and/or tasks.
type restartReq struct {
	connector bool
	tasks     []int
}

func newConnector(name string, config map[string]string, p plugin.Plugin, target string) *connector {
	return &connector{
		name: name, config: config, plugin: p, target: target,
		tasks: map[int]*stateInfo{}, owner: map[int]uint64{},
		wake: make(chan struct{}, 1), quit: make(chan struct{}),
		runners: map[int]taskRunner{},
	}
}

// signal wakes the supervisor; it coalesces.
func (c *connector) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// shutdown ends the supervisor (worker Close); called under Worker.mu.
func (c *connector) shutdown() {
	select {
	case <-c.quit:
	default:
		close(c.quit)
	}
}

func (c *connector) typ() string {
	if c.plugin == nil {
		return "unknown"
	}
	return c.plugin.Type()
}

// maxTasks reads tasks.max (default 1).
func maxTasks(cfg map[string]string) int {
	n, err := strconv.Atoi(cfg["tasks.max"])
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// taskIDs lists the ids of the task configs, ascending.
func (c *connector) taskIDs() []int {
	ids := make([]int, len(c.taskConfigs))
	for i := range ids {
		ids[i] = i
	}
	return ids
}

// statusTasks lists reported task states sorted by id (AbstractHerder
// sorts them with Collections.sort).
func (c *connector) statusTasks() []int {
	ids := make([]int, 0, len(c.tasks))
	for id := range c.tasks {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

func copyConfig(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
