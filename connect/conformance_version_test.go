package connect_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
)

// §2.1 version boundaries. The lab worker speaks 3.7.0; to see what the
// client does with an older cluster, a reverse proxy in front of the real
// worker rewrites only the version in GET / — every other request still
// reaches the worker, so a refused call that leaked through would show.
func TestClientRefusesEndpointsOlderWorkersLack(t *testing.T) {
	e := newEnv(t)
	n := name("old")
	e.create(n, sourceConfig(pgOffsets), "")
	e.waitFor(n, connect.Running)

	for _, tc := range []struct {
		version string
		call    string
		since   string
	}{
		{"3.4.1", "Stop", "3.5"},
		{"3.4.1", "Offsets", "3.5"},
		{"3.5.2", "AlterOffsets", "3.6"},
		{"3.5.2", "ResetOffsets", "3.6"},
		{"3.6.1", "Create initial_state", "3.7"},
		{"7.4.0-ccs", "Stop", "3.5"}, // Confluent Platform 7.4 = Apache Kafka 3.4
	} {
		var passed []string // what reached the worker besides GET /
		c := connect.New(olderWorker(t, e.url, tc.version, &passed))
		var err error
		switch tc.call {
		case "Stop":
			err = c.Stop(e.ctx, n)
		case "Offsets":
			_, err = c.Offsets(e.ctx, n)
		case "AlterOffsets":
			_, err = c.AlterOffsets(e.ctx, n, offsetsBody(`{"server":"x"}`, `{"lsn":1}`))
		case "ResetOffsets":
			_, err = c.ResetOffsets(e.ctx, n)
		case "Create initial_state":
			_, err = c.Create(e.ctx, connect.CreateRequest{Name: name("old-create"), Config: sourceConfig(pgOffsets), InitialState: "STOPPED"})
		}
		if codeOf(err) != cdcops.ECONFLICT || !strings.Contains(err.Error(), "needs Kafka Connect "+tc.since+" or later") ||
			!strings.Contains(err.Error(), "runs "+tc.version) {
			t.Errorf("%s on %s: %v, want a version error naming %s and %s", tc.call, tc.version, err, tc.since, tc.version)
		}
		if len(passed) != 0 {
			t.Errorf("%s on %s: the client still sent %v", tc.call, tc.version, passed)
		}
	}
	// What older versions do have still works through the same proxy.
	var passed []string
	c := connect.New(olderWorker(t, e.url, "3.5.0", &passed))
	if _, err := c.Offsets(e.ctx, n); err != nil {
		t.Errorf("Offsets on 3.5.0: %v", err)
	}
	if st, _ := e.c.Status(e.ctx, n); st == nil || st.Connector.State != "RUNNING" {
		t.Errorf("refused calls changed the connector: %+v", st)
	}
}

var serverVersion = regexp.MustCompile(`"version":"[^"]*"`)

// olderWorker proxies to the lab worker at target, reporting version in GET /.
func olderWorker(t *testing.T, target, version string, passed *[]string) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ModifyResponse = func(res *http.Response) error {
		if res.Request.URL.Path != "/" {
			return nil
		}
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		b = serverVersion.ReplaceAll(b, []byte(`"version":"`+version+`"`))
		res.Body = io.NopCloser(bytes.NewReader(b))
		res.ContentLength = int64(len(b))
		res.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			*passed = append(*passed, r.Method+" "+r.URL.Path)
		}
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
