package connect_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
)

// §1.1 GET /: server info; the version gives every endpoint the client knows.
func TestConformanceServerInfo(t *testing.T) {
	forEachWorker(t, func(t *testing.T, e *env) {
		conformServerInfo(t, e)
	})
}

func conformServerInfo(t *testing.T, e *env) {
	r := e.raw("GET", "/", "")
	r.expect(t, "GET /", 200, "-")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET / Content-Type %q, want application/json", ct)
	}
	body := decodeJSON[map[string]any](t, "GET /", r.Body)
	for _, k := range []string{"version", "commit", "kafka_cluster_id"} {
		if s, _ := body[k].(string); s == "" {
			t.Errorf("GET / %s = %v, want a non-empty string (body %s)", k, body[k], r.Body)
		}
	}
	if len(body) != 3 {
		t.Errorf("GET / has keys %v, want version, commit, kafka_cluster_id only", body)
	}
	caps, err := e.c.Capabilities(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if caps.Raw != e.version || !caps.Stop || !caps.GetOffsets || !caps.AlterOffsets || !caps.ResetOffsets || !caps.InitialState || caps.PatchConfig != e.expect().patchConfig {
		t.Errorf("capabilities = %+v, want Connect %s semantics", caps, e.version)
	}
}

// §1.1 POST /connectors → 201 + Location + ConnectorInfo; GET connector,
// GET config; list; PUT config 201 create vs 200 update.
func TestConformanceCreateGetConfig(t *testing.T) {
	forEachWorker(t, conformCreateGetConfig)
}

