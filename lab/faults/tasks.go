package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
)

// awaitReconfigured waits until the connector's task configs carry
// key=value (GET /connectors/{c}/tasks) and its tasks run again. A config
// PUT returns before the worker restarts the tasks; a fault is only in
// effect once the restarted task has it.
func awaitReconfigured(ctx context.Context, t Target, name, key, value string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	u := t.Connect.URL() + "/connectors/" + url.PathEscape(name) + "/tasks"
	for {
		var tasks []struct {
			Config map[string]string `json:"config"`
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			if resp.StatusCode == http.StatusOK {
				err = json.NewDecoder(resp.Body).Decode(&tasks)
			}
			resp.Body.Close()
		}
		if err == nil && len(tasks) > 0 && tasks[0].Config[key] == value {
			break
		}
		if time.Now().After(deadline) {
			return cdcops.Errorf(cdcops.EUNAVAILABLE, "check `cdcops connectors status "+name+"`",
				"connector %s did not pick up %s=%s within %s", name, key, value, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if _, err := t.Connect.WaitFor(ctx, name, connect.Running, time.Until(deadline)); err != nil {
		return fmt.Errorf("after reconfiguring %s: %w", name, err)
	}
	return nil
}
