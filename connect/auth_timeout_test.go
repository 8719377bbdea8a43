package connect

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
)

// authServer answers like a Connect worker behind JaasBasicAuthFilter:
// 401 without the right credentials, the connector list with them.
func authServer(t *testing.T, user, pass string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error_code":401,"message":"User cannot access the resource."}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`["a"]`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBasicAuthAndUserinfoNeverPrinted(t *testing.T) {
	ctx := context.Background()
	const secret = "s3cret-pw"
	srv := authServer(t, "admin", secret)
	withInfo := strings.Replace(srv.URL, "http://", "http://admin:"+secret+"@", 1)

	c := New(withInfo)
	if strings.Contains(c.URL(), secret) || strings.Contains(c.URL(), "admin") {
		t.Errorf("URL() = %q keeps the userinfo", c.URL())
	}
	if names, err := c.List(ctx); err != nil || len(names) != 1 {
		t.Fatalf("userinfo as basic auth: %v %v", names, err)
	}
	if names, err := New(srv.URL, WithBasicAuth("admin", secret)).List(ctx); err != nil || len(names) != 1 {
		t.Fatalf("WithBasicAuth: %v %v", names, err)
	}
	_, err := New(srv.URL, WithBasicAuth("admin", "wrong")).List(ctx)
	if cdcops.ErrorCodeOf(err) != cdcops.EINVALID || !strings.Contains(cdcops.HintOf(err), "CDCOPS_CONNECT_PASSWORD") {
		t.Errorf("wrong password: %v (hint %q), want EINVALID naming the credentials", err, cdcops.HintOf(err))
	}

	// Every failure path prints the URL: none may print the password.
	dead := "http://admin:" + secret + "@127.0.0.1:1"
	for _, c := range []*Client{New(dead), New(dead + "/"), New("http://admin:" + secret + "@[::1")} {
		_, err := c.List(ctx)
		if err == nil {
			t.Fatal("unreachable worker answered")
		}
		if msg := err.Error() + cdcops.HintOf(err); strings.Contains(msg, secret) {
			t.Errorf("error leaks the password: %s", msg)
		}
	}
}

// A worker that accepts the connection and never answers is cut off by
// the per-request timeout with an error that says so.
func TestHungWorkerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // hold it open, say nothing
		}
	}()
	c := New("http://"+ln.Addr().String(), WithRequestTimeout(300*time.Millisecond, 300*time.Millisecond))
	_, err = c.List(context.Background())
	if cdcops.ErrorCodeOf(err) != cdcops.EUNAVAILABLE || !strings.Contains(err.Error(), "sent no answer within 300ms") || cdcops.HintOf(err) == "" {
		t.Fatalf("hung worker: %v (code %s, hint %q)", err, cdcops.ErrorCodeOf(err), cdcops.HintOf(err))
	}
	// The caller's own deadline is reported as the caller's, not as a hung request.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = New("http://" + ln.Addr().String()).List(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("caller deadline: %v", err)
	}
}

// PasswordKeys reads the PASSWORD definitions of the validate answer
// (ConfigInfos: configs[].definition.{name,type}) and sends no secret.
func TestPasswordKeys(t *testing.T) {
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Path != "/connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config/validate" {
			http.NotFound(w, r)
			return
		}
		b := make([]byte, 1024)
		n, _ := r.Body.Read(b)
		gotBody = string(b[:n])
		w.Write([]byte(`{"name":"io.debezium.connector.postgresql.PostgresConnector","error_count":3,"groups":["Postgres"],"configs":[
{"definition":{"name":"database.hostname","type":"STRING"},"value":{"name":"database.hostname","value":null,"errors":["missing"]}},
{"definition":{"name":"database.password","type":"PASSWORD"},"value":{"name":"database.password","value":null,"errors":[]}},
{"definition":{"name":"database.hush","type":"PASSWORD"},"value":{"name":"database.hush","value":null,"errors":[]}}]}`))
	}))
	defer srv.Close()
	keys, err := New(srv.URL).PasswordKeys(context.Background(), "io.debezium.connector.postgresql.PostgresConnector")
	if err != nil || strings.Join(keys, ",") != "database.password,database.hush" {
		t.Fatalf("keys %v, %v", keys, err)
	}
	if gotBody != `{"connector.class":"io.debezium.connector.postgresql.PostgresConnector"}` {
		t.Errorf("validate body %s: only connector.class may be sent", gotBody)
	}
}