func conformCreateGetConfig(t *testing.T, e *env) {
	n := name("create")
	src := e.source()
	body, _ := json.Marshal(map[string]any{"name": n, "config": src})
	r := e.raw("POST", "/connectors", string(body))
	r.expect(t, "POST /connectors", 201, "-")
	if e.real {
		t.Cleanup(func() { _ = e.c.Delete(context.Background(), n) })
	}
	if loc := r.Header.Get("Location"); !strings.HasSuffix(loc, "/connectors/"+n) {
		t.Errorf("Location = %q, want …/connectors/%s", loc, n)
	}
	info := decodeJSON[map[string]any](t, "create body", r.Body)
	keys := sortedKeys(info)
	if strings.Join(keys, ",") != "config,name,tasks,type" {
		t.Errorf("ConnectorInfo keys %v, want config,name,tasks,type", keys)
	}
	if info["name"] != n || info["type"] != "source" {
		t.Errorf("ConnectorInfo = %s", r.Body)
	}
	// The answer is built from the config snapshot before the write, so a
	// new connector has no task configs yet (DistributedHerder.doPutConnectorConfig).
	if tasks, ok := info["tasks"].([]any); !ok || len(tasks) != 0 {
		t.Errorf("POST /connectors tasks = %v, want [] for a new connector", info["tasks"])
	}
	if cfg, _ := info["config"].(map[string]any); cfg["name"] != n {
		t.Errorf("config.name = %v, want %s (Connect puts the name into the config)", cfg["name"], n)
	}

	e.waitFor(n, connect.Running)
	got, err := e.c.Get(e.ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != n || got.Type != "source" || len(got.Tasks) != 1 || got.Tasks[0] != (connect.TaskID{Connector: n, Task: 0}) {
		t.Errorf("GET /connectors/%s = %+v, want 1 task {%s 0}", n, got, n)
	}
	raw := e.raw("GET", "/connectors/"+n, "")
	if !strings.Contains(string(raw.Body), `"tasks":[{"connector":"`+n+`","task":0}]`) {
		t.Errorf("GET connector tasks shape: %s", raw.Body)
	}
	cfg, err := e.c.Config(e.ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range src {
		if cfg[k] != v {
			t.Errorf("GET config %s = %q, want %q (all of %v)", k, cfg[k], v, cfg)
		}
	}
	if cfg["name"] != n {
		t.Errorf("GET config name = %q, want %s", cfg["name"], n)
	}

	names, err := e.c.List(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(names, n) {
		t.Errorf("GET /connectors = %v, want %s in it", names, n)
	}
	e.raw("GET", "/connectors", "").expect(t, "GET /connectors", 200, "-")

	// PUT config: 201 + Location when new, 200 when it updates.
	n2 := name("putcfg")
	src2 := e.source()
	cfgBody, _ := json.Marshal(src2)
	r = e.raw("PUT", "/connectors/"+n2+"/config", string(cfgBody))
	r.expect(t, "PUT config (new)", 201, "-")
	if e.real {
		t.Cleanup(func() { _ = e.c.Delete(context.Background(), n2) })
	}
	if loc := r.Header.Get("Location"); !strings.HasSuffix(loc, "/connectors/"+n2) {
		t.Errorf("PUT config (new) Location = %q", loc)
	}
	r = e.raw("PUT", "/connectors/"+n2+"/config", string(cfgBody))
	r.expect(t, "PUT config (update)", 200, "-")
	if pi := decodeJSON[connect.ConnectorInfo](t, "PUT config body", r.Body); pi.Name != n2 || pi.Config["name"] != n2 {
		t.Errorf("PUT config body = %s", r.Body)
	}
	upd := map[string]string{"tasks.max": "2"}
	for k, v := range src2 {
		if k != "tasks.max" {
			upd[k] = v
		}
	}
	if _, created, err := e.c.PutConfig(e.ctx, n2, upd); err != nil || created {
		t.Errorf("client PutConfig on an existing connector: created=%v err=%v, want update", created, err)
	}
	e.eventually("config update visible", func() string {
		c, err := e.c.Config(e.ctx, n2)
		if err != nil || c["tasks.max"] != "2" {
			return "tasks.max not updated: " + c["tasks.max"]
		}
		return ""
	})

	// PATCH config (3.8+) is checked per worker in TestConformanceVersionDelta;
	// a pre-3.8 worker is refused by the client (TestClientRefusesEndpointsOlderWorkersLack).
}

// §1.1 ?expand=status, ?expand=info, both, and unknown expansions.
func TestConformanceListExpand(t *testing.T) {
	forEachWorker(t, conformListExpand)
}

func conformListExpand(t *testing.T, e *env) {
	// Nothing yet: an empty array, and an empty object when expanded (a
	// real worker is shared by the binary's tests, so it may hold others).
	if !e.real {
		e.raw("GET", "/connectors", "").expect(t, "GET /connectors (none)", 200, "[]")
		e.raw("GET", "/connectors?expand=status", "").expect(t, "GET /connectors?expand=status (none)", 200, "{}")
	}
	n := name("expand")
	src := e.source()
	e.create(n, src, "")
	e.waitFor(n, connect.Running)

	for _, tc := range []struct {
		query string
		keys  string
	}{
		{"?expand=status", "status"},
		{"?expand=info", "info"},
		{"?expand=status&expand=info", "info,status"},
		{"?expand=bogus", ""}, // logged and skipped, the connector stays listed
	} {
		r := e.raw("GET", "/connectors"+tc.query, "")
		r.expect(t, "GET /connectors"+tc.query, 200, "-")
		m := decodeJSON[map[string]map[string]json.RawMessage](t, tc.query, r.Body)
		got, ok := m[n]
		if !ok {
			t.Errorf("%s: %s missing from %s", tc.query, n, r.Body)
			continue
		}
		if strings.Join(sortedKeys(got), ",") != tc.keys {
			t.Errorf("%s: keys %v, want %q", tc.query, sortedKeys(got), tc.keys)
		}
	}
	exp, err := e.c.ListExpanded(e.ctx, connect.ExpandStatus, connect.ExpandInfo)
	if err != nil {
		t.Fatal(err)
	}
	x := exp[n]
	if x.Status == nil || x.Info == nil || x.Status.Connector.State != "RUNNING" || x.Info.Config["connector.class"] != src["connector.class"] {
		t.Errorf("client ListExpanded[%s] = %+v", n, x)
	}
}

// §1.2 status shape, §1.1 task status.
func TestConformanceStatusShape(t *testing.T) {
	forEachWorker(t, conformStatusShape)
}

func conformStatusShape(t *testing.T, e *env) {
	n := name("status")
	e.create(n, e.source("tasks.max", "1"), "")
	e.waitFor(n, connect.Running)
	r := e.raw("GET", "/connectors/"+n+"/status", "")
	r.expect(t, "GET status", 200, "-")
	st := decodeJSON[map[string]json.RawMessage](t, "status", r.Body)
	if strings.Join(sortedKeys(st), ",") != "connector,name,tasks,type" {
		t.Errorf("status keys %v, want connector,name,tasks,type", sortedKeys(st))
	}
	var conn map[string]any
	_ = json.Unmarshal(st["connector"], &conn)
	if _, has := conn["trace"]; has || conn["state"] != "RUNNING" || conn["worker_id"] == nil {
		t.Errorf("connector part %s: want state RUNNING, worker_id, and no trace when healthy", st["connector"])
	}
	if string(st["type"]) != `"source"` {
		t.Errorf("type = %s, want \"source\" (lowercase)", st["type"])
	}
	r = e.raw("GET", "/connectors/"+n+"/tasks/0/status", "")
	r.expect(t, "GET task status", 200, "-")
	ts := decodeJSON[map[string]any](t, "task status", r.Body)
	wantKeys := "id,state,worker_id"
	if e.expect().statusVersion { // 4.1+ (delta K5)
		wantKeys = "id,state,version,worker_id"
	}
	if strings.Join(sortedKeys(ts), ",") != wantKeys || ts["id"] != float64(0) || ts["state"] != "RUNNING" {
		t.Errorf("task status = %s, want keys %s with id 0, RUNNING", r.Body, wantKeys)
	}
	if got, err := e.c.TaskStatus(e.ctx, n, 0); err != nil || got.State != "RUNNING" || got.ID != 0 {
		t.Errorf("client TaskStatus = %+v, %v", got, err)
	}
}

// A failing task: FAILED with a trace. Lab only: ScriptedSource fails on
// request (lab.fail).
func TestConformanceLabFailedTaskStatus(t *testing.T) {
	e := newEnv(t)
	f := name("failing")
	e.create(f, sourceConfig(pgOffsets, "lab.fail", "true", "tasks.max", "1"), "")
	var last *connect.ConnectorStatus
	e.eventually("task FAILED", func() string {
		s, err := e.c.Status(e.ctx, f)
		if err != nil {
			return err.Error()
		}
		last = s
		if len(s.Tasks) == 0 || s.Tasks[0].State != "FAILED" {
			return "status " + connect.Describe(s)
		}
		return ""
	})
	if last.Tasks[0].Trace == "" {
		t.Errorf("FAILED task has no trace: %+v", last.Tasks[0])
	}
	// WaitFor gives up with the last state and the trace's first line.
	_, err := e.c.WaitFor(e.ctx, f, connect.Running, 300e6)
	if err == nil || codeOf(err) != cdcops.ECONFLICT || !strings.Contains(err.Error(), "FAILED ("+connect.FirstLine(last.Tasks[0].Trace)+")") {
		t.Errorf("WaitFor(RUNNING) on a failed task: %v, want a timeout naming FAILED and the trace's first line", err)
	}
}

// §1.1 pause / resume → 202 empty body, idempotent, asynchronous.
func TestConformancePauseResume(t *testing.T) {
	forEachWorker(t, func(t *testing.T, e *env) {
		conformPauseResume(t, e)
	})
}

func conformPauseResume(t *testing.T, e *env) {
	n := name("pause")
	e.create(n, e.source(), "")
	e.waitFor(n, connect.Running)
	e.raw("PUT", "/connectors/"+n+"/pause", "").expect(t, "pause", 202, "")
	e.waitFor(n, connect.Paused)
	e.raw("PUT", "/connectors/"+n+"/pause", "").expect(t, "pause again (idempotent)", 202, "")
	e.raw("PUT", "/connectors/"+n+"/resume", "").expect(t, "resume", 202, "")
	e.waitFor(n, connect.Running)
	e.raw("PUT", "/connectors/"+n+"/resume", "").expect(t, "resume again (idempotent)", 202, "")
	// Through the client.
	if err := e.c.Pause(e.ctx, n); err != nil {
		t.Fatal(err)
	}
	e.waitFor(n, connect.Paused)
	if err := e.c.Resume(e.ctx, n); err != nil {
		t.Fatal(err)
	}
	e.waitFor(n, connect.Running)
}

// §1.1/§1.4 stop → 204, then STOPPED with "tasks": []; idempotent;
// resume starts a STOPPED connector again.
func TestConformanceStop(t *testing.T) {
	forEachWorker(t, func(t *testing.T, e *env) {
		conformStop(t, e)
	})
}

func conformStop(t *testing.T, e *env) {
	n := name("stop")
	e.create(n, e.source(), "")
	e.waitFor(n, connect.Running)
	e.raw("PUT", "/connectors/"+n+"/stop", "").expect(t, "stop", 204, "")
	e.waitFor(n, connect.Stopped)
	r := e.raw("GET", "/connectors/"+n+"/status", "")
	if !strings.Contains(string(r.Body), `"tasks":[]`) {
		t.Errorf("STOPPED status body %s, want \"tasks\":[]", r.Body)
	}
	info, err := e.c.Get(e.ctx, n)
	if err != nil || len(info.Tasks) != 0 {
		t.Errorf("GET connector after stop: %+v %v, want no task configs (stop writes an empty task list)", info, err)
	}
	e.raw("PUT", "/connectors/"+n+"/stop", "").expect(t, "stop again (idempotent)", 204, "")
	e.raw("PUT", "/connectors/"+n+"/resume", "").expect(t, "resume from STOPPED", 202, "")
	e.waitFor(n, connect.Running)
	// Stop from PAUSED too.
	if err := e.c.Pause(e.ctx, n); err != nil {
		t.Fatal(err)
	}
	e.waitFor(n, connect.Paused)
	e.stop(n)
}

// §1.1 restart: 204 with no body; 202 + ConnectorStateInfo with RESTARTING
// for the instances RestartRequest selects; task restart 204.
func TestConformanceRestart(t *testing.T) {
	forEachWorker(t, conformRestart)
}

func conformRestart(t *testing.T, e *env) {
	n := name("restart")
	e.create(n, e.source("tasks.max", "1"), "")
	e.waitFor(n, connect.Running)

	e.raw("POST", "/connectors/"+n+"/restart", "").expect(t, "restart (connector only)", 204, "")
	e.waitFor(n, connect.Running)

	r := e.raw("POST", "/connectors/"+n+"/restart?includeTasks=true&onlyFailed=false", "")
	r.expect(t, "restart includeTasks", 202, "-")
	st := decodeJSON[connect.ConnectorStatus](t, "restart body", r.Body)
	if st.Name != n || st.Connector.State != "RESTARTING" || len(st.Tasks) != 1 || st.Tasks[0].State != "RESTARTING" || st.Type != "source" {
		t.Errorf("restart includeTasks body = %s, want connector and task 0 RESTARTING", r.Body)
	}
	e.waitFor(n, connect.RestartedFrom(&st, time.Second))

	// onlyFailed on a healthy connector: 202, nothing marked RESTARTING.
	r = e.raw("POST", "/connectors/"+n+"/restart?includeTasks=true&onlyFailed=true", "")
	r.expect(t, "restart onlyFailed (healthy)", 202, "-")
	st = decodeJSON[connect.ConnectorStatus](t, "restart body", r.Body)
	if st.Connector.State != "RUNNING" || len(st.Tasks) != 1 || st.Tasks[0].State != "RUNNING" {
		t.Errorf("restart onlyFailed on a healthy connector = %s, want nothing RESTARTING", r.Body)
	}
	// onlyFailed alone (includeTasks=false) still answers 202 with a body.
	r = e.raw("POST", "/connectors/"+n+"/restart?onlyFailed=true", "")
	r.expect(t, "restart onlyFailed only", 202, "-")
	if planned, err := e.c.Restart(e.ctx, n, connect.RestartOptions{}); err != nil || planned != nil {
		t.Errorf("client Restart() = %+v, %v; want nil status for 204", planned, err)
	}
	e.waitFor(n, connect.Running)
	e.raw("POST", "/connectors/"+n+"/tasks/0/restart", "").expect(t, "task restart", 204, "")
	if err := e.c.RestartTask(e.ctx, n, 0); err != nil {
		t.Errorf("client RestartTask: %v", err)
	}
	e.waitFor(n, connect.Running)
}

// Only the FAILED task is marked when includeTasks&onlyFailed. Lab only:
// it needs a task that fails on request (lab.fail).
func TestConformanceLabRestartFailedTask(t *testing.T) {
	e := newEnv(t)
	f := name("restart-failed")
	e.create(f, sourceConfig(pgOffsets, "lab.fail", "true"), "")
	e.eventually("task FAILED", func() string {
		s, err := e.c.Status(e.ctx, f)
		if err != nil || len(s.Tasks) == 0 || s.Tasks[0].State != "FAILED" {
			return "not FAILED yet"
		}
		return ""
	})
	planned, err := e.c.Restart(e.ctx, f, connect.RestartOptions{IncludeTasks: true, OnlyFailed: true})
	if err != nil {
		t.Fatal(err)
	}
	if planned == nil || planned.Connector.State != "RUNNING" || len(planned.Tasks) != 1 || planned.Tasks[0].State != "RESTARTING" {
		t.Errorf("client Restart(includeTasks, onlyFailed) on a failed task = %+v, want connector RUNNING, task 0 RESTARTING", planned)
	}
}

// §1.1 DELETE → 204; the connector is gone from GET and the list.
func TestConformanceDelete(t *testing.T) {
	forEachWorker(t, func(t *testing.T, e *env) {
		conformDelete(t, e)
	})
}

func conformDelete(t *testing.T, e *env) {
	n := name("delete")
	e.create(n, e.source(), "")
	e.waitFor(n, connect.Running)
	e.raw("DELETE", "/connectors/"+n, "").expect(t, "DELETE connector", 204, "")
	if err := e.c.WaitGone(e.ctx, n, 10e9); err != nil {
		t.Fatal(err)
	}
	e.raw("GET", "/connectors/"+n, "").expectError(t, "GET deleted connector", 404, "Connector "+n+" not found")

	n2 := name("delete-client")
	e.create(n2, e.source(), "")
	if err := e.c.Delete(e.ctx, n2); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.Get(e.ctx, n2)
	if codeOf(err) != cdcops.ENOTFOUND {
		t.Errorf("Get after Delete: %v, want ENOTFOUND", err)
	}
}

// §1.1 KIP-980 initial_state (3.7.0): RUNNING, PAUSED, STOPPED, case-insensitive.
func TestConformanceInitialState(t *testing.T) {
	forEachWorker(t, conformInitialState)
}

func conformInitialState(t *testing.T, e *env) {
	for _, tc := range []struct {
		state string
		want  connect.Want
	}{
		{"RUNNING", connect.Running},
		{"PAUSED", connect.Paused},
		{"STOPPED", connect.Stopped},
		{"stopped", connect.Stopped},
		{"Paused", connect.Paused},
	} {
		n := name("initial-" + strings.ToLower(tc.state))
		body, _ := json.Marshal(map[string]any{"name": n, "config": e.source(), "initial_state": tc.state})
		e.raw("POST", "/connectors", string(body)).expect(t, "POST initial_state "+tc.state, 201, "-")
		if e.real {
			t.Cleanup(func() { _ = e.c.Delete(context.Background(), n) })
		}
		st := e.waitFor(n, tc.want)
		if tc.want.Desc == connect.Stopped.Desc && len(st.Tasks) != 0 {
			t.Errorf("initial_state %s: tasks %v", tc.state, st.Tasks)
		}
	}
	// A STOPPED-created connector accepts an offsets PATCH right away.
	n := name("initial-patch")
	e.create(n, e.quietSource(), "STOPPED")
	e.waitFor(n, connect.Stopped)
	msg, err := e.c.AlterOffsets(e.ctx, n, offsetsBody(`{"server":"x"}`, `{"lsn":1}`))
	if err != nil || msg != msgFrameworkAltered {
		t.Errorf("PATCH offsets on a connector created STOPPED: %q, %v", msg, err)
	}
}

// §1.1 topics: {"<c>":{"topics":[…]}}; reset → 202.
func TestConformanceTopics(t *testing.T) {
	forEachWorker(t, conformTopics)
}

func conformTopics(t *testing.T, e *env) {
	topic := name("orders")
	produce(t, e, topic, 2, 3)
	n := name("topics-sink")
	e.create(n, e.sink(topic), "")
	e.waitFor(n, connect.Running)
	e.eventually("sink topic tracked", func() string {
		r := e.raw("GET", "/connectors/"+n+"/topics", "")
		if r.Status != 200 {
			return string(r.Body)
		}
		m := decodeJSON[map[string]map[string][]string](t, "topics", r.Body)
		if len(m) != 1 || !contains(m[n]["topics"], topic) {
			return "topics body " + string(r.Body)
		}
		return ""
	})
	if ts, err := e.c.Topics(e.ctx, n); err != nil || !contains(ts, topic) {
		t.Errorf("client Topics = %v, %v", ts, err)
	}
	e.raw("PUT", "/connectors/"+n+"/topics/reset", "").expect(t, "topics reset", 202, "")
	if err := e.c.ResetTopics(e.ctx, n); err != nil {
		t.Errorf("client ResetTopics: %v", err)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var _ = http.MethodGet
