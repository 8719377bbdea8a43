package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/scripted"
)

// buildCdcops compiles this command into a temp dir, for tests that must
// kill a real process.
func buildCdcops(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cdcops")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// liveValue is the one offset value of connector name on the offsets topic.
func liveValue(t *testing.T, l *lab.Lab, name string) []byte {
	t.Helper()
	s, err := backup.Collect(context.Background(), backup.Sources{Connect: connect.New(l.ConnectURL()), Bootstrap: l.KafkaAddr()},
		backup.Options{Names: []string{name}, Via: "topic"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Content.Records) != 1 {
		t.Fatalf("%s has %d offsets records, want 1", name, len(s.Content.Records))
	}
	return s.Content.Records[0].RawValue
}

// Acceptance (issue 11): the apply process is SIGKILLed after each
// journaled step in turn; `--resume` then finishes with the offsets equal
// to the plan, or `rollback` restores the pre-change offsets byte for byte.
func TestApplyKilledAfterEachStep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildCdcops(t)
	ctx := context.Background()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 200 * time.Millisecond})
	cc := connect.New(l.ConnectURL(), connect.WithPollInterval(50*time.Millisecond))
	if _, err := cc.Create(ctx, connect.CreateRequest{Name: "pg", Config: map[string]string{"connector.class": scripted.SourceClass,
		scripted.KeyOffsets: `[{"partition":{"server":"dbserver1"},"offset":{"ts_usec":1700000000000000,"txId":780,"lsn_proc":37208504,"lsn":37208504}}]`}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if b, err := cc.Offsets(ctx, "pg"); err == nil && len(b.Offsets) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no offset committed")
		}
	}
	if err := cc.Stop(ctx, "pg"); err != nil {
		t.Fatal(err)
	}
	if _, err := cc.WaitFor(ctx, "pg", connect.Stopped, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	base := liveValue(t, l, "pg")
	dir := t.TempDir()
	run := crashRunner(t, bin, l, dir)
	const steps = 7 // stop, check, backup, write, verify, resume, watch
	for n := 1; n <= steps; n++ {
		code, out, errOut := run(0, "offsets", "rewind", "pg", "--to-position", fmt.Sprintf("0/%X", 0x100000*n), "-o", "json")
		if code != 0 {
			t.Fatalf("step %d: plan: exit %d: %s", n, code, errOut)
		}
		var p cdcops.Plan
		if err := json.Unmarshal([]byte(out), &p); err != nil || p.ID == "" {
			t.Fatalf("plan output %q: %v", out, err)
		}
		var want bytes.Buffer
		if err := json.Compact(&want, p.Connectors[0].Changes[0].After); err != nil {
			t.Fatal(err)
		}
		apply := []string{"plans", "apply", p.ID, "--reason", "crash test", "--watch-offsets=false", "--timeout", "20s"}
		if code, _, errOut := run(n, apply...); code != -1 {
			t.Fatalf("kill after step %d: exit %d (want killed): %s", n, code, errOut)
		}
		_, out, _ = run(0, "plans", "show", p.ID, "-o", "json")
		var view struct {
			Status  string              `json:"status"`
			Journal []cdcops.StepRecord `json:"journal"`
		}
		if err := json.Unmarshal([]byte(out), &view); err != nil {
			t.Fatal(err)
		}
		if view.Status != cdcops.PlanApplying || len(view.Journal) != n {
			t.Fatalf("killed after step %d: status %s, %d journaled steps", n, view.Status, len(view.Journal))
		}
		if code, _, errOut := run(0, apply...); code == 0 || !strings.Contains(errOut, "--resume") {
			t.Fatalf("step %d: a plain re-apply of an interrupted plan: exit %d: %s", n, code, errOut)
		}
		if n%2 == 1 {
			if code, _, errOut := run(0, append(apply, "--resume")...); code != 0 {
				t.Fatalf("resume after step %d: exit %d: %s", n, code, errOut)
			}
			if got := liveValue(t, l, "pg"); !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("resume after step %d: offset %s, want the plan's %s", n, got, want.Bytes())
			}
		}
		// Roll back (after the resume too, to start the next round from base).
		if code, _, errOut := run(0, "plans", "rollback", p.ID, "--reason", "crash test", "--watch-offsets=false", "--timeout", "20s"); code != 0 {
			t.Fatalf("rollback after step %d: exit %d: %s", n, code, errOut)
		}
		if got := liveValue(t, l, "pg"); !bytes.Equal(got, base) {
			t.Fatalf("rollback after step %d: offset %s, want the pre-change bytes %s", n, got, base)
		}
	}
	if code, out, errOut := run(0, "audit", "verify"); code != 0 {
		t.Fatalf("audit verify: exit %d: %s %s", code, out, errOut)
	}
}

// crashRunner runs the built binary as alice against the lab l with its
// vault and state in dir; crashAfter > 0 makes an apply SIGKILL itself
// after that journaled step (CDCOPS_CRASH_AFTER_STEP). Exit -1 = killed.
func crashRunner(t *testing.T, bin string, l *lab.Lab, dir string) func(crashAfter int, args ...string) (int, string, string) {
	return func(crashAfter int, args ...string) (int, string, string) {
		cmd := exec.Command(bin, append([]string{"--bootstrap", l.KafkaAddr(), "--connect", l.ConnectURL(),
			"--vault", "file://" + filepath.Join(dir, "vault"), "--state", "sqlite://" + filepath.Join(dir, "state.db")}, args...)...)
		cmd.Env = append(os.Environ(), "CDCOPS_USER=alice", fmt.Sprintf("CDCOPS_CRASH_AFTER_STEP=%d", crashAfter))
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out.String(), errb.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, out.String(), errb.String()
	}
}
