package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The whole flow on the command line: reconcile records the run's keys,
// repair --from-run prints the fix, --apply without --reason is refused
// with nothing changed, --apply --reason fixes the sink (rollback file,
// audit entry) and the next reconcile exits 0. No password anywhere.
func TestRepairCommandFromRun(t *testing.T) {
	f := newReconcileFixture(t)
	base := []string{"--state", f.state}
	if code, out, errb := run(t, append(base, "reconcile", "--source", f.pg, "--sink", f.my, "--table", "orders")...); code != 1 {
		t.Fatalf("reconcile exit %d\n%s%s", code, out, errb)
	}
	repairArgs := append(base, "repair", "--source", f.pg, "--sink", f.my, "--table", "orders", "--from-run", "1")
	code, out, errb := run(t, repairArgs...)
	if code != 0 {
		t.Fatalf("dry run exit %d\n%s%s", code, out, errb)
	}
	for _, want := range []string{"`orders` WHERE `id` = 1000", "`orders` SET `customer` = 'c9' WHERE `id` = 9", "`orders` (`id`, `customer`, `amount`, `placed_at`) VALUES", "'2024-05-01 10:07:00.000000'", "8.75"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if code, out, errb := run(t, append(repairArgs, "--apply")...); code != 2 || !strings.Contains(out+errb, "--reason") {
		t.Fatalf("--apply without --reason: exit %d\n%s%s", code, out, errb)
	}
	if code, _, _ := run(t, append(base, "reconcile", "--source", f.pg, "--sink", f.my, "--table", "orders", "--record=false")...); code != 1 {
		t.Fatalf("the sink changed although --apply was refused (reconcile exit %d)", code)
	}
	code, out, errb = run(t, append(repairArgs, "--apply", "--reason", "OPS-1 sink drift", "-o", "json")...)
	if code != 0 {
		t.Fatalf("apply exit %d\n%s%s", code, out, errb)
	}
	var rep struct {
		Equal        *bool  `json:"equal"`
		RollbackFile string `json:"rollback_file"`
		Inserts      int    `json:"inserts"`
		Updates      int    `json:"updates"`
		Deletes      int    `json:"deletes"`
		AuditSeq     int64  `json:"audit_seq"`
		Sink         string `json:"sink"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Equal == nil || !*rep.Equal || rep.Inserts != 1 || rep.Updates != 1 || rep.Deletes != 1 || rep.AuditSeq == 0 {
		t.Fatalf("report = %+v", rep)
	}
	script, err := os.ReadFile(rep.RollbackFile)
	if err != nil {
		t.Fatalf("rollback file: %v", err)
	}
	if !strings.Contains(string(script), "(1000, 'extra', 1.00, '2024-01-01 00:00:00.000000')") {
		t.Errorf("rollback does not restore the deleted row:\n%s", script)
	}
	if code, out, errb := run(t, append(base, "reconcile", "--source", f.pg, "--sink", f.my, "--table", "orders")...); code != 0 {
		t.Fatalf("after repair reconcile exit %d\n%s%s", code, out, errb)
	}
	_, auditOut, _ := run(t, append(base, "audit", "list", "-o", "json")...)
	if !strings.Contains(auditOut, "repair.apply") || !strings.Contains(auditOut, "OPS-1 sink drift") {
		t.Errorf("audit log lacks the repair:\n%s", auditOut)
	}
	for _, s := range []string{out, errb, string(script), auditOut} {
		if strings.Contains(s, "s3cret-pw") {
			t.Fatalf("the password leaked:\n%s", s)
		}
	}
}

func TestRepairCommandUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"repair", "--source", "sqlite://a.db", "--sink", "sqlite://b.db", "--table", "t"},
		{"repair", "--source", "sqlite://a.db", "--sink", "sqlite://b.db", "--table", "t", "--from-diff", "d.jsonl", "--from-run", "1"},
		{"repair", "--source", "sqlite://a.db", "--sink", "sqlite://b.db", "--table", "t", "--from-diff", "d.jsonl", "--signal", "source"},
		{"repair", "--source", "sqlite://a.db", "--sink", "sqlite://b.db", "--table", "t", "--from-diff", "d.jsonl", "--apply", "--signal", "kafka", "--reason", "x"},
	} {
		if code, out, errb := run(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s%s", args, code, out, errb)
		}
	}
}
