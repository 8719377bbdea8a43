package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/kafka/kafkatest"
	"github.com/cdcops/cdcops/lab/scripted"
	"github.com/cdcops/cdcops/vault"
)

// probeLab is a lab holding stopped connectors and their offsets, the
// state an operator backs up.
func probeLab(t *testing.T, connectors, rounds int) (kafkaAddr, connectURL string) {
	t.Helper()
	ctx := context.Background()
	l := testenv.Lab(t)
	cc := connect.New(l.ConnectURL())
	wl := kafkatest.Debezium(connectors, rounds)
	for name := range wl.Connectors {
		if _, err := cc.Create(ctx, connect.CreateRequest{Name: name, InitialState: cdcops.StateStopped,
			Config: map[string]string{"connector.class": scripted.SourceClass, "schema.registry.basic.auth.user.info": "sr-user:sr-Pr0be-secret"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := kafkatest.Produce(ctx, l.KafkaAddr(), "connect-offsets", wl.Writes); err != nil {
		t.Fatal(err)
	}
	return l.KafkaAddr(), l.ConnectURL()
}

type probeRun struct {
	code           int
	stdout, stderr string
}

func probe(t *testing.T, args ...string) probeRun {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return probeRun{code, out.String(), errb.String()}
}

// refused checks the house rule for bad input: the exit code, exactly one
// Error: line saying what (want) followed by a Hint: line, and no secret.
func (r probeRun) refused(t *testing.T, code int, want, hint string, secrets ...string) {
	t.Helper()
	var errs, hints []string
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		switch {
		case strings.HasPrefix(line, "Error: "):
			errs = append(errs, line)
		case strings.HasPrefix(line, "Hint: "):
			hints = append(hints, line)
		}
	}
	if r.code != code || len(errs) != 1 || len(hints) != 1 || !strings.Contains(errs[0], want) || !strings.Contains(hints[0], hint) {
		t.Errorf("exit %d (want %d), want one Error line containing %q and one Hint containing %q; stderr:\n%s", r.code, code, want, hint, r.stderr)
	}
	for _, s := range secrets {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Errorf("output shows the secret %q:\n%s%s", s, r.stdout, r.stderr)
		}
	}
}

// vaultUntouched: nothing was stored, not even junk.
func vaultUntouched(t *testing.T, url string) {
	t.Helper()
	v, err := vault.Open(context.Background(), url, vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	list, err := v.List(context.Background())
	junk, jerr := v.Junk(context.Background())
	if err != nil || jerr != nil || len(list) != 0 || len(junk) != 0 {
		t.Errorf("vault changed: %d snapshots, %d junk (%v %v)", len(list), len(junk), err, jerr)
	}
}

// hungListener accepts connections and never answers.
func hungListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	return "http://" + ln.Addr().String()
}

func TestProbeTrust(t *testing.T) {
	kafkaAddr, connectURL := probeLab(t, 20, 2)
	fileVault := func() string { return "file://" + filepath.Join(t.TempDir(), "vault") }

	t.Run("password in --connect userinfo", func(t *testing.T) {
		v := fileVault()
		withPass := strings.Replace(connectURL, "http://", "http://admin:Pr0be-pw@", 1)
		probe(t, "--connect", withPass, "--bootstrap", kafkaAddr, "--vault", v, "offsets", "backup", "--all").
			refused(t, 2, "holds a password", "CDCOPS_CONNECT_PASSWORD", "Pr0be-pw")
		probe(t, "--connect", withPass, "connectors", "list").refused(t, 2, "holds a password", "--connect-user", "Pr0be-pw")
		vaultUntouched(t, v)
	})

	t.Run("connector with schema.registry.basic.auth.user.info", func(t *testing.T) {
		v := fileVault()
		base := []string{"--connect", connectURL, "--bootstrap", kafkaAddr, "--vault", v}
		r := probe(t, append(base, "offsets", "backup", "dbz-0001", "-o", "json")...)
		var res struct{ ID string }
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil {
			t.Fatalf("backup: %d %s", r.code, r.stderr)
		}
		for _, args := range [][]string{{"snapshots", "show", res.ID, "-o", "json"}, {"connectors", "delete", "dbz-0001", "-o", "json"}} {
			r := probe(t, append(base, args...)...)
			if r.code != 0 || strings.Contains(r.stdout+r.stderr, "sr-Pr0be-secret") || !strings.Contains(strings.ReplaceAll(r.stdout, " ", ""), `"schema.registry.basic.auth.user.info":"`+cdcops.RedactedPassword+`"`) {
				t.Errorf("%v: exit %d, the user info is not redacted:\n%s%s", args, r.code, r.stdout, r.stderr)
			}
		}
	})

	t.Run("s3 vault whose endpoint answers 200 to everything", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
		defer srv.Close()
		t.Setenv("AWS_ACCESS_KEY_ID", "probe")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "probe")
		v := "s3://backups?endpoint=" + srv.URL + "&region=us-east-1&use_path_style=true&disable_https=true"
		probe(t, "--connect", connectURL, "--bootstrap", kafkaAddr, "--vault", v, "offsets", "backup", "--all").
			refused(t, 3, "reading it back gave 0 bytes", "answering 200")
	})

	t.Run("Connect down during backup --all", func(t *testing.T) {
		v := fileVault()
		probe(t, "--connect", "http://127.0.0.1:1", "--bootstrap", kafkaAddr, "--vault", v, "offsets", "backup", "--all").
			refused(t, 3, "Kafka Connect at http://127.0.0.1:1 could not be read", "--allow-partial")
		vaultUntouched(t, v)
	})

	t.Run("Connect URL that accepts and never answers", func(t *testing.T) {
		v := fileVault()
		hung := hungListener(t)
		start := time.Now()
		probe(t, "--connect", hung, "--timeout", "2s", "connectors", "list").refused(t, 3, "timed out after 2s", "--timeout")
		probe(t, "--connect", hung, "--timeout", "2s", "--bootstrap", kafkaAddr, "--vault", v, "offsets", "backup", "--all").
			refused(t, 3, "timed out after 2s", "--timeout")
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("two 2 s timeouts took %v", took)
		}
		vaultUntouched(t, v)
	})

	t.Run("vault on a full filesystem", func(t *testing.T) {
		mnt := t.TempDir()
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", mnt).CombinedOutput(); err != nil {
			testenv.Missing(t, "a 32 KiB tmpfs mount ("+strings.TrimSpace(string(out))+")", "run the tests as root (mount -t tmpfs needs CAP_SYS_ADMIN)")
		}
		t.Cleanup(func() { exec.Command("umount", mnt).Run() })
		v := "file://" + mnt + "/vault"
		os.MkdirAll(mnt+"/vault", 0o700)
		_ = os.WriteFile(filepath.Join(mnt, "filler"), make([]byte, 30*1024), 0o600)
		probe(t, "--connect", connectURL, "--bootstrap", kafkaAddr, "--vault", v, "offsets", "backup", "--all").
			refused(t, 3, "no space left on device", "filesystem is full")
		vaultUntouched(t, v)
	})
}

