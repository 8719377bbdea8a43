package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/scripted"
)

// The plan commands end to end: --dry-run stores nothing, -o json prints
// the stored plan with its id, plans list/show, approvals from the config
// file, apply and audit export into git.
func TestPlansCommands(t *testing.T) {
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
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cdcops.yaml")
	if err := os.WriteFile(cfg, []byte("approvals:\n  required: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(user string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		base := []string{"--config", cfg, "--bootstrap", l.KafkaAddr(), "--connect", l.ConnectURL(),
			"--vault", "file://" + filepath.Join(dir, "vault"), "--state", "sqlite://" + filepath.Join(dir, "state.db")}
		g := func(k string) string {
			if k == "CDCOPS_USER" {
				return user
			}
			return ""
		}
		code := mainWith(ctx, append(base, args...), strings.NewReader(""), &out, &errb, g)
		return code, out.String(), errb.String()
	}
	code, out, errOut := run("alice", "connectors", "stop", "pg")
	if code != 0 {
		t.Fatalf("stop: %d %s", code, errOut)
	}
	code, out, errOut = run("alice", "offsets", "rewind", "pg", "--to-position", "0/1000000", "--dry-run")
	if code != 0 || !strings.Contains(out, "lsn 237C3B8/") && !strings.Contains(out, "bytes") || !strings.Contains(out, "dry run") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	_, out, _ = run("alice", "plans", "list", "-o", "json")
	if strings.TrimSpace(out) != "[]" {
		t.Fatalf("dry run stored a plan: %s", out)
	}
	code, out, errOut = run("alice", "offsets", "rewind", "pg", "--to-position", "0/1000000", "-o", "json")
	var p cdcops.Plan
	if code != 0 || json.Unmarshal([]byte(out), &p) != nil || p.ID == "" || p.ApprovalsRequired != 2 {
		t.Fatalf("plan: exit %d %s %s", code, out, errOut)
	}
	code, out, _ = run("alice", "plans", "show", p.ID)
	for _, want := range []string{"before: {", "after:  {", "bytes)", "[ok] connector pg stopped while planning", "[--] approvals in place", "rollback:"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("plans show lacks %q (exit %d):\n%s", want, code, out)
		}
	}
	if code, _, errOut = run("alice", "plans", "approve", p.ID); code != 3 || !strings.Contains(errOut, "self-approval") {
		t.Fatalf("self-approval: exit %d %s", code, errOut)
	}
	if code, _, errOut = run("alice", "plans", "apply", p.ID, "--reason", "test"); code != 3 || !strings.Contains(errOut, "not approved") {
		t.Fatalf("unapproved apply: exit %d %s", code, errOut)
	}
	if code, _, errOut = run("bob", "plans", "approve", p.ID, "--ticket", "OPS-1"); code != 0 {
		t.Fatalf("approve: exit %d %s", code, errOut)
	}
	if code, _, errOut = run("alice", "plans", "apply", p.ID); code != 2 || !strings.Contains(errOut, "--reason") {
		t.Fatalf("apply without reason: exit %d %s", code, errOut)
	}
	if code, out, errOut = run("alice", "plans", "apply", p.ID, "--reason", "test", "--watch-offsets=false", "-o", "json"); code != 0 {
		t.Fatalf("apply: exit %d %s %s", code, out, errOut)
	}
	if code, out, _ = run("alice", "audit", "verify"); code != 0 || !strings.Contains(out, "intact: 3 entries") {
		t.Fatalf("audit verify: exit %d %s", code, out)
	}
	if _, err := exec.LookPath("git"); err == nil {
		repo := filepath.Join(dir, "audit-git")
		if code, out, errOut = run("alice", "audit", "export", "--git", repo); code != 0 || !strings.Contains(out, "exported 3") {
			t.Fatalf("export: exit %d %s %s", code, out, errOut)
		}
		log, err := exec.Command("git", "-C", repo, "log", "--format=%s").Output()
		if err != nil || strings.Count(string(log), "\n") != 3 || !strings.Contains(string(log), "approve "+p.ID+" by bob") {
			t.Fatalf("git log: %v\n%s", err, log)
		}
		if code, out, _ = run("alice", "audit", "export", "--git", repo); code != 0 || !strings.Contains(out, "exported 0") {
			t.Fatalf("second export: exit %d %s", code, out)
		}
	}
	if code, _, errOut = run("alice", "plans", "show", "plan-nope"); code != 3 || !strings.Contains(errOut, "Hint:") {
		t.Fatalf("unknown plan: exit %d %s", code, errOut)
	}
}
