package connect

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// List is GET /connectors: the connector names, sorted.
func (c *Client) List(ctx context.Context) ([]string, error) {
	var names []string
	if err := c.getJSON(ctx, "/connectors", nil, &names); err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// Expansions of GET /connectors?expand=….
const (
	ExpandStatus = "status"
	ExpandInfo   = "info"
)

// ListExpanded is GET /connectors?expand=…&expand=…: per connector, the
// status and/or info. Connectors deleted while the worker built the answer
// are simply missing (ConnectorsResource.listConnectors).
func (c *Client) ListExpanded(ctx context.Context, expand ...string) (map[string]Expanded, error) {
	if len(expand) == 0 {
		expand = []string{ExpandStatus, ExpandInfo}
	}
	out := map[string]Expanded{}
	if err := c.getJSON(ctx, "/connectors", url.Values{"expand": expand}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Create is POST /connectors (201). A set InitialState needs Kafka ≥ 3.7.
func (c *Client) Create(ctx context.Context, req CreateRequest) (*ConnectorInfo, error) {
	if req.InitialState != "" {
		if err := c.require(ctx, "creating a connector with initial_state (KIP-980)", "3.7",
			func(k Capabilities) bool { return k.InitialState }); err != nil {
			return nil, err
		}
	}
	resp, err := c.do(ctx, http.MethodPost, "/connectors", nil, req)
	if err != nil {
		return nil, err
	}
	var info ConnectorInfo
	return &info, decode(http.MethodPost, "/connectors", resp, &info)
}

// Get is GET /connectors/{c}.
func (c *Client) Get(ctx context.Context, name string) (*ConnectorInfo, error) {
	var info ConnectorInfo
	if err := c.getJSON(ctx, connectorPath(name, ""), nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Config is GET /connectors/{c}/config.
func (c *Client) Config(ctx context.Context, name string) (map[string]string, error) {
	cfg := map[string]string{}
	if err := c.getJSON(ctx, connectorPath(name, "/config"), nil, &cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// PutConfig is PUT /connectors/{c}/config: creates (201, created=true) or
// updates (200) the connector.
func (c *Client) PutConfig(ctx context.Context, name string, config map[string]string) (info *ConnectorInfo, created bool, err error) {
	path := connectorPath(name, "/config")
	resp, err := c.do(ctx, http.MethodPut, path, nil, config)
	if err != nil {
		return nil, false, err
	}
	info = &ConnectorInfo{}
	return info, resp.status == http.StatusCreated, decode(http.MethodPut, path, resp, info)
}

// PatchConfig is PATCH /connectors/{c}/config (Kafka ≥ 3.8): only the given
// keys change; a nil value removes the key.
func (c *Client) PatchConfig(ctx context.Context, name string, patch map[string]*string) (*ConnectorInfo, error) {
	const what = "PATCH /connectors/{name}/config"
	if err := c.require(ctx, what, "3.8", func(k Capabilities) bool { return k.PatchConfig }); err != nil {
		return nil, err
	}
	path := connectorPath(name, "/config")
	resp, err := c.do(ctx, http.MethodPatch, path, nil, patch)
	if err != nil {
		return nil, c.missingEndpoint(err, what, "3.8")
	}
	var info ConnectorInfo
	return &info, decode(http.MethodPatch, path, resp, &info)
}

// Status is GET /connectors/{c}/status, tasks sorted by id.
func (c *Client) Status(ctx context.Context, name string) (*ConnectorStatus, error) {
	var st ConnectorStatus
	if err := c.getJSON(ctx, connectorPath(name, "/status"), nil, &st); err != nil {
		return nil, err
	}
	if st.Tasks == nil {
		st.Tasks = []TaskState{}
	}
	return &st, nil
}

// TaskStatus is GET /connectors/{c}/tasks/{t}/status.
func (c *Client) TaskStatus(ctx context.Context, name string, task int) (*TaskState, error) {
	var ts TaskState
	if err := c.getJSON(ctx, connectorPath(name, "/tasks/"+strconv.Itoa(task)+"/status"), nil, &ts); err != nil {
		return nil, err
	}
	return &ts, nil
}

// Pause is PUT /connectors/{c}/pause (202). The state changes later: use WaitFor.
func (c *Client) Pause(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodPut, connectorPath(name, "/pause"), nil, nil)
	return err
}

// Resume is PUT /connectors/{c}/resume (202); it also starts a STOPPED connector.
func (c *Client) Resume(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodPut, connectorPath(name, "/resume"), nil, nil)
	return err
}

// Stop is PUT /connectors/{c}/stop (204, Kafka ≥ 3.5). The connector reports
// STOPPED with no tasks a moment later: WaitFor(ctx, name, Stopped, …).
func (c *Client) Stop(ctx context.Context, name string) error {
	const what = "PUT /connectors/{name}/stop"
	if err := c.require(ctx, what, "3.5", func(k Capabilities) bool { return k.Stop }); err != nil {
		return err
	}
	_, err := c.do(ctx, http.MethodPut, connectorPath(name, "/stop"), nil, nil)
	return c.missingEndpoint(err, what, "3.5")
}

// Restart is POST /connectors/{c}/restart. With neither option it restarts
// only the Connector instance and returns (nil, nil) on 204; otherwise the
// worker answers 202 with the status, instances about to restart shown as
// RESTARTING.
func (c *Client) Restart(ctx context.Context, name string, opts RestartOptions) (*ConnectorStatus, error) {
	var q url.Values
	if opts.IncludeTasks || opts.OnlyFailed {
		q = url.Values{"includeTasks": {strconv.FormatBool(opts.IncludeTasks)}, "onlyFailed": {strconv.FormatBool(opts.OnlyFailed)}}
	}
	path := connectorPath(name, "/restart")
	resp, err := c.do(ctx, http.MethodPost, path, q, nil)
	if err != nil {
		return nil, err
	}
	if resp.status == http.StatusNoContent || len(strings.TrimSpace(string(resp.body))) == 0 {
		return nil, nil
	}
	var st ConnectorStatus
	return &st, decode(http.MethodPost, path, resp, &st)
}

// RestartTask is POST /connectors/{c}/tasks/{t}/restart (204).
func (c *Client) RestartTask(ctx context.Context, name string, task int) error {
	_, err := c.do(ctx, http.MethodPost, connectorPath(name, "/tasks/"+strconv.Itoa(task)+"/restart"), nil, nil)
	return err
}

// Delete is DELETE /connectors/{c} (204). Its offsets stay in the offsets
// topic / consumer group, as in Connect.
func (c *Client) Delete(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodDelete, connectorPath(name, ""), nil, nil)
	return err
}

// Topics is GET /connectors/{c}/topics: the topics the connector used.
func (c *Client) Topics(ctx context.Context, name string) ([]string, error) {
	var out map[string]struct {
		Topics []string `json:"topics"`
	}
	if err := c.getJSON(ctx, connectorPath(name, "/topics"), nil, &out); err != nil {
		return nil, err
	}
	topics := out[name].Topics
	if topics == nil {
		topics = []string{}
	}
	return topics, nil
}

// ResetTopics is PUT /connectors/{c}/topics/reset (202).
func (c *Client) ResetTopics(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodPut, connectorPath(name, "/topics/reset"), nil, nil)
	return err
}
