package realstack_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/realstack"
)

// childEnv makes the test binary a child that starts servers in the dir it
// names and waits to be killed (see TestNoStraysWhenTheStarterDies).
const childEnv = "CDCOPS_REALSTACK_TEST_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		runChild(dir)
		return
	}
	testenv.RunMain(m)
}

// runChild starts a broker, PostgreSQL and MariaDB in dir, says "ready"
// and blocks; what the parent test then kills.
func runChild(dir string) {
	realstack.KillOnSignal()
	ctx := context.Background()
	cache := realstack.Cache(os.Getenv("CDCOPS_REALSTACK_TEST_CACHE"))
	if _, err := realstack.StartBroker(ctx, realstack.BrokerOptions{Cache: cache, Dir: filepath.Join(dir, "kafka")}); err != nil {
		fmt.Println("broker:", err)
		os.Exit(1)
	}
	if _, err := realstack.StartPostgres(ctx, realstack.PostgresOptions{Dir: filepath.Join(dir, "pg")}); err != nil {
		fmt.Println("postgres:", err)
		os.Exit(1)
	}
	if _, err := realstack.StartMariaDB(ctx, realstack.MariaDBOptions{Dir: filepath.Join(dir, "mdb")}); err != nil {
		fmt.Println("mariadb:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	select {}
}

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

// Whoever started the servers dies - by Ctrl-C (SIGINT, handled by
// KillOnSignal) or by SIGKILL (no handler runs; the parent-death signal
// does it) - and no server of it survives.
func TestNoStraysWhenTheStarterDies(t *testing.T) {
	cache := testenv.RealJars(t)
	testenv.RealPostgres(t) // skips (fails in CI) without the database servers
	testenv.RealMariaDB(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir, err := os.MkdirTemp("", "cdcops-realstack-child-")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			os.Chmod(dir, 0o755)
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), childEnv+"="+dir, "CDCOPS_REALSTACK_TEST_CACHE="+string(cache))
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line := make(chan string, 1)
			go func() {
				b, _ := bufio.NewReader(out).ReadString('\n')
				line <- b
			}()
			select {
			case l := <-line:
				if strings.TrimSpace(l) != "ready" {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("child: %q", l)
				}
			case <-time.After(3 * time.Minute):
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("child not ready after 3 minutes")
			}
			if n := len(testenv.ProcessesMentioning(dir)); n < 3 {
				t.Fatalf("only %d server processes in %s while running", n, dir)
			}
			cmd.Process.Signal(sig)
			cmd.Wait()
			var left []string
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				if left = testenv.ProcessesMentioning(dir); len(left) == 0 {
					return
				}
			}
			t.Errorf("after %v to the starter, still running: %v", sig, left)
		})
	}
}
