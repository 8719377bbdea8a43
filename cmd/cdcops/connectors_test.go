package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
)

// testGlobals is what Main would build, pointed at a lab worker, with the
// output captured.
func testGlobals(connectURL, output string) (*globals, *bytes.Buffer) {
	var out bytes.Buffer
	return &globals{connectURL: connectURL, output: output, stdout: &out, stderr: io.Discard,
		log: slog.New(slog.DiscardHandler)}, &out
}

const testPGOffsets = `[{"partition":{"server":"dbserver1"},"offset":{"lsn":37208504,"txId":780}}]`

func createTestConnector(t *testing.T, c *connect.Client, name string, kv ...string) {
	t.Helper()
	cfg := map[string]string{"connector.class": "cdcops.lab.ScriptedSource", "tasks.max": "1",
		"lab.offsets": testPGOffsets, "offset.flush.interval.ms": "100"}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	if _, err := c.Create(context.Background(), connect.CreateRequest{Name: name, Config: cfg}); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

func TestConnectorsCommands(t *testing.T) {
	l := testenv.Lab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := connect.New(l.ConnectURL(), connect.WithPollInterval(50*time.Millisecond))
	createTestConnector(t, c, "inventory", "database.password", "hunter2")
	createTestConnector(t, c, "broken", "lab.fail", "true")
	if _, err := c.WaitFor(ctx, "inventory", connect.Running, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	wait := waitFlags{Timeout: 30 * time.Second}

	t.Run("list", func(t *testing.T) {
		g, out := testGlobals(l.ConnectURL(), "table")
		if err := runConnectorsList(ctx, g, connectorsListOptions{}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(out.String(), "\n")
		if !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "CLASS") {
			t.Errorf("header %q", lines[0])
		}
		if !strings.Contains(out.String(), "inventory") || !regexpLine(out.String(), "inventory", "source", "RUNNING", "1 RUNNING", "cdcops.lab.ScriptedSource") {
			t.Errorf("list output lacks the inventory row:\n%s", out)
		}
		g, out = testGlobals(l.ConnectURL(), "json")
		if err := runConnectorsList(ctx, g, connectorsListOptions{}); err != nil {
			t.Fatal(err)
		}
		var rows []connectorRow
		if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
			t.Fatalf("list -o json: %v\n%s", err, out)
		}
		if len(rows) != 2 || rows[1].Name != "inventory" || rows[1].Class != "cdcops.lab.ScriptedSource" || rows[1].Type != "source" {
			t.Errorf("list -o json rows = %+v", rows)
		}
	})

	t.Run("stop waits for STOPPED with no tasks", func(t *testing.T) {
		g, out := testGlobals(l.ConnectURL(), "table")
		if err := runConnectorsStop(ctx, g, connectorsStateOptions{Name: "inventory", waitFlags: wait}); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out.String()); got != "connector inventory is STOPPED, no tasks" {
			t.Errorf("stop printed %q", got)
		}
		// Checked right after the command returned, without polling: the
		// command itself must have waited.
		st, err := c.Status(ctx, "inventory")
		if err != nil || st.Connector.State != "STOPPED" || len(st.Tasks) != 0 {
			t.Errorf("after stop: %+v %v", st, err)
		}
	})

	t.Run("resume waits for RUNNING", func(t *testing.T) {
		g, out := testGlobals(l.ConnectURL(), "json")
		if err := runConnectorsResume(ctx, g, connectorsStateOptions{Name: "inventory", waitFlags: wait}); err != nil {
			t.Fatal(err)
		}
		var st connect.ConnectorStatus
		if err := json.Unmarshal(out.Bytes(), &st); err != nil || st.Connector.State != "RUNNING" || len(st.Tasks) != 1 || st.Tasks[0].State != "RUNNING" {
			t.Errorf("resume -o json = %s (%v)", out, err)
		}
	})

	t.Run("pause waits for PAUSED", func(t *testing.T) {
		g, _ := testGlobals(l.ConnectURL(), "table")
		if err := runConnectorsPause(ctx, g, connectorsStateOptions{Name: "inventory", waitFlags: wait}); err != nil {
			t.Fatal(err)
		}
		st, err := c.Status(ctx, "inventory")
		if err != nil || st.Connector.State != "PAUSED" || st.Tasks[0].State != "PAUSED" {
			t.Errorf("after pause: %+v %v", st, err)
		}
		if err := runConnectorsResume(ctx, g, connectorsStateOptions{Name: "inventory", waitFlags: wait}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("restart", func(t *testing.T) {
		g, out := testGlobals(l.ConnectURL(), "table")
		err := runConnectorsRestart(ctx, g, connectorsRestartOptions{Name: "inventory", IncludeTasks: true, OnlyFailed: true, waitFlags: wait})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "connector inventory is RUNNING, tasks 0 RUNNING") {
			t.Errorf("restart printed %q", out)
		}
	})

	t.Run("status shows traces", func(t *testing.T) {
		var st *connect.ConnectorStatus
		deadline := time.Now().Add(20 * time.Second)
		for {
			st, _ = c.Status(ctx, "broken")
			if st != nil && len(st.Tasks) > 0 && st.Tasks[0].State == "FAILED" || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		g, out := testGlobals(l.ConnectURL(), "table")
		if err := runConnectorsStatus(ctx, g, connectorsStatusOptions{Name: "broken"}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "task 0 trace:") || !strings.Contains(out.String(), "FAILED") {
			t.Errorf("status of a failed connector:\n%s", out)
		}
		// A wait that cannot succeed names the last state and the trace.
		g, _ = testGlobals(l.ConnectURL(), "table")
		err := runConnectorsResume(ctx, g, connectorsStateOptions{Name: "broken", waitFlags: waitFlags{Timeout: 300 * time.Millisecond}})
		if cdcops.ErrorCodeOf(err) != cdcops.ECONFLICT || !strings.Contains(err.Error(), "FAILED (") {
			t.Errorf("resume of a failing connector with a short timeout: %v", err)
		}
	})

	t.Run("delete prints what it deleted, secrets redacted", func(t *testing.T) {
		g, out := testGlobals(l.ConnectURL(), "table")
		if err := runConnectorsDelete(ctx, g, connectorsDeleteOptions{Name: "inventory", waitFlags: wait}); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		if !strings.HasPrefix(s, "deleted connector inventory (source, cdcops.lab.ScriptedSource, was RUNNING, 1 tasks)") {
			t.Errorf("delete printed:\n%s", s)
		}
		if strings.Contains(s, "hunter2") || !strings.Contains(s, "database.password") {
			t.Errorf("delete output must list database.password but not its value:\n%s", s)
		}
		names, err := c.List(ctx)
		if err != nil || len(names) != 1 || names[0] != "broken" {
			t.Errorf("after delete, connectors = %v %v", names, err)
		}
	})

	t.Run("errors through Main", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := Main(ctx, []string{"--connect", l.ConnectURL(), "connectors", "stop", "nope"}, strings.NewReader(""), &out, &errOut)
		if code != 3 || !strings.Contains(errOut.String(), "Unknown connector nope") || !strings.Contains(errOut.String(), "Hint: run `cdcops connectors list") {
			t.Errorf("stop unknown: exit %d, stderr %q", code, errOut.String())
		}
		errOut.Reset()
		code = Main(ctx, []string{"--connect", "http://127.0.0.1:1", "connectors", "list"}, strings.NewReader(""), &out, &errOut)
		if code != 3 || !strings.Contains(errOut.String(), "Hint: is Kafka Connect running at http://127.0.0.1:1? set --connect") {
			t.Errorf("unreachable worker: exit %d, stderr %q", code, errOut.String())
		}
		errOut.Reset()
		code = Main(ctx, []string{"connectors", "stop"}, strings.NewReader(""), &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), "needs a connector NAME") {
			t.Errorf("stop without NAME: exit %d, stderr %q", code, errOut.String())
		}
	})
}

// regexpLine reports whether some line holds all fields in order.
func regexpLine(s string, fields ...string) bool {
	for _, line := range strings.Split(s, "\n") {
		rest, ok := line, true
		for _, f := range fields {
			i := strings.Index(rest, f)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(f):]
		}
		if ok {
			return true
		}
	}
	return false
}
