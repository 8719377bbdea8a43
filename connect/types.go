package connect

// ServerInfo is the body of GET / (RootResource / ServerInfo.java).
type ServerInfo struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	KafkaClusterID string `json:"kafka_cluster_id"`
}

// TaskID names one task (ConnectorTaskId.java).
type TaskID struct {
	Connector string `json:"connector"`
	Task      int    `json:"task"`
}

// ConnectorInfo is a connector's config and task list (ConnectorInfo.java).
type ConnectorInfo struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Tasks  []TaskID          `json:"tasks"`
	Type   string            `json:"type"`
}

// State is the connector part of ConnectorStateInfo. Trace is only present
// when the connector failed (@JsonInclude(NON_EMPTY)).
type State struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

// TaskState is one task's status (ConnectorStateInfo.TaskState).
type TaskState struct {
	ID       int    `json:"id"`
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

// ConnectorStatus is the body of GET /connectors/{c}/status and of the 202
// answer to a restart with includeTasks/onlyFailed (ConnectorStateInfo.java).
type ConnectorStatus struct {
	Name      string      `json:"name"`
	Connector State       `json:"connector"`
	Tasks     []TaskState `json:"tasks"`
	Type      string      `json:"type"`
}

// Expanded is one value of GET /connectors?expand=status&expand=info.
type Expanded struct {
	Status *ConnectorStatus `json:"status,omitempty"`
	Info   *ConnectorInfo   `json:"info,omitempty"`
}

// CreateRequest is the body of POST /connectors. InitialState (KIP-980,
// Kafka ≥ 3.7) is RUNNING, PAUSED or STOPPED; empty means RUNNING.
type CreateRequest struct {
	Name         string            `json:"name"`
	Config       map[string]string `json:"config"`
	InitialState string            `json:"initial_state,omitempty"`
}

// RestartOptions are the query parameters of POST /connectors/{c}/restart.
// Both false restarts only the Connector instance (204, no body).
type RestartOptions struct {
	IncludeTasks bool
	OnlyFailed   bool
}

// ErrorBody is the body of every Connect error response (ErrorMessage.java).
type ErrorBody struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// messageBody is the {"message":…} body of offsets PATCH/DELETE (Message.java).
type messageBody struct {
	Message string `json:"message"`
}
