package worker_test

import (
	"net/http"
	"strings"
	"testing"
)

// Every 404 for an unknown connector carries the text of the Java method
// that answers it (messages.go names the sources).
func TestUnknownConnectorMessages(t *testing.T) {
	_, r := newLab(t)
	cases := []struct{ method, path, msg string }{
		{"GET", "/connectors/nope", "Connector nope not found"},
		{"GET", "/connectors/nope/config", "Connector nope not found"},
		{"GET", "/connectors/nope/tasks", "Connector nope not found"},
		{"GET", "/connectors/nope/tasks-config", "HTTP 404 Not Found"}, // removed in 4.0 (KAFKA-15387)
		{"DELETE", "/connectors/nope", "Connector nope not found"},
		{"GET", "/connectors/nope/offsets", "Connector nope not found"},
		{"DELETE", "/connectors/nope/offsets", "Connector nope not found"},
		{"GET", "/connectors/nope/status", "No status found for connector nope"},
		{"GET", "/connectors/nope/tasks/0/status", "No status found for task nope-0"},
		{"PUT", "/connectors/nope/pause", "Unknown connector nope"},
		{"PUT", "/connectors/nope/resume", "Unknown connector nope"},
		{"PUT", "/connectors/nope/stop", "Unknown connector nope"},
		{"POST", "/connectors/nope/restart", "Unknown connector: nope"},
		{"POST", "/connectors/nope/restart?includeTasks=true", "Unknown connector: nope"},
		{"POST", "/connectors/nope/tasks/0/restart", "Unknown connector: nope"},
		{"GET", "/nothing-here", "HTTP 404 Not Found"},
		{"GET", "/connectors/nope/tasks/x/status", "HTTP 404 Not Found"},
	}
	for _, c := range cases {
		r.wantErr(c.method, c.path, "", 404, c.msg)
	}
	r.wantErr("PATCH", "/connectors/nope/offsets", `{"offsets":[{"partition":{"a":"b"},"offset":null}]}`, 404, "Connector nope not found")
	r.wantErr("DELETE", "/connectors", "", 405, "HTTP 405 Method Not Allowed")
	r.wantErr("PATCH", "/connectors/nope/config", "{}", 404, "Connector nope not found") // PATCH config is Kafka 3.8+
	// Unknown task of a known connector.
	r.do("POST", "/connectors", sourceBody("pg", pgOffsets, ""))
	r.waitState("pg", "RUNNING", "RUNNING", 1)
	r.wantErr("POST", "/connectors/pg/tasks/3/restart", "", 404, "Unknown task: pg-3")
	r.wantErr("GET", "/connectors/pg/tasks/3/status", "", 404, "No status found for task pg-3")
}

