package connect_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
)

// §1.5: every error row the lab can produce, as raw HTTP (status, body
// shape, exact message) and through the client (cdcops code and hint).
func TestConformanceErrors(t *testing.T) {
	forEachWorker(t, func(t *testing.T, e *env) {
		conformErrors(t, e)
	})
}

func conformErrors(t *testing.T, e *env) {
	n := name("errs")
	e.create(n, e.source(), "")
	e.waitFor(n, connect.Running)
	const u = "nope"

	for _, tc := range []struct {
		what, method, path, body string
		status                   int
		msg                      string
	}{
		// 404s: the texts differ per endpoint, as in AbstractHerder/DistributedHerder.
		{"GET connector", "GET", "/connectors/" + u, "", 404, "Connector nope not found"},
		{"GET config", "GET", "/connectors/" + u + "/config", "", 404, "Connector nope not found"},
		{"GET status", "GET", "/connectors/" + u + "/status", "", 404, "No status found for connector nope"},
		{"GET task status", "GET", "/connectors/" + n + "/tasks/7/status", "", 404, "No status found for task " + n + "-7"},
		{"pause", "PUT", "/connectors/" + u + "/pause", "", 404, "Unknown connector nope"},
		{"resume", "PUT", "/connectors/" + u + "/resume", "", 404, "Unknown connector nope"},
		{"stop", "PUT", "/connectors/" + u + "/stop", "", 404, "Unknown connector nope"},
		{"restart", "POST", "/connectors/" + u + "/restart", "", 404, "Unknown connector: nope"},
		{"restart includeTasks", "POST", "/connectors/" + u + "/restart?includeTasks=true", "", 404, "Unknown connector: nope"},
		{"task restart (connector)", "POST", "/connectors/" + u + "/tasks/0/restart", "", 404, "Unknown connector: nope"},
		{"task restart (task)", "POST", "/connectors/" + n + "/tasks/7/restart", "", 404, "Unknown task: " + n + "-7"},
		{"DELETE", "DELETE", "/connectors/" + u, "", 404, "Connector nope not found"},
		{"GET offsets", "GET", "/connectors/" + u + "/offsets", "", 404, "Connector nope not found"},
		{"DELETE offsets", "DELETE", "/connectors/" + u + "/offsets", "", 404, "Connector nope not found"},
		// 400s.
		{"PUT config name mismatch", "PUT", "/connectors/" + n + "/config", `{"connector.class":"` + sourceClass + `","name":"other"}`, 400,
			"Connector name configuration (other) doesn't match connector name in the URL (" + n + ")"},
		{"POST name mismatch", "POST", "/connectors", `{"name":"a1","config":{"connector.class":"` + sourceClass + `","name":"b1"}}`, 400,
			"Connector name configuration (b1) doesn't match connector name in the URL (a1)"},
		{"PATCH offsets not stopped", "PATCH", "/connectors/" + n + "/offsets", `{"offsets":[{"partition":{"server":"x"},"offset":{"lsn":1}}]}`, 400, msgNotStopped(n)},
		{"PATCH offsets empty", "PATCH", "/connectors/" + n + "/offsets", `{"offsets":[]}`, 400, "Partitions / offsets need to be provided for an alter offsets request"},
		// 409 AlreadyExistsException.
		{"POST existing name", "POST", "/connectors", createBody(n, e.source()), 409, "Connector " + n + " already exists"},
	} {
		e.raw(tc.method, tc.path, tc.body).expectError(t, tc.what, tc.status, tc.msg)
	}

	// The same through the client: cdcops codes, hints, worker's message kept.
	for _, tc := range []struct {
		what string
		call func() error
		code cdcops.ErrorCode
		hint string
		msg  string
	}{
		{"Status unknown", func() error { _, err := e.c.Status(e.ctx, u); return err }, cdcops.ENOTFOUND, "cdcops connectors list", "No status found for connector nope"},
		{"Pause unknown", func() error { return e.c.Pause(e.ctx, u) }, cdcops.ENOTFOUND, "cdcops connectors list", "Unknown connector nope"},
		{"Stop unknown", func() error { return e.c.Stop(e.ctx, u) }, cdcops.ENOTFOUND, "cdcops connectors list", "Unknown connector nope"},
		{"Offsets unknown", func() error { _, err := e.c.Offsets(e.ctx, u); return err }, cdcops.ENOTFOUND, "cdcops connectors list", "Connector nope not found"},
		{"Create existing", func() error {
			_, err := e.c.Create(e.ctx, connect.CreateRequest{Name: n, Config: e.source()})
			return err
		}, cdcops.ECONFLICT, "cdcops connectors delete " + n, "Connector " + n + " already exists"},
		{"ResetOffsets running", func() error { _, err := e.c.ResetOffsets(e.ctx, n); return err }, cdcops.ECONFLICT, "cdcops connectors stop " + n, msgNotStopped(n)},
	} {
		err := tc.call()
		if codeOf(err) != tc.code || !strings.Contains(cdcops.HintOf(err), tc.hint) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v (code %s, hint %q); want code %s, hint with %q, message %q", tc.what, err, codeOf(err), cdcops.HintOf(err), tc.code, tc.hint, tc.msg)
		}
	}

	// Unknown route: JAX-RS's own 404 in Connect's error body.
	r := e.raw("GET", "/no/such/route", "")
	r.expectRoutingError(t, "unknown route", 404, "HTTP 404 Not Found")
	e.raw("DELETE", "/connectors", "").expectRoutingError(t, "method not allowed", 405, "HTTP 405 Method Not Allowed")

	// Every error body is exactly {"error_code","message"}.
	var eb map[string]any
	_ = json.Unmarshal(e.raw("GET", "/connectors/"+u, "").Body, &eb)
	if len(eb) != 2 {
		t.Errorf("error body %v, want exactly error_code and message", eb)
	}
}

func createBody(name string, config map[string]string) string {
	b, _ := json.Marshal(map[string]any{"name": name, "config": config})
	return string(b)
}
