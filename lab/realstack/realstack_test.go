package realstack_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/realstack"
)

func TestMain(m *testing.M) { testenv.RunMain(m) }

// getJSON GETs url and decodes the body into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// Both worker versions run on the one broker, say their version and list
// every fetched Debezium plugin.
func TestWorkersServeTheirVersionAndPlugins(t *testing.T) {
	for _, version := range []string{realstack.Version44, realstack.Version39} {
		t.Run(version, func(t *testing.T) {
			w := testenv.RealConnect(t, version)
			var root struct {
				Version string `json:"version"`
			}
			getJSON(t, w.URL()+"/", &root)
			if root.Version != version {
				t.Fatalf("GET / version = %q, want %q", root.Version, version)
			}
			var plugins []struct {
				Class   string `json:"class"`
				Version string `json:"version"`
			}
			getJSON(t, w.URL()+"/connector-plugins", &plugins)
			got := map[string]string{}
			for _, p := range plugins {
				got[p.Class] = p.Version
			}
			for class, v := range map[string]string{
				"io.debezium.connector.postgresql.PostgresConnector": "3.6.1.Final",
				"io.debezium.connector.mysql.MySqlConnector":         "3.6.1.Final",
				"io.debezium.connector.mariadb.MariaDbConnector":     "3.5.0.Final",
				"io.debezium.connector.jdbc.JdbcSinkConnector":       "3.5.0.Final",
			} {
				if got[class] != v {
					t.Errorf("plugin %s version %q, want %q (all: %v)", class, got[class], v, got)
				}
			}
		})
	}
}

func TestPrivateDatabasesAreSetUpForDebezium(t *testing.T) {
	ctx := context.Background()
	t.Run("postgres", func(t *testing.T) {
		pg := testenv.RealPostgres(t)
		db := testenv.Open(t, pg.DSN())
		var level string
		if err := db.QueryRowContext(ctx, "SHOW wal_level").Scan(&level); err != nil || level != "logical" {
			t.Fatalf("wal_level = %q, %v; want logical", level, err)
		}
		if pg.Port() == 5432 {
			t.Fatal("private cluster on the system port 5432")
		}
	})
	t.Run("mariadb", func(t *testing.T) {
		m := testenv.RealMariaDB(t)
		db := testenv.Open(t, m.DSN())
		var format, image string
		var logBin int
		if err := db.QueryRowContext(ctx, "SELECT @@binlog_format, @@binlog_row_image, @@log_bin").Scan(&format, &image, &logBin); err != nil {
			t.Fatal(err)
		}
		if format != "ROW" || image != "FULL" || logBin != 1 {
			t.Fatalf("binlog_format=%s row_image=%s log_bin=%d; want ROW FULL 1", format, image, logBin)
		}
		dbz := testenv.Open(t, strings.Replace(m.DSN(), "root@", realstack.DebeziumUser+":"+realstack.DebeziumPassword+"@", 1))
		var pos string
		if err := dbz.QueryRowContext(ctx, "SELECT @@gtid_current_pos").Scan(&pos); err != nil {
			t.Fatalf("debezium user over 127.0.0.1: %v", err)
		}
		rows, err := dbz.QueryContext(ctx, "SHOW BINARY LOGS")
		if err != nil {
			t.Fatalf("debezium user cannot SHOW BINARY LOGS: %v", err)
		}
		rows.Close()
	})
}

// A stack started and closed on its own leaves no process and no bound port.
func TestCloseLeavesNoProcessOrPort(t *testing.T) {
	cache := testenv.RealCache(t)
	testenv.RealKafka(t) // skips (fails in CI) when Java or the jars are missing
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	b, err := realstack.StartBroker(ctx, realstack.BrokerOptions{Cache: cache, Dir: filepath.Join(dir, "kafka")})
	if err != nil {
		t.Fatal(err)
	}
	w, err := realstack.StartWorker(ctx, realstack.WorkerOptions{Cache: cache, Version: realstack.Version44, Bootstrap: b.Addr(), Dir: filepath.Join(dir, "connect")})
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	pids := []int{w.PID(), b.PID()}
	addrs := []string{strings.TrimPrefix(w.URL(), "http://"), b.Addr()}
	for _, a := range addrs {
		if realstack.PortFree(a) {
			t.Fatalf("%s not listening while running", a)
		}
	}
	w.Close()
	b.Close()
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("process %d still runs after Close", pid)
		}
	}
	for _, a := range addrs {
		if !realstack.PortFree(a) {
			t.Errorf("%s still bound after Close", a)
		}
	}
	if got := testenv.ProcessesMentioning(dir); len(got) > 0 {
		t.Errorf("processes left mentioning %s: %v", dir, got)
	}
}

// A broker that cannot bind its port fails to start with its log's tail
// and leaves nothing running.
func TestFailedStartLeavesNoProcess(t *testing.T) {
	cache := testenv.RealCache(t)
	testenv.RealKafka(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := realstack.StartBroker(ctx, realstack.BrokerOptions{Cache: cache, Dir: dir, Port: port})
	if err == nil {
		b.Close()
		t.Fatal("broker started on a port already bound")
	}
	if !strings.Contains(err.Error(), "broker.log") {
		t.Errorf("error does not point at the log: %v", err)
	}
	if got := testenv.ProcessesMentioning(dir); len(got) > 0 {
		t.Errorf("processes left after a failed start: %v", got)
	}
}

func alive(pid int) bool {
	_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
	return err == nil
}
