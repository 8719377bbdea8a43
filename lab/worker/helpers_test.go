package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
)

// rest is a tiny HTTP helper: the typed client lives in connect/, these
// tests look at raw status codes and bodies.
type rest struct {
	t    testing.TB
	base string
}

func newLab(t *testing.T) (*lab.Lab, rest) {
	t.Helper()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	return l, rest{t, l.ConnectURL()}
}

func (r rest) do(method, path, body string) (int, string) {
	r.t.Helper()
	req, err := http.NewRequest(method, r.base+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// want asserts status code and exact body.
func (r rest) want(method, path, body string, code int, wantBody string) {
	r.t.Helper()
	c, b := r.do(method, path, body)
	if c != code || b != wantBody {
		r.t.Fatalf("%s %s:\n got %d %s\nwant %d %s", method, path, c, b, code, wantBody)
	}
}

// wantErr asserts Connect's error body for code and message.
func (r rest) wantErr(method, path, body string, code int, msg string) {
	r.t.Helper()
	m, _ := json.Marshal(msg)
	want := `{"error_code":` + itoa(code) + `,"message":` + string(m) + `}`
	r.want(method, path, body, code, strings.ReplaceAll(want, `\u003c`, "<"))
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

type status struct {
	Name      string `json:"name"`
	Connector struct {
		State, Trace string
		WorkerID     string `json:"worker_id"`
	} `json:"connector"`
	Tasks []struct {
		ID           int `json:"id"`
		State, Trace string
	} `json:"tasks"`
	Type string `json:"type"`
}

func (r rest) status(name string) (status, bool) {
	r.t.Helper()
	c, b := r.do("GET", "/connectors/"+name+"/status", "")
	var s status
	if c != 200 {
		return s, false
	}
	if err := json.Unmarshal([]byte(b), &s); err != nil {
		r.t.Fatalf("status body %s: %v", b, err)
	}
	return s, true
}

// waitState polls the status until the connector (and every task, when
// taskState != "") reaches the states, like a client must.
func (r rest) waitState(name, connState, taskState string, tasks int) status {
	r.t.Helper()
	var last status
	ok := poll(func() bool {
		s, found := r.status(name)
		last = s
		if !found || s.Connector.State != connState || len(s.Tasks) != tasks {
			return false
		}
		for _, t := range s.Tasks {
			if t.State != taskState {
				return false
			}
		}
		return true
	})
	if !ok {
		r.t.Fatalf("%s never reached connector=%s tasks=%d×%s; last %+v", name, connState, tasks, taskState, last)
	}
	return last
}

// poll retries cond for up to 15s (a bound for hung tests, not a timing assertion).
func poll(cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// sourceConfig is a ScriptedSource config body for POST /connectors.
func sourceBody(name, offsets string, extra string) string {
	q, _ := json.Marshal(offsets)
	return `{"name":"` + name + `","config":{"connector.class":"cdcops.lab.ScriptedSource","lab.offsets":` + string(q) + extra + `}}`
}

const pgOffsets = `[{"partition":{"server":"dbserver1"},"offset":{"lsn":100,"txId":7}}]`

func sprintf(f string, a ...any) string { return fmt.Sprintf(f, a...) }
