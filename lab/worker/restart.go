package worker

// Restarts (AbstractHerder.buildRestartPlan, DistributedHerder.restartConnector,
// restartConnectorAndTasks, restartTask).

// restartConnector restarts only the connector instance (POST /restart
// with no query parameters → 204).
func (w *Worker) restartConnector(name string) *restError {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.connectors[name]
	if c == nil {
		return errNotFound(msgUnknownConnectorColon(name))
	}
	c.restarts = append(c.restarts, restartReq{connector: true})
	c.signal()
	return nil
}

// restartConnectorAndTasks plans a restart like buildRestartPlan: the
// connector restarts unless onlyFailed and it is not FAILED; tasks restart
// if includeTasks and (not onlyFailed or the task is FAILED). The returned
// status shows every instance that will restart as RESTARTING (202 body).
func (w *Worker) restartConnectorAndTasks(name string, includeTasks, onlyFailed bool) (connectorStateInfo, *restError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.connectors[name]
	if c == nil {
		return connectorStateInfo{}, errNotFound(msgUnknownConnectorColon(name))
	}
	if c.status == nil {
		return connectorStateInfo{}, errNotFound(msgRestartStatusNotFound(name))
	}
	req := restartReq{connector: !onlyFailed || c.status.State == stateFailed}
	if includeTasks {
		for _, id := range c.statusTasks() {
			if !onlyFailed || c.tasks[id].State == stateFailed {
				req.tasks = append(req.tasks, id)
			}
		}
	}
	if req.connector {
		c.status = &stateInfo{State: stateRestarting}
	}
	for _, id := range req.tasks {
		c.tasks[id] = &stateInfo{State: stateRestarting}
	}
	if req.connector || len(req.tasks) > 0 {
		c.restarts = append(c.restarts, req)
		c.signal()
	}
	st, _ := w.stateInfoLocked(c)
	return st, nil
}

// restartTask restarts one task (POST /connectors/{c}/tasks/{t}/restart → 204).
func (w *Worker) restartTask(name string, id int) *restError {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.connectors[name]
	if c == nil {
		return errNotFound(msgUnknownConnectorColon(name))
	}
	if id < 0 || id >= len(c.taskConfigs) {
		return errNotFound(msgUnknownTask(name, id))
	}
	c.restarts = append(c.restarts, restartReq{tasks: []int{id}})
	c.signal()
	return nil
}
