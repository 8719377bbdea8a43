package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/realstack"
)

// cdcopsCmd is this test binary re-run as the cdcops command (TestMain).
func cdcopsCmd(t *testing.T, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), asCdcopsEnv+"=1")
	return cmd
}

// Acceptance (issue 9): `cdcops lab up --real --dir D --connect
// 127.0.0.1:PORT` serves a Connect whose GET / says 4.4.0 with a RUNNING
// Debezium connector, and Ctrl-C (SIGINT) leaves no process of it and
// frees its ports.
func TestLabUpRealServesUntilSIGINT(t *testing.T) {
	testenv.RealJars(t)
	dir, err := os.MkdirTemp("", "cdcops-lab-up-real-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755) // the database server's user must reach it
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	connectAddr := l.Addr().String()
	l.Close()

	cmd := cdcopsCmd(t, "lab", "up", "--real", "--dir", dir, "--kafka", "127.0.0.1:0", "--connect", connectAddr, "-o", "json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { // on a failed assertion: no strays either
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	}()

	printed := make(chan labAddrs, 1)
	go func() {
		var a labAddrs
		if json.NewDecoder(stdout).Decode(&a) == nil {
			printed <- a
		}
		close(printed)
	}()
	var addrs labAddrs
	select {
	case a, ok := <-printed:
		if !ok {
			t.Fatalf("lab up --real printed no JSON:\n%s", stderr.String())
		}
		addrs = a
	case <-time.After(4 * time.Minute):
		t.Fatalf("lab up --real not up after 4 minutes:\n%s", stderr.String())
	}
	if addrs.Real == nil || addrs.Connect != "http://"+connectAddr {
		t.Fatalf("lab up --real printed %+v", addrs)
	}
	for _, dsn := range []string{addrs.Real.DatabaseDSN, addrs.Real.Pipeline.SourceDSN, addrs.Real.Pipeline.SinkDSN} {
		if dsn != cdcops.RedactDSN(dsn) {
			t.Errorf("DSN %s printed unredacted", dsn)
		}
	}

	resp, err := http.Get(addrs.Connect + "/")
	if err != nil {
		t.Fatal(err)
	}
	var root struct{ Version string }
	json.NewDecoder(resp.Body).Decode(&root)
	resp.Body.Close()
	if root.Version != realstack.Version44 {
		t.Errorf("GET / version %q, want %s", root.Version, realstack.Version44)
	}
	st, err := connect.New(addrs.Connect).Status(context.Background(), addrs.Real.Pipeline.Source)
	if err != nil {
		t.Fatal(err)
	}
	if st.Connector.State != cdcops.StateRunning || len(st.Tasks) != 1 || st.Tasks[0].State != cdcops.StateRunning {
		t.Errorf("source %s: %+v, want RUNNING with its task", addrs.Real.Pipeline.Source, st)
	}
	running := testenv.ProcessesMentioning(dir)
	if len(running) < 3 { // database, broker, worker
		t.Fatalf("only %d processes mention %s while up: %v", len(running), dir, running)
	}

	cmd.Process.Signal(syscall.SIGINT) // what Ctrl-C sends
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("lab up --real after SIGINT: %v\n%s", err, stderr.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("lab up --real still running 90s after SIGINT:\n%s", stderr.String())
	}
	if left := testenv.ProcessesMentioning(dir); len(left) > 0 {
		t.Errorf("processes left after Ctrl-C: %v", left)
	}
	for _, a := range []string{connectAddr, addrs.Kafka} {
		if !realstack.PortFree(a) {
			t.Errorf("%s still bound after Ctrl-C", a)
		}
	}
	t.Logf("stderr of lab up --real:\n%s", stderr.String())
}
