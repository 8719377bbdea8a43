package lab_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/lab"
)

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func send(t *testing.T, method, url, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// With a data dir, connectors, their target states and offsets survive a
// restart of the whole lab.
func TestLabRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	start := func() *lab.Lab {
		l, err := lab.Start(context.Background(), lab.Options{Dir: dir, FlushInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := start()
	u := l.ConnectURL()
	clusterID := l.Worker().KafkaClusterID()
	offsets := `"[{\"partition\":{\"server\":\"dbserver1\"},\"offset\":{\"lsn\":42}}]"`
	for _, name := range []string{"stopped", "running"} {
		if c := send(t, "POST", u+"/connectors", `{"name":"`+name+`","config":{"connector.class":"cdcops.lab.ScriptedSource","lab.offsets":`+offsets+`}}`); c != 201 {
			t.Fatalf("create %s = %d", name, c)
		}
	}
	wantOffsets := `{"offsets":[{"partition":{"server":"dbserver1"},"offset":{"lsn":42}}]}`
	eventually(t, "offsets flushed", func() bool { return get(t, u+"/connectors/stopped/offsets") == wantOffsets })
	send(t, "PUT", u+"/connectors/stopped/stop", "")
	eventually(t, "STOPPED", func() bool { return strings.Contains(get(t, u+"/connectors/stopped/status"), `"state":"STOPPED"`) })
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l = start()
	defer l.Close()
	u = l.ConnectURL()
	if got := l.Worker().KafkaClusterID(); got != clusterID || len(got) != 22 {
		t.Fatalf("cluster id %q after restart, was %q", got, clusterID)
	}
	if got := get(t, u+"/connectors"); got != `["running","stopped"]` {
		t.Fatalf("connectors after restart: %s", got)
	}
	eventually(t, "stopped stays STOPPED", func() bool {
		s := get(t, u+"/connectors/stopped/status")
		return strings.Contains(s, `"connector":{"state":"STOPPED"`) && strings.Contains(s, `"tasks":[]`)
	})
	eventually(t, "running runs", func() bool {
		return strings.Contains(get(t, u+"/connectors/running/status"), `"tasks":[{"id":0,"state":"RUNNING"`)
	})
	if got := get(t, u+"/connectors/stopped/offsets"); got != wantOffsets {
		t.Fatalf("offsets after restart: %s", got)
	}
}
