package connect_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
)

// The REST rows of delta §1b that differ between Connect versions, checked
// on every worker against the one expectations table (byVersion).
func TestConformanceVersionDelta(t *testing.T) {
	forEachWorker(t, func(t *testing.T, e *env) {
		x := e.expect()
		n := name("delta")
		e.create(n, e.source(), "")
		e.waitFor(n, connect.Running)

		// K4: GET /health.
		if x.health {
			r := e.raw("GET", "/health", "")
			h := decodeJSON[map[string]string](t, "health", r.Body)
			if r.Status != 200 || h["status"] != "healthy" || h["message"] != "Worker has completed startup and is ready to handle requests." {
				t.Errorf("GET /health = %d %s", r.Status, r.Body)
			}
		}

		// K3: PATCH config merges, null removes a key, 404 for an unknown connector.
		if x.patchConfig {
			r := e.raw("PATCH", "/connectors/"+n+"/config", `{"cdcops.test.extra":"1","cdcops.test.gone":null}`)
			r.expect(t, "PATCH config", 200, "-")
			if info := decodeJSON[connect.ConnectorInfo](t, "PATCH config", r.Body); info.Name != n || info.Config["cdcops.test.extra"] != "1" {
				t.Errorf("PATCH config body %s", r.Body)
			}
			e.eventually("patched key visible", func() string {
				c, err := e.c.Config(e.ctx, n)
				if err != nil || c["cdcops.test.extra"] != "1" {
					return "config " + strings.Join(sortedKeys(c), ",")
				}
				return ""
			})
			r = e.raw("PATCH", "/connectors/"+n+"/config", `{"cdcops.test.extra":null}`)
			r.expect(t, "PATCH config removing a key", 200, "-")
			if info := decodeJSON[connect.ConnectorInfo](t, "PATCH remove", r.Body); info.Config["cdcops.test.extra"] != "" {
				t.Errorf("PATCH with null kept the key: %s", r.Body)
			}
			one := "1"
			if _, err := e.c.PatchConfig(e.ctx, "nope", map[string]*string{"tasks.max": &one}); codeOf(err) != cdcops.ENOTFOUND {
				t.Errorf("client PatchConfig on an unknown connector: %v, want ENOTFOUND", err)
			}
			e.raw("PATCH", "/connectors/nope/config", `{}`).expectError(t, "PATCH config unknown", 404, "Connector nope not found")
		}

		// K2: tasks-config is gone in 4.0.
		r := e.raw("GET", "/connectors/"+n+"/tasks-config", "")
		if x.tasksConfig {
			r.expect(t, "GET tasks-config", 200, "-")
		} else {
			r.expectRoutingError(t, "GET tasks-config", 404, "HTTP 404 Not Found")
		}

		// K5: the plugin version in status (4.1+).
		st := decodeJSON[map[string]json.RawMessage](t, "status", e.raw("GET", "/connectors/"+n+"/status", "").Body)
		conn := decodeJSON[map[string]any](t, "connector status", st["connector"])
		if _, has := conn["version"]; has != x.statusVersion {
			t.Errorf("connector status %s: version present=%v, want %v", st["connector"], has, x.statusVersion)
		}
		// K5/K12: that version is the plugin's own, as GET /connector-plugins lists it.
		if x.statusVersion {
			class := e.source()["connector.class"]
			plugins := decodeJSON[[]map[string]string](t, "plugins", e.raw("GET", "/connector-plugins", "").Body)
			listed := ""
			for _, p := range plugins {
				if p["class"] == class {
					listed = p["version"]
				}
			}
			if listed == "" || conn["version"] != listed {
				t.Errorf("connector status version %v, want the version /connector-plugins lists for %s (%q)", conn["version"], class, listed)
			}
		}
		task := jsonKeys(t, "task status", e.raw("GET", "/connectors/"+n+"/tasks/0/status", "").Body)
		want := "id,state,worker_id"
		if x.statusVersion {
			want = "id,state,version,worker_id"
		}
		if strings.Join(task, ",") != want {
			t.Errorf("task status keys %v, want %s", task, want)
		}

		// K6: an unknown class, asked twice (CachedConnectors).
		missing := createBody(name("missing"), map[string]string{"connector.class": "com.example.cdcops.Missing", "tasks.max": "1"})
		const classMsg = "Failed to find any class that implements Connector and which name matches com.example.cdcops.Missing"
		for i, prefix := range []string{classMsg, "org.apache.kafka.connect.errors.ConnectException: " + classMsg} {
			r := e.raw("POST", "/connectors", missing)
			msg := decodeJSON[map[string]any](t, "unknown class", r.Body)["message"]
			if x.unknownClass == 500 && i > 0 {
				prefix = classMsg // no cache before 4.1
			}
			if r.Status != x.unknownClass || !strings.HasPrefix(msg.(string), prefix) {
				t.Errorf("unknown class (request %d): %d %q, want %d starting %q", i+1, r.Status, msg, x.unknownClass, prefix)
			}
		}
		_, err := e.c.Create(e.ctx, connect.CreateRequest{Name: name("missing"), Config: map[string]string{"connector.class": "com.example.cdcops.Missing"}})
		if wantCode := map[int]cdcops.ErrorCode{400: cdcops.EINVALID, 500: cdcops.EINTERNAL}[x.unknownClass]; codeOf(err) != wantCode {
			t.Errorf("client Create with an unknown class: %v (code %s), want %s", err, codeOf(err), wantCode)
		}

		// K7: no connector.class.
		r = e.raw("POST", "/connectors", `{"name":"x","config":{"tasks.max":"1"}}`)
		msg, _ := decodeJSON[map[string]any](t, "no type", r.Body)["message"].(string)
		ok := msg == x.noType
		if x.noType == "" {
			ok = strings.HasPrefix(msg, "Connector config {") && strings.HasSuffix(msg, "} contains no connector type")
		}
		if r.Status != 400 || !ok {
			t.Errorf("config without connector.class: %d %q", r.Status, msg)
		}
	})
}
