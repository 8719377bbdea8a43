package worker

// JSON shapes of rest/entities: ConnectorInfo, ConnectorStateInfo,
// TaskInfo, ConnectorTaskId. Field order follows what Connect prints.

type taskID struct {
	Connector string `json:"connector"`
	Task      int    `json:"task"`
}

type connectorInfo struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Tasks  []taskID          `json:"tasks"`
	Type   string            `json:"type"`
}

// Version is the plugin version, in status since 4.1 (KIP-891, delta K5);
// Connect leaves it out only when the plugin's version is "undefined".
type connectorState struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"` // @JsonInclude(NON_EMPTY)
	Version  string `json:"version,omitempty"`
}

type taskState struct {
	ID       int    `json:"id"`
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
	Version  string `json:"version,omitempty"`
}

type connectorStateInfo struct {
	Name      string         `json:"name"`
	Connector connectorState `json:"connector"`
	Tasks     []taskState    `json:"tasks"`
	Type      string         `json:"type"`
}

type taskInfo struct {
	ID     taskID            `json:"id"`
	Config map[string]string `json:"config"`
}

// info builds ConnectorInfo; called under Worker.mu.
func (c *connector) info() connectorInfo {
	tasks := make([]taskID, 0, len(c.taskConfigs))
	for _, id := range c.taskIDs() {
		tasks = append(tasks, taskID{c.name, id})
	}
	return connectorInfo{Name: c.name, Config: copyConfig(c.config), Tasks: tasks, Type: c.typ()}
}

// stateInfo builds ConnectorStateInfo; called under Worker.mu. ok is false
// when no status has been reported yet (404 "No status found").
func (w *Worker) stateInfoLocked(c *connector) (connectorStateInfo, bool) {
	if c.status == nil {
		return connectorStateInfo{}, false
	}
	out := connectorStateInfo{
		Name:      c.name,
		Connector: connectorState{State: c.status.State, WorkerID: w.workerID, Trace: c.status.Trace, Version: pluginVersion},
		Tasks:     []taskState{},
		Type:      c.typ(),
	}
	for _, id := range c.statusTasks() {
		s := c.tasks[id]
		out.Tasks = append(out.Tasks, taskState{ID: id, State: s.State, WorkerID: w.workerID, Trace: s.Trace, Version: pluginVersion})
	}
	return out, true
}

// connectorStatus answers GET /connectors/{c}/status.
func (w *Worker) connectorStatus(name string) (connectorStateInfo, *restError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.connectors[name]
	if c == nil {
		return connectorStateInfo{}, errNotFound(msgNoConnectorStatus(name))
	}
	st, ok := w.stateInfoLocked(c)
	if !ok {
		return st, errNotFound(msgNoConnectorStatus(name))
	}
	return st, nil
}

// taskStatus answers GET /connectors/{c}/tasks/{t}/status.
func (w *Worker) taskStatus(name string, id int) (taskState, *restError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.connectors[name]
	if c == nil || c.tasks[id] == nil {
		return taskState{}, errNotFound(msgNoTaskStatus(name, id))
	}
	s := c.tasks[id]
	return taskState{ID: id, State: s.State, WorkerID: w.workerID, Trace: s.Trace, Version: pluginVersion}, nil
}

// connectorInfo answers GET /connectors/{c}.
func (w *Worker) connectorInfo(name string) (connectorInfo, *restError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.connectors[name]
	if c == nil {
		return connectorInfo{}, errNotFound(msgConnectorNotFound(name))
	}
	return c.info(), nil
}

// taskInfos answers GET /connectors/{c}/tasks.
func (w *Worker) taskInfos(name string) ([]taskInfo, *restError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.connectors[name]
	if c == nil {
		return nil, errNotFound(msgConnectorNotFound(name))
	}
	out := []taskInfo{}
	for id, tc := range c.taskConfigs {
		out = append(out, taskInfo{ID: taskID{name, id}, Config: copyConfig(tc)})
	}
	return out, nil
}