// kill -9 in the middle of backups: afterwards every listed snapshot
// verifies, leftovers are reported as junk, and prune --apply removes
// them once they are old enough not to be a backup in progress.
func TestProbeKill9DuringBackup(t *testing.T) {
	kafkaAddr, connectURL := probeLab(t, 1500, 2) // a few MB: the write takes a while
	bin := filepath.Join(t.TempDir(), "cdcops")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "vault")
	vurl := "file://" + dir
	caught := 0
	for i := 0; i < 7; i++ {
		cmd := exec.Command(bin, "--connect", connectURL, "--bootstrap", kafkaAddr, "--vault", vurl, "offsets", "backup", "--all", "--dedupe-window", "0")
		// Even runs die as the snapshot file starts, odd ones as its summary
		// starts; the last one runs to the end.
		watch := filepath.Join(dir, "snapshots")
		if i%2 == 1 {
			watch = filepath.Join(dir, "index")
		}
		before := entries(watch)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if i == 6 {
			if err := cmd.Wait(); err != nil {
				t.Fatalf("the last backup failed: %v", err)
			}
			break
		}
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && entries(watch) == before; {
			time.Sleep(100 * time.Microsecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			caught++
		} else {
			t.Logf("run %d finished before the kill: %v", i, err)
		}
	}
	if caught == 0 {
		t.Fatal("no backup was killed mid-way")
	}
	run := func(args ...string) probeRun {
		var out, errb bytes.Buffer
		c := exec.Command(bin, append([]string{"--vault", vurl}, args...)...)
		c.Stdout, c.Stderr = &out, &errb
		c.Run()
		return probeRun{c.ProcessState.ExitCode(), out.String(), errb.String()}
	}
	list := run("snapshots", "list", "-o", "json")
	var sums []cdcops.SnapshotSummary
	if list.code != 0 || json.Unmarshal([]byte(list.stdout), &sums) != nil {
		t.Fatalf("list after kill -9: %d %s %s", list.code, list.stdout, list.stderr)
	}
	v, err := vault.Open(context.Background(), vurl, vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	junk, err := v.Junk(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d killed runs left %d snapshots and %d junk objects", caught, len(sums), len(junk))
	if len(junk) > 0 && !strings.Contains(list.stderr, "junk") {
		t.Errorf("snapshots list does not report the junk:\n%s", list.stderr)
	}
	if len(sums) == 0 {
		t.Fatal("the backup that ran to the end is not listed")
	}
	if r := run("snapshots", "verify"); r.code != 0 {
		t.Errorf("a listed snapshot does not verify after kill -9:\n%s%s", r.stdout, r.stderr)
	}
	// Junk is removed by prune --apply once older than the grace period.
	old := time.Now().Add(-time.Hour)
	for _, j := range junk {
		os.Chtimes(filepath.Join(dir, filepath.FromSlash(j.Key)), old, old)
	}
	if r := run("snapshots", "prune", "--keep-days", "7", "--apply"); r.code != 0 {
		t.Fatalf("prune: %d %s", r.code, r.stderr)
	}
	if left, _ := v.Junk(context.Background()); len(left) != 0 {
		t.Errorf("junk left after prune --apply: %+v", left)
	}
	if after, _ := v.List(context.Background()); len(after) != len(sums) {
		t.Errorf("prune changed the snapshots: %d → %d", len(sums), len(after))
	}
}

func entries(dir string) int {
	ents, _ := os.ReadDir(dir)
	return len(ents)
}