func TestCreateAndConfigRules(t *testing.T) {
	_, r := newLab(t)
	body := sourceBody("pg", pgOffsets, "")
	c, b := r.do("POST", "/connectors", body)
	if c != 201 || !strings.HasPrefix(b, `{"name":"pg","config":{`) || !strings.HasSuffix(b, `"tasks":[],"type":"source"}`) {
		t.Fatalf("create = %d %s", c, b)
	}
	r.wantErr("POST", "/connectors", body, 409, "Connector pg already exists")
	resp, err := http.Post(r.base+"/connectors", "application/json", strings.NewReader(sourceBody("with space", pgOffsets, "")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != 201 || loc != r.base+"/connectors/with%20space" {
		t.Fatalf("create = %d, Location %q", resp.StatusCode, loc)
	}
	r.want("DELETE", "/connectors/with%20space", "", 204, "")
	r.wantErr("POST", "/connectors", `{"name":"x","config":{"tasks.max":"1"}}`, 400,
		"Connector config contains no connector type") // 4.2+ text: no props (delta K7)
	r.wantErr("POST", "/connectors", `{"name":"x","config":{"connector.class":"cdcops.lab.ScriptedSource","name":"y"}}`, 400,
		"Connector name configuration (y) doesn't match connector name in the URL (x)")
	r.wantErr("PUT", "/connectors/x/config", `{"connector.class":"cdcops.lab.ScriptedSource","name":"y"}`, 400,
		"Connector name configuration (y) doesn't match connector name in the URL (x)")
	r.wantErr("POST", "/connectors", `{"name":"x","config":{"connector.class":"cdcops.lab.ScriptedSink"}}`, 400,
		"Connector configuration is invalid and contains the following 2 error(s):\nMust configure one of topics or topics.regex\nMust configure one of topics or topics.regex\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`")
	// Unknown class: 400 since 4.1; CachedConnectors makes the second answer
	// the cached ConnectException's toString (delta K6).
	missing := `{"name":"x","config":{"connector.class":"com.example.Missing"}}`
	const classMsg = "Failed to find any class that implements Connector and which name matches com.example.Missing, available connectors are: "
	if c, b := r.do("POST", "/connectors", missing); c != 400 || !strings.Contains(b, `"message":"`+classMsg) {
		t.Fatalf("unknown class = %d %s", c, b)
	}
	if c, b := r.do("POST", "/connectors", missing); c != 400 || !strings.Contains(b, `"message":"org.apache.kafka.connect.errors.ConnectException: `+classMsg) {
		t.Fatalf("unknown class again = %d %s, want the cached exception text", c, b)
	}
	// PUT config: 201 when it creates, 200 when it updates; aliases resolve.
	cfg := `{"connector.class":"ScriptedSource","lab.offsets":` + jsonString(pgOffsets) + `}`
	if c, _ := r.do("PUT", "/connectors/viaput/config", cfg); c != 201 {
		t.Fatalf("PUT new = %d, want 201", c)
	}
	if c, b := r.do("PUT", "/connectors/viaput/config", cfg); c != 200 || !strings.Contains(b, `"name":"viaput"`) {
		t.Fatalf("PUT existing = %d %s, want 200", c, b)
	}
	r.want("GET", "/connectors", "", 200, `["pg","viaput"]`)
	r.want("GET", "/connectors/viaput/config", "", 200, `{"connector.class":"ScriptedSource","lab.offsets":`+jsonString(pgOffsets)+`,"name":"viaput"}`)
	r.waitState("viaput", "RUNNING", "RUNNING", 1)
	r.want("GET", "/connectors/viaput", "", 200, `{"name":"viaput","config":{"connector.class":"ScriptedSource","lab.offsets":`+jsonString(pgOffsets)+`,"name":"viaput"},"tasks":[{"connector":"viaput","task":0}],"type":"source"}`)
	r.want("DELETE", "/connectors/viaput", "", 204, "")
	r.wantErr("GET", "/connectors/viaput", "", 404, "Connector viaput not found")
	r.want("GET", "/connectors", "", 200, `["pg"]`)
}

func TestExpand(t *testing.T) {
	_, r := newLab(t)
	r.do("POST", "/connectors", sourceBody("pg", pgOffsets, ""))
	r.waitState("pg", "RUNNING", "RUNNING", 1)
	c, b := r.do("GET", "/connectors?expand=status&expand=info", "")
	if c != 200 || !strings.HasPrefix(b, `{"pg":{"info":{"name":"pg",`) || !strings.Contains(b, `"status":{"name":"pg","connector":{"state":"RUNNING"`) {
		t.Fatalf("expand = %d %s", c, b)
	}
	c, b = r.do("GET", "/connectors?expand=status", "")
	if c != 200 || strings.Contains(b, `"info"`) || !strings.HasPrefix(b, `{"pg":{"status":{`) {
		t.Fatalf("expand=status = %d %s", c, b)
	}
	r.want("GET", "/connectors?expand=bogus", "", 200, `{"pg":{}}`)
	r.want("GET", "/connectors/pg/topics", "", 200, `{"pg":{"topics":[]}}`)
	r.want("PUT", "/connectors/pg/topics/reset", "", 202, "")
}
